/**
 * Matters ledgers (民情事项台账, issue 18) from CSV or XLSX: each row becomes a matter in its grid
 * with its event history rebuilt from its dates, so that the figures derived from the history
 * (open, overdue against the 7/15/30-day limits, closed on time) are what the ledger says.
 *
 *   where     网格 (code or name, as of the registration date, among the grids the caller keeps),
 *             else 地址 matched to a building → its grid as of that date; the matter's point is
 *             the building's (or the grid's) point on surface.
 *   when      received at the start of 登记日期 (China time); due by the policy's days for the
 *             level's complexity (网格/一般 7, 社区/复杂 15, 街道/重大 30); closed at the start of
 *             办结日期, so a matter closed on its due day is on time and an open one is overdue
 *             from the day after.
 *   history   registered (and escalated once per level above the grid) at receipt, then the
 *             handling steps up to its status: accepted and in progress at receipt (the ledger
 *             keeps no dates for them), resolved and closed (with the satisfaction) at 办结日期.
 *             A closed matter rated 不满意 stays closed: the ledger records that it was closed;
 *             the product's "不满意 reopens" rule is for matters handled in it.
 *   numbers   the ledger's 登记编号 is kept when it fits the scheme (year + month of the
 *             registration + 3 digits) and is free; otherwise the database gives the next number
 *             and the original is kept beside it (issues.original_reg_no).
 *   again     each matter has a key within the street (its original number, else a hash of date,
 *             grid, category and content); a row whose key exists is already there, not added.
 *   who       grid leaders and community staff, for the grids they keep: the issue policies
 *             decide each row at commit. The importer is the registrar and the actor of every
 *             event (the event policy allows no other actor); the batch is on the matter.
 *
 * All or nothing: a ledger with any error writes nothing (its report lists every error).
 */
import { createHash } from 'node:crypto';
import type { IssueStatus } from '../../geo/domain/issue';
import { addressFinder } from '../../geo/import/address-match';
import { guessIssueLedgerMapping, type IssueLedgerField, type IssueLedgerMapping } from '../../geo/import/field-mapping';
import { IMPORT_PROBLEM, type ImportProblem } from '../../geo/import/import-problems';
import { type IssueLedgerRow, regNoFit, validateIssueRow } from '../../geo/import/issue-ledger.validation';
import type { Queryable } from '../db/database';
import { requireLedgerKeeper, requireMappedColumns } from './household-import';
import type { TableFile } from './read-file';

/** One matter to write, as the dry run decided it. */
export interface IssueImportRow {
  row: number;
  key: string;
  /** The ledger's number when kept as reg_no; null: the database numbers it. */
  regNo: string | null;
  originalRegNo: string | null;
  gridId: number;
  buildingId: number | null;
  lon: number;
  lat: number;
  registeredOn: string;
  closedOn: string | null;
  category: IssueLedgerRow['category'];
  content: string;
  tier: IssueLedgerRow['tier'];
  complexity: IssueLedgerRow['complexity'];
  status: IssueLedgerRow['status'];
  evaluation: IssueLedgerRow['evaluation'];
}

export interface IssueDryRun {
  mapping: IssueLedgerMapping;
  fields: string[];
  counts: {
    rows: number;
    valid: number;
    errors: number;
    toInsert: number;
    alreadyImported: number;
    numbersKept: number;
    numbersBeside: number;
    skipped: number;
  };
  problems: ImportProblem[];
  rows: IssueImportRow[];
}

const REQUIRED: IssueLedgerField[] = ['registeredOn', 'issueCategory', 'content', 'level', 'status'];

/** The instant a China calendar day starts. */
const chinaDayStart = (d: string) => `${d}T00:00:00+08:00`;
/** The end of China day D (the next day's start), as grid_versions_at and building_grids_at read it. */
const chinaDayEnd = (d: string) => new Date(Date.parse(chinaDayStart(d)) + 86_400_000);

interface GridVersion {
  gridId: number;
  code: string;
  name: string;
  validFrom: string | null;
  validTo: string | null;
  current: boolean;
  lon: number;
  lat: number;
}

const norm = (s: string) => s.normalize('NFKC').replace(/\s+/g, '').toLowerCase();

/** The grid a 网格 cell names on a date: as of that date, else as the grid is now, else by any former code or name. */
function gridFinder(versions: GridVersion[]): (value: string, on: string) => number[] {
  return (value, on) => {
    const v = norm(value);
    const named = versions.filter((g) => norm(g.code) === v || norm(g.name) === v);
    const end = chinaDayEnd(on).getTime();
    const inForce = (g: GridVersion) =>
      (g.validFrom === null || Date.parse(g.validFrom) < end) && (g.validTo === null || Date.parse(g.validTo) >= end);
    for (const pick of [named.filter(inForce), named.filter((g) => g.current), named]) {
      const ids = [...new Set(pick.map((g) => g.gridId))];
      if (ids.length) return ids;
    }
    return [];
  };
}

export async function dryRunIssues(tx: Queryable, table: TableFile, override: IssueLedgerMapping, today: string): Promise<IssueDryRun> {
  requireMappedColumns(table, override);
  const mapping: IssueLedgerMapping = { ...guessIssueLedgerMapping(table.headers), ...override };
  const problems: ImportProblem[] = [];
  const counts = {
    rows: table.rows.length,
    valid: 0,
    errors: 0,
    toInsert: 0,
    alreadyImported: 0,
    numbersKept: 0,
    numbersBeside: 0,
    skipped: table.rows.length,
  };
  const missing: string[] = REQUIRED.filter((f) => !mapping[f]);
  if (!mapping.grid && !mapping.address) missing.push('grid');
  if (missing.length) {
    problems.push({
      code: IMPORT_PROBLEM.MISSING_COLUMN,
      severity: 'error',
      row: 1,
      message: `The header (row 1) has no column for ${missing.join(', ')} (登记日期, 类别, 内容, 层级, 状态, and 网格 or 地址); rename the column or map it in the import. Columns found: ${table.headers.join(', ')}.`,
      details: { missing, fields: missing, headers: table.headers },
    });
    counts.errors = 1;
    return { mapping, fields: table.headers, counts, problems, rows: [] };
  }

  // The grids the caller keeps, with every version's code and name (a ledger names a grid as it was then).
  const [me] = await tx.query<{ streetId: number }>(`select minqing.my_street_id() as "streetId"`);
  const versions = await tx.query<GridVersion>(
    `select g.id as "gridId", coalesce(v.code, g.code) as code, coalesce(v.name, g.name) as name,
            case when v.valid_from = '-infinity' then null else v.valid_from end as "validFrom", v.valid_to as "validTo",
            v.grid_id is null or (v.valid_to is null and g.retired_at is null) as current,
            ST_X(p.pt) as lon, ST_Y(p.pt) as lat
     from public.grids g
     cross join lateral (select ST_PointOnSurface(g.boundary) as pt) p
     left join public.grid_versions v on v.grid_id = g.id
     where g.id = any (minqing.full_grid_ids())
     order by g.id, v.version`,
  );
  const findGrid = gridFinder(versions);
  const gridPoint = new Map(versions.map((g) => [g.gridId, [g.lon, g.lat] as const]));
  const buildings = await tx.query<{ id: number; address: string; lon: number; lat: number }>(
    `select b.id, b.address, ST_X(p.pt) as lon, ST_Y(p.pt) as lat
     from public.buildings b cross join lateral (select ST_PointOnSurface(b.footprint) as pt) p
     where b.grid_id = any (minqing.full_grid_ids()) order by b.id`,
  );
  const findBuilding = addressFinder(buildings);
  const buildingPoint = new Map(buildings.map((b) => [b.id, [b.lon, b.lat] as const]));

  // Rows checked on their own, then placed.
  type Placed = IssueLedgerRow & { gridId: number | null; buildingIds: number[] };
  const placed: Placed[] = [];
  const seenNo = new Map<string, number>();
  for (const { row, cells } of table.rows) {
    const checked = validateIssueRow(cells, row, mapping, today);
    problems.push(...checked.problems);
    const v = checked.value;
    if (v?.regNo) {
      const first = seenNo.get(v.regNo);
      if (first !== undefined) {
        problems.push({
          code: IMPORT_PROBLEM.DUPLICATE_REG_NO,
          severity: 'error',
          row,
          message: `Row ${row}, column ${mapping.regNo}: the registration number ${v.regNo} is also on row ${first}; each matter has its own number. Correct one of them.`,
          details: { field: 'regNo', column: mapping.regNo, regNo: v.regNo, duplicateOf: first },
        });
        continue;
      }
      seenNo.set(v.regNo, row);
    }
    if (!v) continue;
    let gridId: number | null = null;
    let buildingIds: number[] = [];
    const where = (field: IssueLedgerField) => `Row ${row}, column ${mapping[field]}`;
    if (v.grid) {
      const ids = findGrid(v.grid, v.registeredOn);
      if (ids.length === 0) {
        const example = versions.find((g) => g.current)?.name ?? '第一网格';
        problems.push({
          code: IMPORT_PROBLEM.UNMATCHED_GRID,
          severity: 'error',
          row,
          message: `${where('grid')}: "${v.grid}" is the code or name of none of the grids you keep; write the grid as the map names it (e.g. "${example}").`,
          details: { field: 'grid', column: mapping.grid, value: v.grid, example },
        });
        continue;
      }
      if (ids.length > 1) {
        problems.push({
          code: IMPORT_PROBLEM.AMBIGUOUS_PLACE,
          severity: 'error',
          row,
          message: `${where('grid')}: "${v.grid}" names ${ids.length} grids (by code or name, then or now); write the grid's code instead.`,
          details: { field: 'grid', column: mapping.grid, value: v.grid, count: ids.length },
        });
        continue;
      }
      gridId = ids[0]!;
    }
    if (v.address) buildingIds = findBuilding([v.address]);
    if (gridId === null) {
      if (buildingIds.length === 0) {
        const example = buildings[0]?.address ?? '街道名12号1栋';
        problems.push({
          code: IMPORT_PROBLEM.UNMATCHED_ADDRESS,
          severity: 'error',
          row,
          message: `${where('address')}: the address "${v.address}" matches no building in the grids you keep; write it as the map has it (e.g. "${example}"), or fill in the grid (网格).`,
          details: { field: 'address', column: mapping.address, address: v.address, example },
        });
        continue;
      }
    }
    placed.push({ ...v, gridId, buildingIds });
  }

  // The buildings' grids as of each registration date (building_grid_history).
  const asOf = placed.flatMap((p, i) => p.buildingIds.map((b) => ({ i, b, d: p.registeredOn })));
  const historic =
    asOf.length === 0
      ? []
      : await tx.query<{ i: number; b: number; gridId: number | null }>(
          `select x.i::int as i, x.b, h.grid_id as "gridId"
     from unnest($1::int[], $2::int[], $3::date[]) x(i, b, d)
     left join public.building_grid_history h on h.building_id = x.b
       and h.valid_from < public.china_day_end(x.d) and (h.valid_to is null or h.valid_to >= public.china_day_end(x.d))`,
          [asOf.map((a) => a.i), asOf.map((a) => a.b), asOf.map((a) => a.d)],
        );
  const scope = new Set(versions.map((g) => g.gridId));
  const valid: (Placed & { gridId: number; buildingId: number | null })[] = [];
  for (const [i, p] of placed.entries()) {
    const grids = new Map<number, number>(); // grid → first building in it
    for (const h of historic.filter((x) => x.i === i))
      if (h.gridId !== null && scope.has(h.gridId) && !grids.has(h.gridId)) grids.set(h.gridId, h.b);
    if (p.gridId !== null) {
      // The grid cell decides; the address only finds the building, when it is in that grid.
      valid.push({ ...p, gridId: p.gridId, buildingId: grids.get(p.gridId) ?? null });
      continue;
    }
    if (grids.size === 0) {
      problems.push({
        code: IMPORT_PROBLEM.UNMATCHED_ADDRESS,
        severity: 'error',
        row: p.row,
        message: `Row ${p.row}, column ${mapping.address}: the building at "${p.address}" was in none of the grids you keep on ${p.registeredOn}; fill in the grid (网格).`,
        details: { field: 'address', column: mapping.address, address: p.address!, example: buildings[0]?.address ?? '街道名12号1栋' },
      });
      continue;
    }
    if (grids.size > 1) {
      problems.push({
        code: IMPORT_PROBLEM.AMBIGUOUS_PLACE,
        severity: 'error',
        row: p.row,
        message: `Row ${p.row}, column ${mapping.address}: "${p.address}" is the address of buildings in ${grids.size} grids; write the full address (with 栋) or fill in the grid (网格).`,
        details: { field: 'address', column: mapping.address, value: p.address!, count: grids.size },
      });
      continue;
    }
    const [[gridId, buildingId]] = [...grids.entries()] as [[number, number]];
    valid.push({ ...p, gridId, buildingId });
  }

  // Keys: the original number within the street, else what the matter is; twice in the file is an error.
  const keyed: ((typeof valid)[number] & { key: string })[] = [];
  const seenKey = new Map<string, number>();
  for (const v of valid) {
    const key = v.regNo
      ? `${me!.streetId}:no:${v.regNo}`
      : `${me!.streetId}:sha256:${createHash('sha256')
          .update(JSON.stringify([v.registeredOn, v.gridId, v.category, norm(v.content)]))
          .digest('hex')}`;
    const first = seenKey.get(key);
    if (first !== undefined) {
      problems.push({
        code: IMPORT_PROBLEM.DUPLICATE_ROW,
        severity: 'error',
        row: v.row,
        message: `Row ${v.row}: the same matter (date, place, category and content) as row ${first}. Remove the repeated row, or give each its 登记编号.`,
        details: { duplicateOf: first, reason: 'same_matter' },
      });
      continue;
    }
    seenKey.set(key, v.row);
    keyed.push({ ...v, key });
  }

  const existing = new Set(
    (await tx.query<{ k: string }>(`select k from minqing.imported_issue_keys($1::text[]) k`, [keyed.map((k) => k.key)])).map((r) => r.k),
  );
  const fresh = keyed.filter((k) => !existing.has(k.key));
  counts.alreadyImported = keyed.length - fresh.length;
  const taken = await takenNumbers(tx, fresh);
  const rows: IssueImportRow[] = fresh.map((v) => {
    const fit = v.regNo ? (taken.has(v.regNo) ? 'taken' : regNoFit(v.regNo, v.registeredOn)) : null;
    if (v.regNo && fit !== 'fits') {
      problems.push({
        code: IMPORT_PROBLEM.REG_NO_KEPT_BESIDE,
        severity: 'warning',
        row: v.row,
        message: `Row ${v.row}, column ${mapping.regNo}: the registration number ${v.regNo} ${fit === 'taken' ? "is already another matter's" : fit === 'month' ? "is not of the registration's month" : 'is not year + month + 3 digits (e.g. 202403001)'}; the matter gets a new number and keeps ${v.regNo} as its original number.`,
        details: { field: 'regNo', column: mapping.regNo, regNo: v.regNo, reason: fit },
      });
    }
    const [lon, lat] = (v.buildingId !== null ? buildingPoint.get(v.buildingId) : undefined) ?? gridPoint.get(v.gridId)!;
    return {
      row: v.row,
      key: v.key,
      regNo: fit === 'fits' ? v.regNo : null,
      originalRegNo: fit === 'fits' ? null : v.regNo,
      gridId: v.gridId,
      buildingId: v.buildingId,
      lon,
      lat,
      registeredOn: v.registeredOn,
      closedOn: v.closedOn,
      category: v.category,
      content: v.content,
      tier: v.tier,
      complexity: v.complexity,
      status: v.status,
      evaluation: v.evaluation,
    };
  });

  // In the sheet's order, whichever pass found them.
  problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  counts.errors = problems.filter((p) => p.severity === 'error').length;
  counts.valid = keyed.length;
  // All or nothing: with any error the batch holds no rows and its commit writes nothing.
  const writable = counts.errors === 0 ? rows : [];
  counts.toInsert = writable.length;
  counts.numbersKept = writable.filter((r) => r.regNo !== null).length;
  counts.numbersBeside = writable.filter((r) => r.originalRegNo !== null).length;
  counts.skipped = counts.rows - counts.toInsert;
  return { mapping, fields: table.headers, counts, problems, rows: writable };
}

/** Which of the rows' original numbers another matter on the server already holds. */
async function takenNumbers(tx: Queryable, rows: readonly { regNo: string | null }[]): Promise<Set<string>> {
  const nos = rows.map((r) => r.regNo).filter((n): n is string => n !== null);
  if (nos.length === 0) return new Set();
  return new Set((await tx.query<{ n: string }>(`select n from minqing.taken_issue_reg_nos($1::text[]) n`, [nos])).map((r) => r.n));
}

/** Who may import a matters ledger: who may register matters in their grids — grid leaders and community staff. */
export const requireIssueKeeper = (tx: Queryable) =>
  requireLedgerKeeper(tx, 'Matters ledgers are imported by grid leaders and community staff, for the grids they keep.');

/** One event of a rebuilt history. */
interface RebuiltEvent {
  key: string;
  at: string;
  from: IssueStatus | null;
  to: IssueStatus;
  kind: string;
  details: Record<string, unknown>;
}

const TIER_STEPS = {
  on_spot: [],
  community: [['on_spot', 'community']],
  escalated: [
    ['on_spot', 'community'],
    ['community', 'escalated'],
  ],
} as const;
const STEPS: Record<IssueImportRow['status'], IssueStatus[]> = {
  registered: [],
  accepted: ['accepted'],
  in_progress: ['accepted', 'in_progress'],
  resolved: ['accepted', 'in_progress', 'resolved'],
  closed: ['accepted', 'in_progress', 'resolved', 'closed'],
};

/** The history a ledger row stands for: registered, escalated to its level, then each step to its status. */
export function rebuiltEvents(r: IssueImportRow, batchId: string): RebuiltEvent[] {
  const received = chinaDayStart(r.registeredOn);
  const finished = r.closedOn ? chinaDayStart(r.closedOn) : received;
  const details = { imported: batchId };
  const out: RebuiltEvent[] = [{ key: r.key, at: received, from: null, to: 'registered', kind: 'registered', details }];
  for (const [fromTier, toTier] of TIER_STEPS[r.tier])
    out.push({
      key: r.key,
      at: received,
      from: 'registered',
      to: 'registered',
      kind: 'escalated',
      details: { ...details, fromTier, toTier },
    });
  let status: IssueStatus = 'registered';
  for (const to of STEPS[r.status]) {
    const at = to === 'resolved' || to === 'closed' ? finished : received;
    out.push({ key: r.key, at, from: status, to, kind: to, details: to === 'closed' ? { ...details, evaluation: r.evaluation } : details });
    status = to;
  }
  return out;
}

export async function commitIssues(
  tx: Queryable,
  batchId: string,
  rows: IssueImportRow[],
): Promise<{ inserted: number; alreadyImported: number; numbersKept: number; numbersBeside: number }> {
  // Matters ledger commits take turns: two imports of the same ledger would otherwise each find
  // its keys absent; the second now finds the first's matters and skips them.
  await tx.query(`select pg_advisory_xact_lock(hashtext('minqing.issue_import'))`);
  const existing = new Set(
    (await tx.query<{ k: string }>(`select k from minqing.imported_issue_keys($1::text[]) k`, [rows.map((r) => r.key)])).map((r) => r.k),
  );
  const fresh = rows.filter((r) => !existing.has(r.key));
  // A number kept in the dry run that someone took since goes beside a new one, as in the dry run.
  const taken = await takenNumbers(tx, fresh);
  const toWrite = fresh.map((r) => (r.regNo && taken.has(r.regNo) ? { ...r, regNo: null, originalRegNo: r.regNo } : r));
  // Kept numbers first, so that the numbering of the others (max + 1 of the month) passes them;
  // the others in registration order.
  toWrite.sort(
    (a, b) => Number(b.regNo !== null) - Number(a.regNo !== null) || a.registeredOn.localeCompare(b.registeredOn) || a.row - b.row,
  );
  const [{ staffId }] = (await tx.query<{ staffId: number }>(`select (select staff_id from minqing.my_staff()) as "staffId"`)) as [
    { staffId: number },
  ];
  if (toWrite.length > 0) {
    await tx.query(
      `insert into public.issues (reg_no, original_reg_no, import_batch_id, import_key, category, description, location, grid_id, building_id,
         complexity, tier, escalated_from, status, received_at, due_at, closed_at, evaluation, registered_by)
       select e ->> 'regNo', e ->> 'originalRegNo', $2::uuid, e ->> 'key', (e ->> 'category')::public.issue_category, e ->> 'content',
         ST_SetSRID(ST_MakePoint((e ->> 'lon')::float8, (e ->> 'lat')::float8), 4326), (e ->> 'gridId')::int, (e ->> 'buildingId')::int,
         (e ->> 'complexity')::public.issue_complexity, (e ->> 'tier')::public.issue_tier,
         case e ->> 'tier' when 'community' then 'on_spot' when 'escalated' then 'community' end::public.issue_tier,
         (e ->> 'status')::public.issue_status, r.received,
         -- Due by the policy in force for the grid's community on the registration date, as a registration in the product.
         r.received + make_interval(days => (public.policy_settings_at(g.community_id, (e ->> 'registeredOn')::date)
                                             -> 'issueDueDays' ->> (e ->> 'complexity'))::integer),
         case when e ->> 'status' = 'closed' then ((e ->> 'closedOn') || 'T00:00:00+08:00')::timestamptz end,
         (e ->> 'evaluation')::public.issue_evaluation, $3
       from jsonb_array_elements($1::jsonb) with ordinality as x(e, ord)
       join public.grids g on g.id = (e ->> 'gridId')::int
       cross join lateral (select ((e ->> 'registeredOn') || 'T00:00:00+08:00')::timestamptz as received) r
       order by x.ord`,
      [JSON.stringify(toWrite), batchId, staffId],
    );
    const events = toWrite.flatMap((r) => rebuiltEvents(r, batchId));
    await tx.query(
      `insert into public.issue_events (issue_id, at, actor_id, from_status, to_status, kind, details)
       select i.id, (e ->> 'at')::timestamptz, $2, (e ->> 'from')::public.issue_status, (e ->> 'to')::public.issue_status, e ->> 'kind', e -> 'details'
       from jsonb_array_elements($1::jsonb) with ordinality as x(e, ord)
       join public.issues i on i.import_key = e ->> 'key'
       order by x.ord`,
      [JSON.stringify(events), staffId],
    );
  }
  return {
    inserted: toWrite.length,
    alreadyImported: rows.length - fresh.length,
    numbersKept: toWrite.filter((r) => r.regNo !== null).length,
    numbersBeside: toWrite.filter((r) => r.originalRegNo !== null).length,
  };
}
