/**
 * Sign-in with local accounts (the embedded default and plain PostgreSQL). Reading the account
 * table is a named server task that runs as the owner; the token it returns has Supabase's claim
 * shape, so every request after it is handled exactly as with a Supabase session.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { checkPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../geo/domain/password-rules';
import { capabilitiesOf } from '../../geo/domain/staff';
import { type Locale, translate } from '../../geo/i18n/strings';
import type { AppDeps } from '../app';
import { accountByEmail, accountById, changeOwnPassword, revokeToken } from '../auth/accounts';
import { callerProfile, type Me } from '../auth/caller-profile';
import { listedDemoAccounts } from '../auth/demo-accounts';
import { requestLocale } from '../auth/locale';
import { verifyPassword } from '../auth/password';
import { issueToken, TOKEN_LIFETIME_S } from '../auth/tokens';
import { ApiError, validationHook } from '../lib/errors';
import { type AppEnv, asCaller } from '../lib/request-db';

const login = z.object({
  email: z.string().trim().toLowerCase().email('email must be an email address').max(254),
  password: z.string().min(1, 'password is required').max(256),
});

const passwordChange = z.object({
  current: z.string().min(1, 'current is required').max(256),
  next: z.string().max(1024),
});

/**
 * Failed sign-ins in a sliding window, counted per client and account together (guessing one
 * password gets 429s, not answers), and, more loosely, per account (guessing from many addresses)
 * and per client (one address trying many accounts; loose because a street office shares one).
 */
export class LoginLimiter {
  private failures = new Map<string, number[]>();
  constructor(
    private readonly max = { pair: 5, account: 20, client: 50 },
    private readonly windowMs = 15 * 60_000,
  ) {}
  keys(email: string, client: string): Record<keyof LoginLimiter['max'], string> {
    return { pair: `pair:${client}|${email}`, account: `email:${email}`, client: `client:${client}` };
  }
  private recent(key: string, now: number) {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length > 0) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }
  /** Seconds until the caller may try again, or 0 when it may now. */
  retryAfterS(email: string, client: string, now = Date.now()): number {
    let until = 0;
    for (const [kind, key] of Object.entries(this.keys(email, client)) as [keyof LoginLimiter['max'], string][]) {
      const list = this.recent(key, now);
      const limit = this.max[kind];
      // Blocked until enough of the failures age out of the window to leave one attempt.
      if (list.length >= limit) until = Math.max(until, list[list.length - limit]! + this.windowMs);
    }
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }
  fail(email: string, client: string, now = Date.now()) {
    for (const key of Object.values(this.keys(email, client))) {
      this.recent(key, now);
      this.failures.set(key, [...(this.failures.get(key) ?? []), now]);
    }
  }
  /** A correct password clears this client's count for the account, not the account's or client's totals. */
  succeed(email: string, client: string) {
    this.failures.delete(this.keys(email, client).pair);
  }
}

/** The refusal of a caller who guessed wrong too often, in their language, with when to try again. */
function tooManyAttempts(locale: Locale, retryAfterS: number): ApiError {
  return new ApiError(
    429,
    'too_many_attempts',
    translate(locale, 'signInRateLimited'),
    { retryAfterS },
    { 'Retry-After': String(retryAfterS) },
  );
}

export function authRoutes({ db, env, jwtSecret }: AppDeps) {
  const limiter = new LoginLimiter();
  // A stolen, still-valid token must not be a way to guess the password it was issued for.
  const passwordLimiter = new LoginLimiter({ pair: 5, account: 10, client: 50 });
  return (
    new Hono<AppEnv>()
      // Public: how to sign in. The demo accounts are listed only on the demo street, where their
      // password is published in the README anyway.
      .get('/config', async (c) => {
        const local = !env.supabase;
        const demoAccounts = local ? await listedDemoAccounts(db) : [];
        return c.json({
          mode: local ? ('local' as const) : ('supabase' as const),
          // What a browser needs to sign in, and never the service-role key beside it.
          supabase: env.supabase ? { url: env.supabase.url, anonKey: env.supabase.anonKey } : null,
          demoAccounts,
        });
      })
      .post('/login', zValidator('json', login, validationHook), async (c) => {
        const { email, password } = c.req.valid('json');
        const client = c.req.header('x-forwarded-for')?.split(',')[0]?.trim() || 'local';
        if (env.supabase) {
          throw new ApiError(404, 'not_found', 'Sign-in goes through the Supabase project configured for this server (SUPABASE_URL).');
        }
        const retryAfterS = limiter.retryAfterS(email, client);
        if (retryAfterS > 0) throw tooManyAttempts(requestLocale(c), retryAfterS);
        const account = await accountByEmail(db, email);
        // Same answer for an unknown email and a wrong password: the reply must not reveal who has an account.
        if (!account || !(await verifyPassword(password, account.passwordHash))) {
          limiter.fail(email, client);
          throw new ApiError(401, 'invalid_credentials', 'The email or password is not correct.');
        }
        limiter.succeed(email, client);
        // Told only to whoever knows the password: saying so spares them guessing it is wrong.
        if (account.active === false) {
          throw new ApiError(401, 'account_disabled', translate(requestLocale(c), 'account_disabled'));
        }
        const token = await issueToken(jwtSecret, {
          id: account.userId,
          email,
          tokenVersion: account.tokenVersion,
          mustChangePassword: account.mustChangePassword,
        });
        return c.json({ access_token: token, token_type: 'bearer' as const, expires_in: TOKEN_LIFETIME_S });
      })
      .post('/password', zValidator('json', passwordChange, validationHook), async (c) => {
        const claims = c.get('claims');
        if (claims.role !== 'authenticated') throw new ApiError(401, 'unauthorized', 'Sign in first.');
        if (env.supabase)
          throw new ApiError(404, 'not_found', 'Passwords are changed through the Supabase project configured for this server.');
        const account = await accountById(db, claims.sub!);
        if (!account) throw new ApiError(404, 'not_found', 'This account has no local password to change.');
        const { current, next } = c.req.valid('json');
        const locale = requestLocale(c);
        const client = c.req.header('x-forwarded-for')?.split(',')[0]?.trim() || 'local';
        const retryAfterS = passwordLimiter.retryAfterS(account.userId, client);
        if (retryAfterS > 0) throw tooManyAttempts(requestLocale(c), retryAfterS);
        const check = checkPassword(next, { email: account.email, current });
        if (!check.valid) {
          throw new ApiError(
            422,
            'weak_password',
            translate(locale, `passwordReason_${check.reason}`, { min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH }),
            [{ path: 'next', reason: check.reason }],
          );
        }
        const version = await changeOwnPassword(db, account, current, next);
        if (version === null) {
          passwordLimiter.fail(account.userId, client);
          throw new ApiError(422, 'wrong_current_password', translate(locale, 'currentPasswordWrong'), [
            { path: 'current', reason: 'wrong' },
          ]);
        }
        const token = await issueToken(jwtSecret, { id: account.userId, email: account.email, tokenVersion: version });
        return c.json({ access_token: token, token_type: 'bearer' as const, expires_in: TOKEN_LIFETIME_S });
      })
      .post('/logout', async (c) => {
        const claims = c.get('claims');
        if (claims.role !== 'authenticated') throw new ApiError(401, 'unauthorized', 'Sign in first.');
        // A Supabase session's token has no jti of ours: the web app signs out of Supabase itself.
        if (typeof claims.jti === 'string') await revokeToken(db, claims);
        return c.body(null, 204);
      })
      .get('/me', async (c) => {
        const claims = c.get('claims');
        if (claims.role !== 'authenticated') throw new ApiError(401, 'unauthorized', 'Sign in first.');
        const me = await asCaller(db, claims, callerProfile);
        const presenting = claims.presentation === true;
        return c.json({
          userId: claims.sub!,
          email: String(claims.email ?? ''),
          presenting,
          mustChangePassword: claims.must_change_password === true,
          staff: me.staff,
          installationAdmin: me.installationAdmin,
          scope: me.scope,
          can: capabilitiesOf(me.staff?.role ?? null, presenting),
        } satisfies Me);
      })
  );
}
