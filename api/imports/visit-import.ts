/**
 * Visit ledgers (走访台账) from CSV or XLSX, so that a street's map is right on day one
 * (docs/import-export.md "Visit ledgers"). Each row is checked (geo/import/visit-ledger.validation),
 * matched to ONE household of the keeper's grids — by ID number, else building + unit + room,
 * else name + address, the one living there on the visit's date — and its visitor to a staff
 * member by name (the household's grid's, else its community's), or left unattributed.
 *
 * Nothing is written unless every row is right: a row with an error (a bad date or label, a
 * visit outside the household's residence, a household not found or not told apart) blocks the
 * commit. The keeper may choose to leave out the rows whose household is not found or not told
 * apart (`skipUnmatched`: a ledger covers households that have since gone); bad data is never
 * skipped, it is corrected. The dry run shows each grid's coverage after the commit by doing the
 * commit's insert inside a savepoint and rolling it back: the figures are the rollups' own, as
 * the map will show them, under the visit policy and the database's rules.
 */
import { createHash } from 'node:crypto';
import type { VisitMethod, VisitResult } from '../../geo/domain/household';
import { guessVisitLedgerMapping, type VisitLedgerField, type VisitLedgerMapping } from '../../geo/import/field-mapping';
import { normaliseAddress } from '../../geo/import/household-ledger.validation';
import { IMPORT_PROBLEM, type ImportProblem } from '../../geo/import/import-problems';
import { type VisitLedgerRow, validateVisitRow } from '../../geo/import/visit-ledger.validation';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { buildingFinder, keptBuildings } from './building-lookup';
import { requireLedgerKeeper, requireMappedColumns } from './household-import';
import type { TableFile } from './read-file';

/** Who may import a visit ledger: the keepers of their grids' ledgers, as for households. */
export const requireVisitKeeper = (tx: Queryable) =>
  requireLedgerKeeper(tx, 'Visit ledgers are imported by grid leaders and community staff, for the grids they keep.');

/** A visit the commit writes. */
export interface VisitImportRow {
  row: number;
  householdId: number;
  date: string;
  visitorId: number | null;
  visitorLabel: string | null;
  method: VisitMethod;
  result: VisitResult;
  content: string | null;
  /** Unique over all visits: the same ledger row is imported once (visits.import_key). */
  key: string;
}

/** A grid's coverage today before and after the commit (the rollups' figures, as the map shows them). */
export interface GridCoverageAfter {
  gridId: number;
  code: string;
  name: string;
  households: number;
  visits: number;
  coveredBefore: number;
  coveredAfter: number;
  coverageBefore: number | null;
  coverageAfter: number | null;
}

export interface VisitCounts {
  rows: number;
  matched: number;
  matchedById: number;
  matchedByRoom: number;
  matchedByName: number;
  ambiguous: number;
  unmatched: number;
  /** Rows with an error: while there are any, the commit is refused (422 import_has_errors). */
  errors: number;
  duplicates: number;
  alreadyImported: number;
  unattributed: number;
  toInsert: number;
  skipped: number;
}

export interface VisitDryRun {
  mapping: VisitLedgerMapping;
  fields: string[];
  counts: VisitCounts;
  problems: ImportProblem[];
  rows: VisitImportRow[];
  coverage: GridCoverageAfter[];
  skipUnmatched: boolean;
}

interface Household {
  id: number;
  buildingId: number;
  gridId: number;
  unit: string | null;
  room: string;
  headName: string;
  idNumber: string | null;
  movedIn: string;
  movedOut: string | null;
}

interface Staff {
  id: number;
  name: string;
  communityId: number | null;
  gridIds: number[];
}

/** 1单元 / 一单元 / 1 alike; 301室 / 301号 / 301 alike. */
const normUnit = (u: string | null) => (u ? normaliseAddress(u).replace(/单元$/, '') : '');
const normRoom = (r: string) => normaliseAddress(r).replace(/[室号户]$/, '');
const normName = (n: string) => n.normalize('NFKC').replace(/\s+/g, '');
const livingOn = (h: Household, date: string) => h.movedIn <= date && (h.movedOut === null || date < h.movedOut);

/** The import key: one ledger row (household, date, visitor, method, result, content) is one visit, whatever file it comes in. */
export function visitImportKey(r: Omit<VisitImportRow, 'row' | 'key' | 'visitorId'>): string {
  const content = r.content ? r.content.normalize('NFKC').replace(/\s+/g, ' ').trim() : '';
  return createHash('sha256')
    .update(JSON.stringify([r.householdId, r.date, r.visitorLabel ? normName(r.visitorLabel) : '', r.method, r.result, content]))
    .digest('hex');
}

export async function dryRunVisits(
  tx: Queryable,
  table: TableFile,
  override: VisitLedgerMapping,
  methodOverrides: Readonly<Record<string, VisitMethod>>,
  today: string,
  skipUnmatched: boolean,
): Promise<VisitDryRun> {
  requireMappedColumns(table, override);
  const mapping: VisitLedgerMapping = { ...guessVisitLedgerMapping(table.headers), ...override };
  const problems: ImportProblem[] = [];
  const counts: VisitCounts = {
    rows: table.rows.length,
    matched: 0,
    matchedById: 0,
    matchedByRoom: 0,
    matchedByName: 0,
    ambiguous: 0,
    unmatched: 0,
    errors: 0,
    duplicates: 0,
    alreadyImported: 0,
    unattributed: 0,
    toInsert: 0,
    skipped: 0,
  };
  const empty = (): VisitDryRun => ({ mapping, fields: table.headers, counts, problems, rows: [], coverage: [], skipUnmatched });

  const missing: VisitLedgerField[] = [];
  if (!mapping.visitDate) missing.push('visitDate');
  if (!mapping.idNumber && !mapping.address && !mapping.building) missing.push('idNumber', 'address', 'building');
  if (missing.length) {
    problems.push({
      code: IMPORT_PROBLEM.MISSING_COLUMN,
      severity: 'error',
      row: 1,
      message: `The header (row 1) has no column for ${missing.join(', ')}: a visit ledger needs the visit date (走访日期) and something that finds the household (身份证号, 楼栋编号/地址). Rename the column or map it in the import. Columns found: ${table.headers.join(', ')}.`,
      details: { missing, fields: missing, headers: table.headers },
    });
    counts.errors = 1;
    counts.skipped = counts.rows;
    return empty();
  }

  // What the rows are matched against: the keeper's buildings, every household that ever lived
  // in them (a ledger's visit may predate a move), and the street's staff (leavers too: their
  // records stay theirs).
  const buildings = await keptBuildings(tx);
  const findBuildings = buildingFinder(buildings);
  const gridOf = new Map(buildings.map((b) => [b.id, b.gridId]));
  const households = (
    await tx.query<Omit<Household, 'gridId'>>(
      `select h.id, h.building_id as "buildingId", h.unit, h.room, h.head_name as "headName", h.id_number as "idNumber",
            h.moved_in::text as "movedIn", h.moved_out::text as "movedOut"
     from public.households h where h.building_id = any ($1::int[]) order by h.id`,
      [buildings.map((b) => b.id)],
    )
  ).map((h) => ({ ...h, gridId: gridOf.get(h.buildingId)! }));
  const byId = group(
    households.filter((h) => h.idNumber),
    (h) => h.idNumber!,
  );
  const byBuilding = group(households, (h) => String(h.buildingId));
  const gridCommunity = new Map(
    (
      await tx.query<{ id: number; communityId: number }>(
        `select id, community_id as "communityId" from public.grids where id = any (minqing.full_grid_ids())`,
      )
    ).map((g) => [g.id, g.communityId]),
  );
  const staff = await tx.query<Staff>(
    `select s.id, s.name, s.community_id as "communityId",
            coalesce((select array_agg(sg.grid_id order by sg.grid_id) from public.staff_grids sg where sg.staff_id = s.id), '{}') as "gridIds"
     from public.staff s where s.community_id = any ($1::int[]) order by s.id`,
    [[...new Set(gridCommunity.values())]],
  );

  const located = (p: Omit<ImportProblem, 'row' | 'message'>, row: number, message: string, column: string) =>
    problems.push({ ...p, row, message: `Row ${row}, column ${column}: ${message}`, details: { column, ...p.details } });
  // The columns that found (or failed to find) the household: room and name count only with a building.
  const householdColumns = (v: VisitLedgerRow) => {
    const place = !!(v.address || v.building);
    return [
      v.idNumber ? mapping.idNumber : null,
      place ? (mapping.address ?? mapping.building) : null,
      place && v.room ? mapping.room : null,
      place && v.headName ? mapping.headName : null,
    ]
      .filter(Boolean)
      .join('/');
  };

  const written: VisitImportRow[] = [];
  const firstRowOfKey = new Map<string, number>();
  for (const { row, cells } of table.rows) {
    const checked = validateVisitRow(cells, row, mapping, today, methodOverrides);
    problems.push(...checked.problems);
    const v = checked.value;
    if (!v) {
      counts.errors++;
      continue;
    }
    const column = householdColumns(v);
    const match = matchHousehold(v, byId, findBuildings, byBuilding);
    if (match.kind !== 'one') {
      const notFound = match.kind === 'none' || match.kind === 'ambiguous';
      // A household not found or not told apart may be left out when the keeper says so; a visit
      // outside the household's residence is wrong data and always blocks.
      const severity = notFound && skipUnmatched ? 'warning' : 'error';
      if (severity === 'error') counts.errors++;
      if (match.kind === 'none') {
        counts.unmatched++;
        located(
          {
            code: IMPORT_PROBLEM.UNMATCHED_HOUSEHOLD,
            severity,
            details: { reason: match.reason, ...(v.address ? { address: v.address } : {}) },
          },
          row,
          match.reason === 'building'
            ? `the building "${v.building ?? v.address}" is none of the buildings in the grids you keep (by code, address or name); write it as the map has it, or import the buildings first.`
            : 'no household of the grids you keep fits this row (by ID number, unit and room, or name); check it against the household ledger, and import the household first if it is missing.',
          column,
        );
      } else if (match.kind === 'ambiguous') {
        counts.ambiguous++;
        located(
          { code: IMPORT_PROBLEM.AMBIGUOUS_HOUSEHOLD, severity, details: { count: match.count } },
          row,
          `${match.count} households fit this row on ${v.date}; add the ID number (身份证号), or the unit and room, to say which.`,
          column,
        );
      } else if (match.kind === 'movedOut') {
        located(
          { code: IMPORT_PROBLEM.VISIT_AFTER_MOVE_OUT, severity: 'error', details: { date: v.date, movedOut: match.date } },
          row,
          `the household moved out on ${match.date}; a visit on ${v.date} came after it had left. Correct the date or the household.`,
          mapping.visitDate!,
        );
      } else {
        located(
          { code: IMPORT_PROBLEM.VISIT_BEFORE_MOVE_IN, severity: 'error', details: { date: v.date, movedIn: match.date } },
          row,
          `the household moved in on ${match.date}, after this visit on ${v.date}. Correct the date, or the move-in date in the household ledger.`,
          mapping.visitDate!,
        );
      }
      continue;
    }
    counts.matched++;
    counts[match.by === 'idNumber' ? 'matchedById' : match.by === 'room' ? 'matchedByRoom' : 'matchedByName']++;
    const h = match.household;

    // The visitor: a staff member of the household's grid by name, else of its community; a
    // name nobody (or several) answers to is kept as written, the visit unattributed.
    let visitorId: number | null = null;
    if (v.visitor) {
      const name = normName(v.visitor);
      const community = gridCommunity.get(h.gridId);
      const named = staff.filter((s) => normName(s.name) === name && s.communityId === community);
      const inGrid = named.filter((s) => s.gridIds.includes(h.gridId));
      const one = inGrid.length === 1 ? inGrid[0] : inGrid.length === 0 && named.length === 1 ? named[0] : undefined;
      if (one) visitorId = one.id;
      else {
        located(
          {
            code: IMPORT_PROBLEM.UNMATCHED_VISITOR,
            severity: 'warning',
            details: { name: v.visitor, count: inGrid.length || named.length },
          },
          row,
          named.length === 0
            ? `"${v.visitor}" is no staff member of the household's grid or community; the visit is imported without a visitor, under the name the ledger gives.`
            : `${inGrid.length || named.length} staff members are called "${v.visitor}"; the visit is imported without a visitor, under the name the ledger gives.`,
          mapping.visitor!,
        );
      }
    }
    if (visitorId === null) counts.unattributed++;

    const visit = { householdId: h.id, date: v.date, visitorLabel: v.visitor, method: v.method, result: v.result, content: v.content };
    const key = visitImportKey(visit);
    const first = firstRowOfKey.get(key);
    if (first !== undefined) {
      counts.duplicates++;
      located(
        { code: IMPORT_PROBLEM.DUPLICATE_VISIT, severity: 'warning', details: { duplicateOf: first } },
        row,
        `the same visit (household, date, visitor, method, result and content) as row ${first}; it is imported once.`,
        mapping.visitDate!,
      );
      continue;
    }
    firstRowOfKey.set(key, row);
    written.push({ row, ...visit, visitorId, key });
  }

  // Rows imported before (this ledger or an earlier one holding them): counted, not written again.
  const already = new Set(
    (
      await tx.query<{ key: string }>(`select import_key as key from public.visits where import_key = any ($1::text[])`, [
        written.map((r) => r.key),
      ])
    ).map((r) => r.key),
  );
  const rows = written.filter((r) => !already.has(r.key));
  counts.alreadyImported = already.size;
  counts.toInsert = rows.length;
  counts.skipped = counts.rows - rows.length;
  const coverage = counts.errors === 0 && rows.length > 0 ? await coverageAfter(tx, rows, today) : [];
  return { mapping, fields: table.headers, counts, problems, rows, coverage, skipUnmatched };
}

type Match =
  | { kind: 'one'; household: Household; by: 'idNumber' | 'room' | 'name' }
  | { kind: 'none'; reason: 'building' | 'household' }
  | { kind: 'ambiguous'; count: number }
  | { kind: 'movedOut' | 'notMovedIn'; date: string };

/**
 * The one household a row names: by ID number; else, in the building(s) the row names, by unit
 * and room, else by head's name. Of the households that fit, the one living there on the visit's
 * date (a dwelling's households succeed each other); the name tells apart two that both did.
 */
function matchHousehold(
  v: VisitLedgerRow,
  byId: Map<string, Household[]>,
  findBuildings: (address: string | null, building: string | null) => number[],
  byBuilding: Map<string, Household[]>,
): Match {
  const tries: { by: 'idNumber' | 'room' | 'name'; fits: () => Household[] }[] = [];
  if (v.idNumber) tries.push({ by: 'idNumber', fits: () => byId.get(v.idNumber!) ?? [] });
  const buildingIds = v.address || v.building ? findBuildings(v.address, v.building) : [];
  const inBuildings = () => buildingIds.flatMap((id) => byBuilding.get(String(id)) ?? []);
  if (v.room) {
    tries.push({
      by: 'room',
      fits: () =>
        inBuildings().filter(
          (h) => normRoom(h.room) === normRoom(v.room!) && (!v.unit || !h.unit || normUnit(h.unit) === normUnit(v.unit)),
        ),
    });
  }
  if (v.headName) tries.push({ by: 'name', fits: () => inBuildings().filter((h) => normName(h.headName) === normName(v.headName!)) });

  for (const t of tries) {
    const fits = t.fits();
    if (fits.length === 0) continue;
    const living = fits.filter((h) => livingOn(h, v.date));
    const named = v.headName && living.length > 1 ? living.filter((h) => normName(h.headName) === normName(v.headName!)) : living;
    if (named.length === 1) return { kind: 'one', household: named[0]!, by: t.by };
    if (named.length > 1) return { kind: 'ambiguous', count: named.length };
    if (fits.every((h) => h.movedOut !== null && h.movedOut <= v.date)) {
      return {
        kind: 'movedOut',
        date: fits
          .map((h) => h.movedOut!)
          .sort()
          .at(-1)!,
      };
    }
    if (fits.every((h) => h.movedIn > v.date)) return { kind: 'notMovedIn', date: fits.map((h) => h.movedIn).sort()[0]! };
    return { kind: 'ambiguous', count: fits.length };
  }
  return { kind: 'none', reason: !v.idNumber && buildingIds.length === 0 ? 'building' : 'household' };
}

function group<T>(list: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of list) {
    const k = key(x);
    const l = m.get(k);
    if (l) l.push(x);
    else m.set(k, [x]);
  }
  return m;
}

/**
 * Writes the visits of `rows` in one statement, so that the rollups and month-end snapshots are
 * maintained once for all of them (the statement-level triggers of *_metrics.sql). A row whose
 * key is there already is left out. Visits are stored at 12:00 China time of their date (04:00
 * UTC): a ledger gives the day, and noon keeps it that day in every time zone's reading of it.
 */
async function insertVisits(tx: Queryable, batchId: string, rows: VisitImportRow[]): Promise<number> {
  const [{ inserted }] = (await tx.query<{ inserted: number }>(
    `with ins as (
       insert into public.visits (household_id, visitor_id, visitor_label, visited_at, method, result, notes, import_batch_id, import_key)
       select (e ->> 'householdId')::int, (e ->> 'visitorId')::int, e ->> 'visitorLabel',
              ((e ->> 'date')::date + time '04:00') at time zone 'UTC',
              (e ->> 'method')::public.visit_method, (e ->> 'result')::public.visit_result, e ->> 'content', $2::uuid, e ->> 'key'
       from jsonb_array_elements($1::jsonb) e
       on conflict (import_key) do nothing
       returning 1)
     select count(*)::int as inserted from ins`,
    [JSON.stringify(rows), batchId],
  )) as [{ inserted: number }];
  return inserted;
}

const COVERAGE = `select r.grid_id as "gridId", r.households, r.covered_households as covered, r.coverage
  from public.grid_stats_rollup() r where r.grid_id = any ($1::int[])`;

/**
 * Each touched grid's coverage today, before and after the rows: the commit's insert done in a
 * savepoint (under a throw-away batch row, which the insert policy asks for) and rolled back.
 */
async function coverageAfter(tx: Queryable, rows: VisitImportRow[], today: string): Promise<GridCoverageAfter[]> {
  const grids = await tx.query<{ id: number; code: string; name: string; visits: number }>(
    `select g.id, g.code, g.name, count(*)::int as visits
     from jsonb_array_elements($1::jsonb) e
     join public.households h on h.id = (e ->> 'householdId')::int
     join public.buildings b on b.id = h.building_id
     join public.grids g on g.id = b.grid_id
     group by g.id order by g.code, g.id`,
    [JSON.stringify(rows.map((r) => ({ householdId: r.householdId })))],
  );
  const ids = grids.map((g) => g.id);
  // The rollups hold the product's today (one rebuild on a new day, as any stats read).
  await tx.query('select public.stats_rollup_ready($1::date)', [today]);
  const before = new Map(
    (await tx.query<{ gridId: number; households: number; covered: number; coverage: number | null }>(COVERAGE, [ids])).map((r) => [
      r.gridId,
      r,
    ]),
  );
  await tx.query('savepoint visit_ledger_preview');
  let after: Map<number, { households: number; covered: number; coverage: number | null }>;
  try {
    const [batch] = await tx.query<{ id: string }>(
      `insert into public.import_batches (kind, file_name, format, report, rows) values ('visits', 'preview', 'csv', '{}', '[]') returning id`,
    );
    await insertVisits(tx, batch!.id, rows);
    after = new Map(
      (await tx.query<{ gridId: number; households: number; covered: number; coverage: number | null }>(COVERAGE, [ids])).map((r) => [
        r.gridId,
        r,
      ]),
    );
  } finally {
    await tx.query('rollback to savepoint visit_ledger_preview');
    await tx.query('release savepoint visit_ledger_preview');
  }
  return grids.map((g) => {
    const b = before.get(g.id);
    const a = after.get(g.id);
    return {
      gridId: g.id,
      code: g.code,
      name: g.name,
      households: a?.households ?? b?.households ?? 0,
      visits: g.visits,
      coveredBefore: b?.covered ?? 0,
      coveredAfter: a?.covered ?? 0,
      coverageBefore: b?.coverage ?? null,
      coverageAfter: a?.coverage ?? null,
    };
  });
}

/**
 * Writes a dry run's visits, all or nothing: refused while the dry run had errors, and when a
 * household has moved since the dry run so that a visit no longer falls in its residence.
 * Returns what was written and what was there already (a ledger committed twice, or two
 * keepers importing the same rows).
 */
export async function commitVisits(tx: Queryable, batchId: string, rows: VisitImportRow[], report: { counts?: Partial<VisitCounts> }) {
  const errors = report.counts?.errors ?? 0;
  if (errors > 0) {
    throw new ApiError(
      422,
      'import_has_errors',
      `The ledger has ${errors} row(s) with errors, and nothing is written until every row is right: correct them and upload the file again${(report.counts?.unmatched ?? 0) + (report.counts?.ambiguous ?? 0) > 0 ? ', or check it again choosing to leave out the rows whose household is not found' : ''}.`,
      { errors },
    );
  }
  const moved = await tx.query<{ row: number; householdId: number }>(
    `select (e ->> 'row')::int as row, h.id as "householdId"
     from jsonb_array_elements($1::jsonb) e join public.households h on h.id = (e ->> 'householdId')::int
     where not (h.moved_in <= (e ->> 'date')::date and (h.moved_out is null or (e ->> 'date')::date < h.moved_out))
     order by 1 limit 1`,
    [JSON.stringify(rows.map(({ row, householdId, date }) => ({ row, householdId, date })))],
  );
  if (moved[0]) {
    throw new ApiError(
      409,
      'import_conflict',
      `Row ${moved[0].row}: household ${moved[0].householdId} moved since the dry run, and the visit no longer falls in its residence; nothing was written. Run the import again.`,
      moved[0],
    );
  }
  const inserted = await insertVisits(tx, batchId, rows);
  return { inserted, alreadyImported: rows.length - inserted };
}
