/**
 * An import is a batch: the dry run reads the file, checks every row and stores the rows with
 * their report (nothing else written); the commit writes the batch's rows in the request's one
 * transaction as the caller, all or nothing, then keeps only the counts. docs/import-export.md.
 */
import type { HOUSEHOLD_CATEGORIES, VisitMethod } from '../../geo/domain/household';
import { summariseProblems } from '../../geo/import/import-problems';
import { problemPreview } from '../../geo/import/problem-preview';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { staffManager } from '../staff/staff-members';
import { commitGeo, dryRunGeo, type GeoDryRun, type GeoRow } from './geo-import';
import { commitHouseholds, dryRunHouseholds, type HouseholdDryRun, type HouseholdRow, requireLedgerKeeper } from './household-import';
import { type ImportBasis, importBasis, whatChanged } from './import-basis';
import { importScope, scopeKey } from './import-scope';
import { commitIssues, dryRunIssues, type IssueDryRun, type IssueImportRow, requireIssueKeeper } from './issue-import';
import type { CrsReport, GeoFile, TableFile } from './read-file';
import { commitStaff, dryRunStaff, type StaffDryRun, type StaffImportRow } from './staff-import';

import { commitVisits, dryRunVisits, requireVisitKeeper, type VisitDryRun, type VisitImportRow } from './visit-import';

export type ImportKind = 'communities' | 'grids' | 'buildings' | 'staff' | 'households' | 'visits' | 'issues';
/** The kinds read as a table (XLSX/CSV); the others are geometry files. */
const TABLE_KINDS: readonly ImportKind[] = ['households', 'staff', 'visits', 'issues'];

/** How long an uncommitted dry run is kept (minqing.purge_import_batches; docs/import-export.md). */
export const IMPORT_DRY_RUN_HOURS = 24;
export const expiresAt = (createdAt: string | Date) =>
  new Date(new Date(createdAt).getTime() + IMPORT_DRY_RUN_HOURS * 3600_000).toISOString();

/** Expired dry runs are removed whenever anyone imports: a ledger nobody committed is not kept. */
const purgeExpired = (tx: Queryable) => tx.query(`select minqing.purge_import_batches()`);

/**
 * The uploaded file read as its kind wants it: a table (ledgers) or features. Run before the
 * transaction opens: the embedded database has one connection. The format readers (shapefile,
 * KML, FlatGeobuf, proj4, exceljs) load on the first upload.
 */
export async function readUpload(kind: ImportKind, fileName: string, bytes: Uint8Array, gcj02: boolean): Promise<TableFile | GeoFile> {
  const { readGeoFile, readTableFile } = await import('./read-file');
  return TABLE_KINDS.includes(kind) ? readTableFile(fileName, bytes) : readGeoFile(fileName, bytes, { gcj02 });
}

export interface DryRunInput {
  kind: ImportKind;
  fileName: string;
  parsed: TableFile | GeoFile;
  mapping: Record<string, string | undefined>;
  categoryLabels: Record<string, (typeof HOUSEHOLD_CATEGORIES)[number]>;
  /** Visit ledgers: the street's own 走访方式 labels, e.g. {"网聊": "video"}. */
  methodLabels?: Record<string, VisitMethod>;
  /** Visit ledgers: rows whose household is not found or not told apart are left out instead of blocking the commit. */
  skipUnmatched?: boolean;
  today: string;
}

/** Checks every row and stores the batch; the answer is its report, with the problem geometries for the wizard's map. */
export async function dryRunImport(
  tx: Queryable,
  { kind, fileName, parsed, mapping, categoryLabels, methodLabels = {}, skipUnmatched = false, today }: DryRunInput,
) {
  await purgeExpired(tx);
  let run: GeoDryRun | HouseholdDryRun | StaffDryRun | IssueDryRun | VisitDryRun;
  let extra: {
    encoding?: string | null;
    crs?: CrsReport;
    communityId?: number;
    streetId?: number;
    scope?: string;
    coverage?: VisitDryRun['coverage'];
    skipUnmatched?: boolean;
  };
  let basis: ImportBasis | null = null;
  if (kind === 'visits') {
    await requireVisitKeeper(tx);
    const table = parsed as TableFile;
    const visits = await dryRunVisits(tx, table, mapping, methodLabels, today, skipUnmatched);
    run = visits;
    extra = { encoding: table.encoding, coverage: visits.coverage, skipUnmatched };
  } else if (kind === 'staff') {
    const table = parsed as TableFile;
    run = await dryRunStaff(tx, await staffManager(tx), table, mapping);
    extra = { encoding: table.encoding };
  } else if (kind === 'households') {
    await requireLedgerKeeper(tx);
    const table = parsed as TableFile;
    run = await dryRunHouseholds(tx, table, mapping, categoryLabels, today);
    extra = { encoding: table.encoding };
  } else if (kind === 'issues') {
    await requireIssueKeeper(tx);
    const table = parsed as TableFile;
    run = await dryRunIssues(tx, table, mapping, today);
    extra = { encoding: table.encoding };
  } else {
    const scope = await importScope(tx, kind);
    const geo = parsed as GeoFile;
    run = await dryRunGeo(tx, kind, geo.features, mapping, scope);
    extra = {
      crs: geo.crs,
      ...(scope.level === 'community' ? { communityId: scope.communityId } : { streetId: scope.streetId }),
      scope: scopeKey(scope),
    };
    basis = await importBasis(tx, kind, scope);
  }
  const { problems, problemCounts } = summariseProblems(run.problems);
  const report = {
    kind,
    fileName,
    format: parsed.format,
    ...extra,
    mapping: run.mapping,
    fields: run.fields,
    counts: run.counts,
    problemCounts,
    problems,
  };
  const [batch] = await tx.query<{ id: string; createdAt: string }>(
    `insert into public.import_batches (kind, file_name, format, report, rows) values ($1, $2, $3, $4::jsonb, $5::jsonb)
     returning id, created_at as "createdAt"`,
    // The basis (the versions the checks read) is kept with the batch for the commit, not served.
    [kind, fileName, parsed.format, JSON.stringify(basis ? { ...report, basis } : report), JSON.stringify(run.rows)],
  );
  // The problem geometries for the wizard's map: in the answer only, not kept with the batch.
  const preview = TABLE_KINDS.includes(kind)
    ? null
    : problemPreview((parsed as GeoFile).features, run.problems, { withUnproblematic: kind === 'grids' });
  return { id: batch!.id, createdAt: batch!.createdAt, expiresAt: expiresAt(batch!.createdAt), committed: false, ...report, preview };
}

/** The batch's stored report and what its commit wrote, if the caller sees it. */
export async function importBatch(tx: Queryable, id: string) {
  const [b] = await tx.query<{ report: object; createdAt: string; committedAt: string | null; committed: object | null }>(
    `select report - 'basis' as report, created_at as "createdAt", committed_at as "committedAt", committed from public.import_batches where id = $1`,
    [id],
  );
  return b;
}

/** Writes the batch's rows, all or nothing; a batch is committed once. */
export async function commitImport(tx: Queryable, id: string, opts: { supabase: boolean } = { supabase: false }) {
  await purgeExpired(tx);
  // Marked committed first: that locks the batch, so a second commit of it waits and then
  // finds it taken; a failure below rolls the mark back with everything else.
  const [b] = await tx.query<{
    kind: ImportKind;
    rows: unknown[];
    report: { communityId?: number; scope?: string; basis?: ImportBasis; counts?: Record<string, number> };
  }>(`update public.import_batches set committed_at = now() where id = $1 and committed_at is null returning kind, rows, report`, [id]);
  if (!b) {
    const [seen] = await tx.query<{ committedAt: string }>(
      `select committed_at as "committedAt" from public.import_batches where id = $1`,
      [id],
    );
    if (!seen) {
      throw new ApiError(
        404,
        'not_found',
        `No import ${id} of yours: dry runs not committed within ${IMPORT_DRY_RUN_HOURS} hours are removed. Upload the file again (POST /api/imports) and commit the new dry run.`,
      );
    }
    throw new ApiError(
      409,
      'already_committed',
      `Import ${id} was committed at ${seen.committedAt}; upload the file again to import it anew.`,
    );
  }
  let counts: Record<string, number>;
  // A roster's accounts with their one-time passwords: in this answer only, never in the batch.
  let accounts: Awaited<ReturnType<typeof commitStaff>>['accounts'] | undefined;
  try {
    if (b.kind === 'visits') {
      await requireVisitKeeper(tx);
      counts = await commitVisits(tx, id, b.rows as VisitImportRow[], b.report);
    } else if (b.kind === 'staff') {
      // All or nothing (api/imports/staff-import.ts): a roster with errors is corrected and uploaded again.
      const c = b.report.counts;
      if (c && c.valid !== c.rows) {
        throw new ApiError(
          422,
          'import_rejected',
          `Import ${id}: ${(c.rows ?? 0) - (c.valid ?? 0)} rows of the roster have errors, so nothing is imported. Correct them and upload the roster again.`,
        );
      }
      const created = await commitStaff(tx, await staffManager(tx), b.rows as StaffImportRow[], {
        ...opts,
        alreadyPresent: b.report.counts?.alreadyPresent ?? 0,
      });
      counts = created.counts;
      accounts = created.accounts;
    } else if (b.kind === 'households') {
      await requireLedgerKeeper(tx);
      counts = await commitHouseholds(tx, b.rows as HouseholdRow[]);
    } else if (b.kind === 'issues') {
      await requireIssueKeeper(tx);
      // A matters ledger is all or nothing: its rows are kept only when the dry run found no error.
      const errors = b.report.counts?.errors ?? 0;
      if (errors > 0)
        throw new ApiError(
          422,
          'import_rejected',
          `Import ${id} has ${errors} errors in its report, so nothing is written; correct the ledger and upload it again.`,
          { errors },
        );
      counts = await commitIssues(tx, id, b.rows as IssueImportRow[]);
    } else {
      const scope = await importScope(tx, b.kind);
      if (scopeKey(scope) !== (b.report.scope ?? `community:${b.report.communityId}`)) {
        throw new ApiError(
          409,
          'import_conflict',
          `Import ${id} was prepared for another ${scope.level === 'community' ? 'community' : 'street'}; run it again.`,
        );
      }
      // Refused only for a real change since the dry run, named (issue 19); the writes below
      // still meet any other change (a code another street took) as a database refusal.
      if (b.report.basis) {
        const changed = whatChanged(b.report.basis, await importBasis(tx, b.kind, scope));
        if (changed.length) {
          throw new ApiError(
            409,
            'import_conflict',
            `Since the dry run ${changed.map((c) => `${c.kind} ${c.code} was ${c.change}`).join('; ')}; nothing was written. Check the file again, then import.`,
            { changed },
          );
        }
      }
      counts = await commitGeo(tx, b.kind, b.rows as GeoRow[], scope);
    }
  } catch (e) {
    throw commitError(e, b.rows);
  }
  // The counts are kept; the rows, and a ledger's personal data in the report, are dropped.
  await tx.query(`select minqing.seal_import_batch($1, $2::jsonb)`, [id, JSON.stringify(counts)]);
  return { id, kind: b.kind, committed: counts, ...(accounts ? { accounts } : {}) };
}

/** Database refusals that a batch can run into at commit, said in words. */
function commitError(e: unknown, rows: unknown[]): unknown {
  const code = (e as { code?: string }).code;
  // Under row-level security PostgreSQL leaves the clashing key out of the error: name the candidates.
  if (code === '23505') {
    const codes = (rows as { code?: string | null }[]).map((r) => r.code).filter(Boolean);
    const which =
      (e as { constraint?: string }).constraint === 'grids_code_key' || /grids_code_key/.test((e as Error).message)
        ? `one of the grid codes ${codes.slice(0, 20).join(', ')} is in use by now`
        : (e as Error).message;
    return new ApiError(
      409,
      'import_conflict',
      `The commit was refused and nothing was written: ${which}. Something changed since the dry run; run the import again.`,
    );
  }
  if (code === '23514' || code === '23502' || code === '23503')
    return new ApiError(422, 'import_rejected', `The commit was refused and nothing was written: ${(e as Error).message}.`);
  return e;
}
