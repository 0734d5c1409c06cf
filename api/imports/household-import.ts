/**
 * Household ledgers (台账) from CSV or XLSX: column mapping from the Chinese headers, category
 * labels onto the schema's categories, each row checked (geo/import/household-ledger.validation),
 * its address or building code matched to a building the caller may keep households in
 * (building-lookup.ts), and matched to an
 * existing household — by ID number, else by building + room + name — so that re-importing an
 * updated ledger updates instead of duplicating.
 */
import type { HouseholdCategory } from '../../geo/domain/household';
import { guessLedgerMapping, type LedgerField, type LedgerMapping } from '../../geo/import/field-mapping';
import { type LedgerRow, normaliseAddress, validateLedgerRow } from '../../geo/import/household-ledger.validation';
import { IMPORT_PROBLEM, type ImportProblem } from '../../geo/import/import-problems';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { buildingFinder, keptBuildings } from './building-lookup';
import type { TableFile } from './read-file';

export interface HouseholdRow extends Omit<LedgerRow, 'address' | 'building'> {
  action: 'insert' | 'update';
  targetId: number | null;
  buildingId: number;
  movedIn: string;
  /**
   * The household as the dry run read it (updates only): the commit writes the row only if it is
   * still so, because a ledger prepared from a state someone has changed since would silently
   * undo their change (a lost update). Absent in batches prepared before this check existed.
   */
  before?: HouseholdImage;
}

/** The columns an import writes, as they were. */
interface HouseholdImage {
  buildingId: number;
  unit: string | null;
  room: string;
  headName: string;
  phone: string | null;
  idNumber: string | null;
  members: number;
  categories: string[];
}

type Existing = HouseholdImage & { id: number };

/** Current households the caller may change that a ledger's rows could be: same ID number, or in the same building. */
async function existingHouseholds(tx: Queryable, rows: { idNumber: string | null; buildingId: number }[]): Promise<Existing[]> {
  if (rows.length === 0) return [];
  return tx.query<Existing>(
    `select h.id, h.building_id as "buildingId", h.unit, h.room, h.head_name as "headName", h.phone, h.id_number as "idNumber",
            h.members, h.categories::text[] as categories
     from public.households h
     where h.moved_out is null and (h.id_number = any ($1::text[]) or h.building_id = any ($2::int[]))`,
    [rows.map((v) => v.idNumber).filter(Boolean), [...new Set(rows.map((v) => v.buildingId))]],
  );
}

/** Matches a ledger row to an existing household: by ID number, else by building + room + name. */
function matcher(
  existing: Existing[],
): (v: { idNumber: string | null; buildingId: number; room: string; headName: string }) => Existing | undefined {
  const byId = new Map(existing.filter((e) => e.idNumber).map((e) => [e.idNumber!, e]));
  const byPlace = new Map(existing.map((e) => [`${e.buildingId}|${normaliseAddress(e.room)}|${e.headName}`, e]));
  return (v) => (v.idNumber ? byId.get(v.idNumber) : undefined) ?? byPlace.get(`${v.buildingId}|${normaliseAddress(v.room)}|${v.headName}`);
}

export interface HouseholdDryRun {
  mapping: LedgerMapping;
  fields: string[];
  counts: { rows: number; valid: number; matched: number; unmatched: number; toInsert: number; toUpdate: number; skipped: number };
  problems: ImportProblem[];
  rows: HouseholdRow[];
}

const REQUIRED: { field: LedgerField; label: string }[] = [
  { field: 'headName', label: '姓名 (name)' },
  { field: 'room', label: '房号 (room)' },
];

/** A mapping may name only columns the sheet has (400 invalid_mapping listing those it has). */
export function requireMappedColumns(table: TableFile, override: Readonly<Record<string, string | undefined>>): void {
  for (const [field, col] of Object.entries(override)) {
    if (col && !table.headers.includes(col)) {
      throw new ApiError(
        400,
        'invalid_mapping',
        `The mapping names the column "${col}" for ${field}, but the sheet has no such column; it has: ${table.headers.join(', ')}.`,
      );
    }
  }
}

/**
 * Who may import a ledger (households, visits, matters): grid leaders and community staff, the
 * keepers of their grids' ledgers (the tables' policies decide each row). The street leader reads
 * households masked (no names, no ID numbers), so could match no row: 403, as for others.
 */
export async function requireLedgerKeeper(
  tx: Queryable,
  refusal = 'Household ledgers are imported by grid leaders and community staff, for the grids they keep.',
): Promise<void> {
  const [me] = await tx.query<{ role: string | null }>('select (select role::text from minqing.my_staff()) as role');
  if (!me?.role || !['grid_leader', 'community_staff'].includes(me.role)) throw new ApiError(403, 'forbidden', refusal);
}

export async function dryRunHouseholds(
  tx: Queryable,
  table: TableFile,
  override: LedgerMapping,
  categoryOverrides: Readonly<Record<string, HouseholdCategory>>,
  today: string,
): Promise<HouseholdDryRun> {
  requireMappedColumns(table, override);
  const mapping: LedgerMapping = { ...guessLedgerMapping(table.headers), ...override };
  const problems: ImportProblem[] = [];
  const counts = { rows: table.rows.length, valid: 0, matched: 0, unmatched: 0, toInsert: 0, toUpdate: 0, skipped: 0 };
  const missing = REQUIRED.filter((r) => !mapping[r.field]).map((r) => r.label);
  if (!mapping.address && !mapping.building) missing.push('地址/楼栋 (address or building)');
  if (missing.length) {
    problems.push({
      code: IMPORT_PROBLEM.MISSING_COLUMN,
      severity: 'error',
      row: 1,
      message: `The header (row 1) has no column for ${missing.join(', ')}; rename the column or map it in the import. Columns found: ${table.headers.join(', ')}.`,
      // fields: the mapping's keys, for the wizard to name them in the user's language.
      details: {
        missing,
        fields: [
          ...REQUIRED.filter((r) => !mapping[r.field]).map((r) => r.field),
          ...(!mapping.address && !mapping.building ? ['address'] : []),
        ],
        headers: table.headers,
      },
    });
    counts.skipped = counts.rows;
    return { mapping, fields: table.headers, counts, problems, rows: [] };
  }

  // Buildings the caller may keep households in: by code (楼栋编号), address (compared loosely) or name.
  const buildings = await keptBuildings(tx);
  const find = buildingFinder(buildings);
  // A code or name two buildings share names neither: the row is unmatched and says so.
  const findBuilding = (row: LedgerRow): number | null => {
    const ids = find(row.address, row.building);
    return ids.length === 1 ? ids[0]! : null;
  };

  const valid: (LedgerRow & { buildingId: number })[] = [];
  const seenId = new Map<string, number>();
  for (const { row, cells } of table.rows) {
    const checked = validateLedgerRow(cells, row, mapping, categoryOverrides);
    problems.push(...checked.problems);
    const v = checked.value;
    if (!v) continue;
    counts.valid++;
    if (v.idNumber) {
      const first = seenId.get(v.idNumber);
      if (first !== undefined) {
        problems.push({
          code: IMPORT_PROBLEM.DUPLICATE_ROW,
          severity: 'error',
          row,
          message: `Row ${row}: the same ID number as row ${first}; only row ${first} is imported. Remove the repeated row.`,
          details: { duplicateOf: first },
        });
        continue;
      }
      seenId.set(v.idNumber, row);
    }
    const buildingId = findBuilding(v);
    if (buildingId === null) {
      counts.unmatched++;
      problems.push({
        code: IMPORT_PROBLEM.UNMATCHED_ADDRESS,
        severity: 'error',
        row,
        message: `Row ${row}: the address "${v.address}" matches no building in the grids you keep; write it as the map has it (e.g. "${buildings[0]?.address ?? '街道名12号1栋'}").`,
        details: { address: v.address, example: buildings[0]?.address ?? '街道名12号1栋' },
      });
      continue;
    }
    counts.matched++;
    valid.push({ ...v, buildingId });
  }

  // Existing households the caller may change: by ID number, else building + room + name.
  const match = matcher(await existingHouseholds(tx, valid));
  const rows: HouseholdRow[] = valid.map(({ address: _a, building: _b, ...v }) => {
    const target = match(v);
    if (!target) return { ...v, movedIn: v.movedIn ?? today, action: 'insert', targetId: null };
    const { id, ...before } = target;
    return { ...v, movedIn: v.movedIn ?? today, action: 'update', targetId: id, before };
  });
  counts.toInsert = rows.filter((r) => r.action === 'insert').length;
  counts.toUpdate = rows.filter((r) => r.action === 'update').length;
  counts.skipped = counts.rows - rows.length;
  return { mapping, fields: table.headers, counts, problems, rows };
}

export async function commitHouseholds(tx: Queryable, rows: HouseholdRow[]) {
  // Ledger commits take turns (the lock ends with the transaction): two ledgers that both add the
  // same new household would otherwise each find it absent and write it twice. Imports are rare
  // and short; a street's keepers never notice the wait.
  await tx.query(`select pg_advisory_xact_lock(hashtext('minqing.household_import'))`);
  const match = matcher(
    await existingHouseholds(
      tx,
      rows.filter((r) => r.action === 'insert'),
    ),
  );
  for (const r of rows.filter((x) => x.action === 'insert')) {
    const now = match(r);
    if (now) {
      throw new ApiError(
        409,
        'import_conflict',
        `Row ${r.row}: household ${r.headName} (${r.room}) was added by someone else since the dry run (household ${now.id}); nothing was written. Run the import again: it will update that household instead.`,
        { row: r.row, householdId: now.id },
      );
    }
  }
  let updated = 0;
  for (const r of rows.filter((x) => x.action === 'update')) {
    const b = r.before;
    const res = await tx.query(
      `update public.households set building_id = $1, unit = $2, room = $3, head_name = $4, phone = coalesce($5, phone),
         id_number = coalesce($6, id_number), members = $7, categories = $8::public.household_category[]
       where id = $9 and moved_out is null
         and ($10::jsonb is null or (building_id, unit, room, head_name, phone, id_number, members, categories::text[])
               is not distinct from (($10 ->> 'buildingId')::int, $10 ->> 'unit', $10 ->> 'room', $10 ->> 'headName', $10 ->> 'phone',
                                     $10 ->> 'idNumber', ($10 ->> 'members')::smallint, array(select jsonb_array_elements_text($10 -> 'categories'))))
       returning id`,
      [
        r.buildingId,
        r.unit,
        r.room,
        r.headName,
        r.phone,
        r.idNumber,
        r.members,
        `{${r.categories.join(',')}}`,
        r.targetId,
        b ? JSON.stringify(b) : null,
      ],
    );
    if (res.length !== 1) {
      throw new ApiError(
        409,
        'import_conflict',
        `Row ${r.row}: household ${r.targetId} (${r.headName}) changed since the dry run, or left your scope; nothing was written. Run the import again to see the ledger against the household as it is now.`,
        { row: r.row, householdId: r.targetId },
      );
    }
    updated++;
  }
  const [{ inserted }] = (await tx.query<{ inserted: number }>(
    `with ins as (
       insert into public.households (building_id, unit, room, head_name, phone, id_number, members, categories, moved_in)
       select (e ->> 'buildingId')::int, e ->> 'unit', e ->> 'room', e ->> 'headName', e ->> 'phone', e ->> 'idNumber',
              (e ->> 'members')::smallint, array(select jsonb_array_elements_text(e -> 'categories'))::public.household_category[],
              (e ->> 'movedIn')::date
       from jsonb_array_elements($1::jsonb) e returning 1)
     select count(*)::int as inserted from ins`,
    [JSON.stringify(rows.filter((x) => x.action === 'insert'))],
  )) as [{ inserted: number }];
  return { inserted, updated };
}
