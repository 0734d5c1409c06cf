/**
 * Imports: POST /api/imports?kind=grids|buildings|households (multipart `file`, optional
 * `mapping` and `categoryLabels` JSON) → a dry-run report with an id, nothing written but the
 * batch; POST /api/imports/:id/commit → the batch's rows written in one transaction as the
 * caller, all or nothing. GET /api/imports/:id returns the report again. docs/import-export.md.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { HOUSEHOLD_CATEGORIES } from '../../geo/domain/household';
import { FEATURE_FIELDS, LEDGER_FIELDS } from '../../geo/import/field-mapping';
import { summariseProblems } from '../../geo/import/import-problems';
import { problemPreview } from '../../geo/import/problem-preview';
import { commitGeo, dryRunGeo, managedCommunity, type GeoDryRun, type GeoRow } from '../imports/geo-import';
import { commitHouseholds, dryRunHouseholds, requireLedgerKeeper, type HouseholdDryRun, type HouseholdRow } from '../imports/household-import';
import type { CrsReport, readGeoFile, readTableFile } from '../imports/read-file';
import { ApiError, errorBody, validationHook } from '../lib/errors';
import { productToday } from '../lib/query-params';
import { asCaller, type AppEnv } from '../lib/request-db';

const kindSchema = z.enum(['grids', 'buildings', 'households']);

const importQuery = z.object({
  kind: kindSchema,
  /** The file's coordinates: as found (WGS84/CGCS2000, or the .prj's), or GCJ-02 to convert. */
  crs: z.enum(['auto', 'gcj02']).default('auto'),
});

const jsonField = <T extends z.ZodType>(name: string, schema: T) =>
  z
    .string()
    .optional()
    .transform((raw, ctx): z.infer<T> | undefined => {
      if (raw === undefined || raw.trim() === '') return undefined;
      let v: unknown;
      try {
        v = JSON.parse(raw);
      } catch {
        ctx.addIssue({ code: 'custom', message: `${name} must be JSON, e.g. {"name":"MC","code":"BM"}` });
        return z.NEVER;
      }
      const r = schema.safeParse(v);
      if (!r.success) {
        ctx.addIssue({ code: 'custom', message: `${name}: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'} ${i.message}`).join('; ')}` });
        return z.NEVER;
      }
      return r.data;
    });

const mappingSchema = z
  .object(Object.fromEntries([...FEATURE_FIELDS, ...LEDGER_FIELDS].map((f) => [f, z.string().min(1).optional()])) as Record<string, z.ZodOptional<z.ZodString>>)
  .strict();
const categoryLabelsSchema = z.record(z.string().min(1), z.enum(HOUSEHOLD_CATEGORIES));

const formSchema = z.object({
  file: z.instanceof(File, { message: 'file is required: send the file as multipart/form-data field "file"' }),
  mapping: jsonField('mapping', mappingSchema),
  categoryLabels: jsonField('categoryLabels', categoryLabelsSchema),
});

/** How long an uncommitted dry run is kept (minqing.purge_import_batches; docs/import-export.md). */
export const IMPORT_DRY_RUN_HOURS = 24;
const expiresAt = (createdAt: string | Date) => new Date(new Date(createdAt).getTime() + IMPORT_DRY_RUN_HOURS * 3600_000).toISOString();

/** Expired dry runs are removed whenever anyone imports: a ledger nobody committed is not kept. */
const purgeExpired = (tx: { query: (sql: string) => Promise<unknown> }) => tx.query(`select minqing.purge_import_batches()`);

const idParam = z.object({ id: z.uuid('the import id is a UUID from the dry run') });

/** Database refusals that a batch can run into at commit, said in words. */
function commitError(e: unknown, rows: unknown[]): unknown {
  const code = (e as { code?: string }).code;
  // Under row-level security PostgreSQL leaves the clashing key out of the error: name the candidates.
  if (code === '23505') {
    const codes = (rows as { code?: string | null }[]).map((r) => r.code).filter(Boolean);
    const which = (e as { constraint?: string }).constraint === 'grids_code_key' || /grids_code_key/.test((e as Error).message)
      ? `one of the grid codes ${codes.slice(0, 20).join(', ')} is in use by now`
      : (e as Error).message;
    return new ApiError(409, 'import_conflict', `The commit was refused and nothing was written: ${which}. Something changed since the dry run; run the import again.`);
  }
  if (code === '23514' || code === '23502' || code === '23503') return new ApiError(422, 'import_rejected', `The commit was refused and nothing was written: ${(e as Error).message}.`);
  return e;
}

export function importRoutes({ db, env }: AppDeps) {
  const limitMb = Math.round((env.importMaxBytes / 1024 / 1024) * 10) / 10;
  return new Hono<AppEnv>()
    .post(
      '/',
      zValidator('query', importQuery, validationHook),
      bodyLimit({
        maxSize: env.importMaxBytes,
        onError: (c) => c.json(errorBody('payload_too_large', `The file is larger than the import limit of ${limitMb} MB; split it (e.g. one community per file) or ask the administrator to raise IMPORT_MAX_MB.`, { limitBytes: env.importMaxBytes }), 413),
      }),
      async (c, next) => {
        if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
          throw new ApiError(400, 'invalid_request', 'Send the file as multipart/form-data with the field "file".');
        }
        await next();
      },
      // A form validator, so that the web app's typed client can send the upload (`$post({ form })`).
      zValidator('form', formSchema, validationHook),
      async (c) => {
        const { kind, crs } = c.req.valid('query');
        const { file, mapping = {}, categoryLabels = {} } = c.req.valid('form');
        const bytes = new Uint8Array(await file.arrayBuffer());
        if (bytes.length === 0) throw new ApiError(422, 'unreadable_file', `${file.name} is empty.`);
        const fileName = file.name || 'upload';
        const today = productToday(env);

        // Parsed before the transaction opens: the embedded database has one connection.
        // The format readers (shapefile, KML, FlatGeobuf, proj4, exceljs) load on the first upload.
        const { readGeoFile, readTableFile } = await import('../imports/read-file');
        const parsed = kind === 'households' ? await readTableFile(fileName, bytes) : await readGeoFile(fileName, bytes, { gcj02: crs === 'gcj02' });

        const result = await asCaller(db, c.get('claims'), async (tx) => {
          await purgeExpired(tx);
          let run: GeoDryRun | HouseholdDryRun;
          let extra: { encoding?: string | null; crs?: CrsReport; communityId?: number };
          if (kind === 'households') {
            await requireLedgerKeeper(tx);
            const table = parsed as Awaited<ReturnType<typeof readTableFile>>;
            run = await dryRunHouseholds(tx, table, mapping, categoryLabels, today);
            extra = { encoding: table.encoding };
          } else {
            const community = await managedCommunity(tx);
            const geo = parsed as Awaited<ReturnType<typeof readGeoFile>>;
            run = await dryRunGeo(tx, kind, geo.features, mapping, community);
            extra = { crs: geo.crs, communityId: community.id };
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
            [kind, fileName, parsed.format, JSON.stringify(report), JSON.stringify(run.rows)],
          );
          // The problem geometries for the wizard's map: in the answer only, not kept with the batch.
          const preview = kind === 'households'
            ? null
            : problemPreview((parsed as Awaited<ReturnType<typeof readGeoFile>>).features, run.problems, { withUnproblematic: kind === 'grids' });
          return { id: batch!.id, createdAt: batch!.createdAt, expiresAt: expiresAt(batch!.createdAt), committed: false, ...report, preview };
        });
        return c.json(result, 201);
      },
    )
    .get('/:id', zValidator('param', idParam, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const row = await asCaller(db, c.get('claims'), async (tx) => {
        const [b] = await tx.query<{ report: object; createdAt: string; committedAt: string | null; committed: object | null }>(
          `select report, created_at as "createdAt", committed_at as "committedAt", committed from public.import_batches where id = $1`,
          [id],
        );
        return b;
      });
      if (!row) throw new ApiError(404, 'not_found', `No import ${id} of yours (dry runs not committed within ${IMPORT_DRY_RUN_HOURS} hours are removed).`);
      // The report's own `counts` are the dry run's; what the commit wrote is `committedCounts`.
      return c.json({
        ...row.report,
        id,
        createdAt: row.createdAt,
        ...(row.committedAt === null ? { expiresAt: expiresAt(row.createdAt) } : {}),
        committed: row.committedAt !== null,
        committedAt: row.committedAt,
        committedCounts: row.committed,
      });
    })
    .post('/:id/commit', zValidator('param', idParam, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        await purgeExpired(tx);
        // Marked committed first: that locks the batch, so a second commit of it waits and then
        // finds it taken; a failure below rolls the mark back with everything else.
        const [b] = await tx.query<{ kind: z.infer<typeof kindSchema>; rows: unknown[]; report: { communityId?: number } }>(
          `update public.import_batches set committed_at = now() where id = $1 and committed_at is null returning kind, rows, report`,
          [id],
        );
        if (!b) {
          const [seen] = await tx.query<{ committedAt: string }>(`select committed_at as "committedAt" from public.import_batches where id = $1`, [id]);
          if (!seen) {
            throw new ApiError(404, 'not_found', `No import ${id} of yours: dry runs not committed within ${IMPORT_DRY_RUN_HOURS} hours are removed. Upload the file again (POST /api/imports) and commit the new dry run.`);
          }
          throw new ApiError(409, 'already_committed', `Import ${id} was committed at ${seen.committedAt}; upload the file again to import it anew.`);
        }
        let counts: Record<string, number>;
        try {
          if (b.kind === 'households') {
            await requireLedgerKeeper(tx);
            counts = await commitHouseholds(tx, b.rows as HouseholdRow[]);
          } else {
            const community = await managedCommunity(tx);
            if (community.id !== b.report.communityId) throw new ApiError(409, 'import_conflict', `Import ${id} was prepared for another community; run it again.`);
            counts = await commitGeo(tx, b.kind, b.rows as GeoRow[], community.id);
          }
        } catch (e) {
          throw commitError(e, b.rows);
        }
        // The counts are kept; the rows, and a ledger's personal data in the report, are dropped.
        await tx.query(`select minqing.seal_import_batch($1, $2::jsonb)`, [id, JSON.stringify(counts)]);
        return { id, kind: b.kind, committed: counts };
      });
      return c.json(result);
    });
}
