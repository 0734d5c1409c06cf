import { createMiddleware } from 'hono/factory';
import { ApiError } from '../lib/errors';
import { ANONYMOUS, type AppEnv, type Claims } from '../lib/request-db';
import type { SessionCheck } from './session-check';
import type { TokenVerifier } from './tokens';

/**
 * Puts the caller's claims on the context: those of a valid bearer token, or the anonymous role
 * when there is none. A token that is present but bad (forged, expired, wrong algorithm) is a 401,
 * never a silent downgrade to anonymous.
 *
 * `X-Presentation: 1` adds the claim `presentation: true`, which the database's masking honours
 * whatever the role: the street leader's laptop on the meeting-room projector shows no names.
 * A header can only ever take rights away, so trusting it from the client is safe.
 *
 * A well-signed token still has to stand in the database (session-check.ts): a disabled account's,
 * a signed-out one, or one older than the account's last password change is a 401.
 */
export function authenticate(verify: TokenVerifier, check: SessionCheck) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      c.set('claims', ANONYMOUS);
      return next();
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new ApiError(401, 'invalid_token', 'The Authorization header must be "Bearer <token>".');
    let claims: Claims;
    try {
      claims = await verify(m[1]!);
    } catch {
      throw new ApiError(401, 'invalid_token', 'The access token is invalid or has expired; sign in again.');
    }
    const state = await check(claims);
    if (state === 'disabled') throw new ApiError(401, 'account_disabled', 'This account has been disabled; ask whoever manages it.');
    if (state === 'revoked') throw new ApiError(401, 'token_revoked', 'This token was signed out or its password changed; sign in again.');
    const presenting = /^(1|true)$/i.test(c.req.header('x-presentation') ?? '');
    c.set('claims', presenting ? { ...claims, presentation: true } : claims);
    return next();
  });
}

/**
 * Everything but health, sign-in and static files needs a signed-in caller, and one whose
 * password is not a one-time one still to be changed (POST /api/auth/password stays open).
 */
export const requireSignIn = createMiddleware<AppEnv>(async (c, next) => {
  const claims = c.get('claims');
  if (claims.role !== 'authenticated') {
    throw new ApiError(401, 'unauthorized', 'Sign in first: this request needs an access token (Authorization: Bearer …).');
  }
  if (claims.must_change_password === true) {
    throw new ApiError(
      403,
      'password_change_required',
      'Set a new password first (POST /api/auth/password): this one was a one-time password.',
    );
  }
  return next();
});
