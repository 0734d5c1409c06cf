/**
 * Who is calling, for access tests: the claims (database suites) and bearer tokens (API suites)
 * of the demo street's signed-in accounts, looked up from the seeded data rather than assumed.
 */
import { randomUUID } from 'node:crypto';
import { issueToken } from '../../api/auth/tokens';
import type { Queryable } from '../../api/db/database';
import type { Claims } from '../../api/lib/request-db';
import { TEST_JWT_SECRET } from './fixtures';

export const ROLE_ACCOUNTS = {
  street_leader: 'street@demo.local',
  community_staff: 'community@demo.local',
  grid_leader: 'grid01@demo.local',
  grid_member: 'member01@demo.local',
  presenter: 'presenter@demo.local',
} as const;
export type DemoRole = keyof typeof ROLE_ACCOUNTS;
export const DEMO_ROLES = Object.keys(ROLE_ACCOUNTS) as DemoRole[];

export async function userIdOf(db: Queryable, email: string): Promise<string> {
  const [row] = await db.query<{ user_id: string }>('select user_id from minqing.local_accounts where email = $1', [email]);
  if (!row) throw new Error(`no local account ${email}`);
  return row.user_id;
}

export async function claimsOf(db: Queryable, email: string, extra: Record<string, unknown> = {}): Promise<Claims> {
  return { role: 'authenticated', aud: 'authenticated', sub: await userIdOf(db, email), email, ...extra };
}

/** A signed-in user with a valid token but no staff record (e.g. someone who signed up on Supabase). */
export function strangerClaims(): Claims {
  return { role: 'authenticated', aud: 'authenticated', sub: randomUUID(), email: 'stranger@example.com' };
}

export async function tokenOf(db: Queryable, email: string): Promise<string> {
  return issueToken(TEST_JWT_SECRET, { id: await userIdOf(db, email), email });
}

/** A demo account's staff id and the first grid it serves (by id). */
export async function staffGridOf(db: Queryable, email: string): Promise<{ staffId: number; gridId: number }> {
  const [row] = await db.query<{ staffId: number; gridId: number }>(
    `select s.id as "staffId", sg.grid_id as "gridId" from public.staff s join public.staff_grids sg on sg.staff_id = s.id
     where s.email = $1 order by sg.grid_id limit 1`,
    [email],
  );
  if (!row) throw new Error(`${email} serves no grid`);
  return row;
}

interface Requester {
  request(path: string, init?: RequestInit): Response | Promise<Response>;
}

/**
 * The app as seen by one signed-in account: every request carries its bearer token unless the
 * test sets its own Authorization header.
 */
export function signedIn(app: Requester, db: Queryable, email: string): Requester {
  let token: Promise<string> | undefined;
  return {
    async request(path, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${await (token ??= tokenOf(db, email))}`);
      return app.request(path, { ...init, headers });
    },
  };
}
