/**
 * Every request runs in one transaction as the caller's database role, with the JWT claims in
 * `request.jwt.claims` — exactly as Supabase's PostgREST does — so row-level security, not this
 * code, decides what a request can see. A request without a token is anonymous (`anon`).
 */
import type { Database, Queryable } from '../db/database';
import { ApiError } from './errors';

export type DbRole = 'anon' | 'authenticated';
export interface Claims {
  role: DbRole;
  sub?: string;
  [claim: string]: unknown;
}

export const ANONYMOUS: Claims = { role: 'anon' };

/** Hono's context type for our routes: the auth middleware puts the caller's claims here. */
export type AppEnv = { Variables: { claims: Claims } };

const ROLES: ReadonlySet<string> = new Set<DbRole>(['anon', 'authenticated']);

export function asCaller<T>(db: Database, claims: Claims, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await enterAsCaller(tx, claims);
    return fn(tx);
  });
}

/** Switches an open transaction to the caller's role and claims, until it ends. */
export async function enterAsCaller(tx: Queryable, claims: Claims): Promise<void> {
  // The role name is interpolated (SET ROLE takes no parameters), so it must come from the list.
  if (!ROLES.has(claims.role)) throw new Error(`asCaller: unknown database role ${String(claims.role)}`);
  await tx.query(`set local role ${claims.role}`);
  await tx.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
}

/** The caller's staff id (within asCaller): the visitor of what they log, the actor of what they do. */
export async function myStaffId(tx: Queryable): Promise<number> {
  const [me] = await tx.query<{ staff_id: number }>('select staff_id from minqing.my_staff()');
  if (!me) throw new ApiError(403, 'forbidden', 'Only staff of a street do field work; your account has no active staff record.');
  return me.staff_id;
}
