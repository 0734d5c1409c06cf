/**
 * Whether a validly signed token still stands: its staff record is not disabled, it was not
 * signed out, and its account's password has not changed since it was issued. One statement of
 * three indexed lookups, run once per request by the auth middleware (so a disable, a sign-out
 * or a password change is a 401 on the very next request, an event stream's included), as the
 * owner because the caller's own role cannot read the account tables.
 */
import type { Queryable } from '../db/database';
import type { Claims } from '../lib/request-db';

export type SessionState = 'ok' | 'disabled' | 'revoked';
export type SessionCheck = (claims: Claims) => Promise<SessionState>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createSessionCheck(db: Queryable): SessionCheck {
  return async (claims) => {
    if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) return 'revoked';
    const jti = typeof claims.jti === 'string' && UUID.test(claims.jti) ? claims.jti : null;
    const [row] = await db.query<{ active: boolean | null; version: number | null; revoked: boolean }>(
      `select (select s.active from public.staff s where s.user_id = $1::uuid) as active,
              (select a.token_version from minqing.local_accounts a where a.user_id = $1::uuid) as version,
              exists (select 1 from minqing.revoked_tokens r where r.jti = $2::uuid) as revoked`,
      [claims.sub, jti],
    );
    if (row?.active === false) return 'disabled';
    if (row?.revoked) return 'revoked';
    // Supabase's tokens carry no `ver`; their accounts are not local, so version is null for them.
    if (row?.version != null && (typeof claims.ver === 'number' ? claims.ver : 0) !== row.version) return 'revoked';
    return 'ok';
  };
}
