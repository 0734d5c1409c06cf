/**
 * The local accounts' own changes — a password change, a sign-out — which the person makes for
 * themself and which their database role cannot write; so they run as the owner here, each in
 * one transaction with its audit entry. Changes to someone else's account go through
 * minqing.set_initial_password(), which checks who may.
 */
import type { Database, Queryable } from '../db/database';
import type { Claims } from '../lib/request-db';
import { hashPassword, verifyPassword } from './password';

export interface LocalAccount {
  userId: string;
  email: string;
  passwordHash: string;
  tokenVersion: number;
  mustChangePassword: boolean;
  /** false when the staff record is disabled; null when there is none. */
  active: boolean | null;
}

const ACCOUNT_SQL = `
  select a.user_id as "userId", a.email, a.password_hash as "passwordHash", a.token_version as "tokenVersion",
         a.must_change_password as "mustChangePassword", s.active
  from minqing.local_accounts a left join public.staff s on s.user_id = a.user_id`;

export async function accountByEmail(db: Queryable, email: string): Promise<LocalAccount | undefined> {
  return (await db.query<LocalAccount>(`${ACCOUNT_SQL} where a.email = $1`, [email]))[0];
}

export async function accountById(db: Queryable, userId: string): Promise<LocalAccount | undefined> {
  return (await db.query<LocalAccount>(`${ACCOUNT_SQL} where a.user_id = $1`, [userId]))[0];
}

async function audit(tx: Queryable, userId: string, reason: string, newValues: Record<string, unknown>) {
  await tx.query(
    `insert into public.audit_log (user_id, staff_id, action, table_name, row_ids, street_id, community_id, new_values, reason)
     select $1::uuid, s.id, 'update', 'local_accounts', case when s.id is null then '{}'::int[] else array[s.id] end,
            s.street_id, s.community_id, $2::jsonb, $3
     from (select 1) one left join public.staff s on s.user_id = $1::uuid`,
    [userId, JSON.stringify(newValues), reason],
  );
}

/**
 * Sets the account's own new password and ends every token it had (the version moves on); the
 * caller gets a fresh token for the new version. Returns the new version, or null when `current`
 * is wrong.
 */
export async function changeOwnPassword(db: Database, account: LocalAccount, current: string, next: string): Promise<number | null> {
  if (!(await verifyPassword(current, account.passwordHash))) return null;
  const hash = await hashPassword(next);
  return db.transaction(async (tx) => {
    const [row] = await tx.query<{ version: number }>(
      `update minqing.local_accounts set password_hash = $2, must_change_password = false,
         token_version = token_version + 1, password_changed_at = now()
       where user_id = $1 returning token_version as version`,
      [account.userId, hash],
    );
    await audit(tx, account.userId, 'password_change', { must_change_password: false });
    return row!.version;
  });
}

/** Puts this token on the revoked list until it would have expired anyway. */
export async function revokeToken(db: Database, claims: Claims): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('delete from minqing.revoked_tokens where expires_at < now()');
    await tx.query(
      `insert into minqing.revoked_tokens (jti, user_id, expires_at) values ($1, $2, to_timestamp($3)) on conflict do nothing`,
      [claims.jti, claims.sub, claims.exp],
    );
    await audit(tx, claims.sub!, 'logout', {});
  });
}
