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

export function authRoutes({ db, jwtSecret }: AppDeps) {
  const limiter = new LoginLimiter();
  return new Hono<AppEnv>()
    .post('/login', zValidator('json', login, validationHook), async (c) => {
      const { email, password } = c.req.valid('json');
      const client = c.req.header('x-forwarded-for')?.split(',')[0]?.trim() || 'local';
      const keys = [`email:${email}`, `client:${client}`];
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
      const [me] = await asCaller(db, claims, (tx) =>
        tx.query<{ staffId: number; role: string; communityId: number | null }>(
          'select staff_id as "staffId", role::text as role, community_id as "communityId" from public.current_staff_role_and_community()',
        ),
      );
      return c.json({ userId: claims.sub!, email: String(claims.email ?? ''), staff: me ?? null });
    });
}
