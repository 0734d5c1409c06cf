/**
 * Households, read through the database's household_records view: rows the caller may know
 * exist, with personal fields masked unless its role and scope allow them (the database decides;
 * see supabase/migrations/*_access.sql). Unmasked reads are written to the audit log.
 */
import type { HouseholdCategory } from '../../geo/domain/household';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

export interface HouseholdRecord {
  id: number;
  buildingId: number;
  gridId: number;
  address: string;
  unit: string | null;
  room: string;
  headName: string;
  phone: string | null;
  idNumber: string | null;
  members: number;
  categories: HouseholdCategory[];
  classification: string;
  movedIn: string;
  movedOut: string | null;
  masked: boolean;
}

const COLUMNS = `id, building_id as "buildingId", grid_id as "gridId", address, unit, room, head_name as "headName",
  phone, id_number as "idNumber", members, categories::text[] as categories, classification::text as classification,
  moved_in as "movedIn", moved_out as "movedOut", masked`;

/** The households living in grid `gridId` (403 outside the caller's scope and in a presentation). */
export async function gridHouseholds(tx: Queryable, gridId: number): Promise<HouseholdRecord[]> {
  const [{ access, presenting }] = (await tx.query<{ access: string; presenting: boolean }>(
    'select minqing.grid_access($1) as access, minqing.presenting() as presenting',
    [gridId],
  )) as [{ access: string; presenting: boolean }];
  // A presentation has no household list (capabilitiesOf): even masked, a projected list of
  // addresses and surnames is more than a meeting room should see.
  if (presenting) {
    throw new ApiError(403, 'forbidden', 'A presentation shows no household list; turn projector mode off to see it.');
  }
  if (access === 'none') {
    throw new ApiError(403, 'forbidden', `Grid ${gridId}'s households are not in your scope.`);
  }
  const rows = await tx.query<HouseholdRecord>(
    `select ${COLUMNS} from public.household_records
     where grid_id = $1 and moved_out is null order by address, unit nulls first, room, id`,
    [gridId],
  );
  const shown = rows.filter((r) => !r.masked).map((r) => r.id);
  await tx.query('select public.record_personal_view($1, $2::int[], $3, $4)', ['households', shown, gridId, 'list']);
  return rows;
}

/** Household `id` as the caller may read it, if at all. */
export async function householdDetail(tx: Queryable, id: number): Promise<HouseholdRecord | undefined> {
  const [r] = await tx.query<HouseholdRecord>(`select ${COLUMNS} from public.household_records where id = $1`, [id]);
  if (r && !r.masked) await tx.query('select public.record_personal_view($1, $2::int[], $3, $4)', ['households', [id], r.gridId, 'detail']);
  return r;
}

/** Household `id` with its personal fields revealed for `reason` (the database decides who may, and logs it). */
export async function revealHousehold(tx: Queryable, id: number, reason: string): Promise<HouseholdRecord | undefined> {
  const [masked] = await tx.query<HouseholdRecord>(`select ${COLUMNS} from public.household_records where id = $1`, [id]);
  if (!masked) return undefined;
  const [personal] = await tx.query<{ headName: string; phone: string | null; idNumber: string | null }>(
    'select head_name as "headName", phone, id_number as "idNumber" from public.reveal_household($1, $2)',
    [id, reason],
  );
  return { ...masked, ...personal!, masked: false };
}
