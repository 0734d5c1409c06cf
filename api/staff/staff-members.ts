/**
 * Creating a staff member with their sign-in, and reading who is calling: the one way both
 * POST /api/staff and a roster import's commit (api/imports/staff-import.ts) do it, as the
 * caller, so that the database's policies and minqing.may_manage_staff() decide who may.
 */
import { MANAGEABLE_ROLES, type StaffRole } from '../../geo/domain/staff';
import { generateInitialPassword, hashPassword } from '../auth/password';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

export interface StaffMember {
  id: number;
  name: string;
  role: StaffRole;
  communityId: number | null;
  phone: string | null;
  email: string | null;
  active: boolean;
  gridIds: number[];
}

const STAFF_SQL = `
  select s.id, s.name, s.role::text as role, s.community_id as "communityId", s.phone, s.email, s.active,
    coalesce(array(select sg.grid_id from public.staff_grids sg where sg.staff_id = s.id order by sg.grid_id), '{}') as "gridIds"
  from public.staff s`;

/** Who is calling, as staff. */
export interface Manager {
  staffId: number;
  role: StaffRole;
  streetId: number;
  communityId: number | null;
}

export async function me(tx: Queryable): Promise<Manager> {
  const [row] = await tx.query<Manager>(
    'select staff_id as "staffId", role::text as role, street_id as "streetId", community_id as "communityId" from minqing.my_staff()',
  );
  if (!row) throw new ApiError(403, 'forbidden', 'Only staff of a street manage staff; your account has no active staff record.');
  return row;
}

/** The caller, when they manage anyone at all (the street leader, community staff); else 403. */
export async function staffManager(tx: Queryable): Promise<Manager> {
  const manager = await me(tx);
  if (MANAGEABLE_ROLES[manager.role].length === 0) {
    throw new ApiError(403, 'forbidden', 'Staff are managed by the street leader and community staff; your role manages no one.');
  }
  return manager;
}

export const GRID_ROLES: readonly StaffRole[] = ['grid_leader', 'grid_member'];

/** Replaces a grid team member's grids with `gridIds`, all in their community; RLS decides who may. */
export async function assignGrids(tx: Queryable, target: StaffMember, ids: number[]): Promise<void> {
  const gridIds = [...new Set(ids)];
  if (!GRID_ROLES.includes(target.role)) {
    if (gridIds.length === 0) return;
    throw new ApiError(
      422,
      'not_a_grid_role',
      `Staff member ${target.id} is ${target.role}; only grid leaders and members are assigned to grids.`,
      [{ path: 'gridIds', reason: 'not_a_grid_role' }],
    );
  }
  const outside = await tx.query<{ id: number }>(
    `select g as id from unnest($1::int[]) g where g not in (select id from public.grids where community_id = $2)`,
    [gridIds, target.communityId],
  );
  if (outside.length > 0) {
    throw new ApiError(
      422,
      'grid_outside_community',
      `Grids ${outside.map((r) => r.id).join(', ')} are not in the staff member's community.`,
      {
        gridIds: outside.map((r) => r.id),
      },
    );
  }
  // Row-level security refuses (403) anyone but this community's staff or the street leader, for each row.
  await tx.query('delete from public.staff_grids where staff_id = $1 and grid_id <> all($2::int[])', [target.id, gridIds]);
  await tx.query('insert into public.staff_grids (staff_id, grid_id) select $1, g from unnest($2::int[]) g on conflict do nothing', [
    target.id,
    gridIds,
  ]);
}

/** The staff the caller may see, of one community when `communityId` is given, the street's own first. */
export function listStaff(tx: Queryable, communityId: number | undefined): Promise<StaffMember[]> {
  return tx.query<StaffMember>(
    `${STAFF_SQL} where ($1::int is null or s.community_id = $1) order by s.community_id nulls first, s.role, s.name`,
    [communityId ?? null],
  );
}

/** A staff record's own fields; an absent name, phone or active is left as it is (phone: null clears it). */
export interface StaffRecordChange {
  name?: string | undefined;
  phone?: string | null | undefined;
  role: StaffRole;
  communityId: number | null;
  active?: boolean | undefined;
}

/** Updates staff `staffId` as the caller; false when the policy left the row alone (visible but not manageable). */
export async function updateStaffRecord(tx: Queryable, staffId: number, change: StaffRecordChange): Promise<boolean> {
  const [updated] = await tx.query<{ id: number }>(
    `update public.staff set name = coalesce($2, name), phone = case when $3 then $4 else phone end,
       role = $5::public.staff_role, community_id = $6, active = coalesce($7, active)
     where id = $1 returning id`,
    [
      staffId,
      change.name ?? null,
      change.phone !== undefined,
      change.phone ?? null,
      change.role,
      change.communityId,
      change.active ?? null,
    ],
  );
  return updated !== undefined;
}

export async function staffById(tx: Queryable, staffId: number): Promise<StaffMember> {
  const [row] = await tx.query<StaffMember>(`${STAFF_SQL} where s.id = $1`, [staffId]);
  if (!row) throw new ApiError(404, 'not_found', `No staff member with id ${staffId}.`);
  return row;
}

/** A one-time password and its hash, made before (hashing takes ~100 ms; a roster hashes them side by side). */
export async function prepareInitialPassword(): Promise<{ password: string; hash: string }> {
  const password = generateInitialPassword();
  return { password, hash: await hashPassword(password) };
}

/** Sets a one-time password for a staff member's local sign-in; the database checks the caller may. */
export async function setInitialPassword(tx: Queryable, staffId: number, prepared?: { password: string; hash: string }): Promise<string> {
  const { password, hash } = prepared ?? (await prepareInitialPassword());
  await tx.query('select minqing.set_initial_password($1, $2)', [staffId, hash]);
  return password;
}

export interface NewStaff {
  name: string;
  phone: string | null;
  email: string;
  role: StaffRole;
  communityId: number | null;
  gridIds: number[];
}

export type CreatedStaff = { staff: StaffMember; initialPassword: string } | { staff: StaffMember; linked: boolean; invited: boolean };

/**
 * Inserts the staff member, assigns their grids and gives them a sign-in: a one-time password
 * they must change at first sign-in, or in Supabase mode a link to the Auth user with that email,
 * invited first by `invite` when there is none (and the server may invite). A unique email
 * already taken fails with PostgreSQL's 23505.
 */
export async function createStaffMember(
  tx: Queryable,
  streetId: number,
  body: NewStaff,
  opts: { supabase: boolean; password?: { password: string; hash: string }; invite?: (email: string) => Promise<unknown> },
): Promise<CreatedStaff> {
  const [created] = await tx.query<{ id: number }>(
    `insert into public.staff (street_id, community_id, name, phone, email, role) values ($1, $2, $3, $4, $5, $6) returning id`,
    [streetId, body.communityId, body.name, body.phone, body.email, body.role],
  );
  await assignGrids(tx, await staffById(tx, created!.id), body.gridIds);
  if (opts.supabase) {
    const link = async () =>
      (await tx.query<{ uid: string | null }>('select minqing.link_auth_user($1) as uid', [created!.id]))[0]?.uid ?? null;
    let uid = await link();
    let invited = false;
    if (uid === null && opts.invite && body.email) {
      await opts.invite(body.email);
      invited = true;
      uid = await link();
    }
    return { staff: await staffById(tx, created!.id), linked: uid !== null, invited };
  }
  const initialPassword = await setInitialPassword(tx, created!.id, opts.password);
  return { staff: await staffById(tx, created!.id), initialPassword };
}
