/**
 * Sign-in with local accounts (the embedded default and plain PostgreSQL). Reading the account
 * table is a named server task that runs as the owner; the token it returns has Supabase's claim
 * shape, so every request after it is handled exactly as with a Supabase session.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { verifyPassword } from '../auth/password';
import { issueToken, TOKEN_LIFETIME_S } from '../auth/tokens';
import { ApiError, validationHook } from '../lib/errors';
import { asCaller, type AppEnv } from '../lib/request-db';
import { capabilitiesOf, type Capabilities, type StaffRole } from '../../geo/domain/staff';

const login = z.object({
  email: z.string().trim().toLowerCase().email('email must be an email address').max(254),
  password: z.string().min(1, 'password is required').max(256),
});

/** Failed attempts per email and per client, in a sliding window: guessing gets 429s, not answers. */
export class LoginLimiter {
  private failures = new Map<string, number[]>();
  constructor(
    private readonly max = 5,
    private readonly windowMs = 15 * 60_000,
  ) {}
  private recent(key: string, now: number) {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    this.failures.set(key, list);
    return list;
  }
  blocked(keys: string[], now = Date.now()): boolean {
    return keys.some((k) => this.recent(k, now).length >= this.max);
  }
  fail(keys: string[], now = Date.now()) {
    for (const k of keys) this.recent(k, now).push(now);
  }
  succeed(keys: string[]) {
    for (const k of keys) this.failures.delete(k);
  }
}

export interface Me {
  userId: string;
  email: string;
  presenting: boolean;
  staff: {
    id: number;
    name: string;
    role: StaffRole;
    communityId: number | null;
    communityName: string | null;
    grids: { id: number; name: string }[];
  } | null;
  /** Grids whose people the caller sees in full, and those it sees masked. */
  scope: { fullGridIds: number[]; visibleGridIds: number[] };
  can: Capabilities;
}

export function authRoutes({ db, env, jwtSecret }: AppDeps) {
  const limiter = new LoginLimiter();
  return new Hono<AppEnv>()
    // Public: how to sign in. The demo accounts are listed only on the demo street, where their
    // password is published in the README anyway.
    .get('/config', async (c) => {
      const [demo] = await db.query<{ demo: boolean }>('select coalesce(bool_or(is_demo), false) as demo from public.streets');
      const local = !env.supabase;
      const demoAccounts =
        local && demo?.demo
          ? await db.query<{ email: string; role: StaffRole }>(
              `select a.email, s.role::text as role from minqing.local_accounts a join public.staff s on s.user_id = a.user_id
               where a.email like '%@demo.local' order by array_position(enum_range(null::public.staff_role), s.role), a.email`,
            )
          : [];
      return c.json({
        mode: local ? ('local' as const) : ('supabase' as const),
        supabase: env.supabase ?? null,
        demoAccounts,
      });
    })
    .post('/login', zValidator('json', login, validationHook), async (c) => {
      const { email, password } = c.req.valid('json');
      const client = c.req.header('x-forwarded-for')?.split(',')[0]?.trim() || 'local';
      const keys = [`email:${email}`, `client:${client}`];
      if (env.supabase) {
        throw new ApiError(404, 'not_found', 'Sign-in goes through the Supabase project configured for this server (SUPABASE_URL).');
      }
      if (limiter.blocked(keys)) {
        throw new ApiError(429, 'too_many_attempts', 'Too many failed sign-in attempts; wait 15 minutes and try again.');
      }
      const [account] = await db.query<{ user_id: string; password_hash: string }>(
        'select user_id, password_hash from minqing.local_accounts where email = $1',
        [email],
      );
      // Same answer for an unknown email and a wrong password: the reply must not reveal who has an account.
      if (!account || !(await verifyPassword(password, account.password_hash))) {
        limiter.fail(keys);
        throw new ApiError(401, 'invalid_credentials', 'The email or password is not correct.');
      }
      limiter.succeed(keys);
      const token = await issueToken(jwtSecret, { id: account.user_id, email });
      return c.json({ access_token: token, token_type: 'bearer' as const, expires_in: TOKEN_LIFETIME_S });
    })
    .get('/me', async (c) => {
      const claims = c.get('claims');
      if (claims.role !== 'authenticated') throw new ApiError(401, 'unauthorized', 'Sign in first.');
      const me = await asCaller(db, claims, async (tx) => {
        const [staff] = await tx.query<NonNullable<Me['staff']>>(
          `select s.id, s.name, s.role::text as role, s.community_id as "communityId", c.name as "communityName",
                  coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.code)
                            from public.staff_grids sg join public.grids g on g.id = sg.grid_id
                            where sg.staff_id = s.id), '[]'::json) as grids
           from minqing.my_staff() m join public.staff s on s.id = m.staff_id
           left join public.communities c on c.id = s.community_id`,
        );
        const [scope] = await tx.query<Me['scope']>(
          'select minqing.full_grid_ids() as "fullGridIds", minqing.visible_grid_ids() as "visibleGridIds"',
        );
        return { staff: staff ?? null, scope: scope! };
      });
      const presenting = claims.presentation === true;
      return c.json({
        userId: claims.sub!,
        email: String(claims.email ?? ''),
        presenting,
        staff: me.staff,
        scope: me.scope,
        can: capabilitiesOf(me.staff?.role ?? null, presenting),
      } satisfies Me);
    });
}
