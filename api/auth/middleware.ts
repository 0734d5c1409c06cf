import { createMiddleware } from 'hono/factory';
import { ApiError } from '../lib/errors';
import { ANONYMOUS, type AppEnv } from '../lib/request-db';
import type { TokenVerifier } from './tokens';

/**
 * Puts the caller's claims on the context: those of a valid bearer token, or the anonymous role
 * when there is none. A token that is present but bad (forged, expired, wrong algorithm) is a 401,
 * never a silent downgrade to anonymous.
 *
 * `X-Presentation: 1` adds the claim `presentation: true`, which the database's masking honours
 * whatever the role: the street leader's laptop on the meeting-room projector shows no names.
 * A header can only ever take rights away, so trusting it from the client is safe.
 */
export function authenticate(verify: TokenVerifier) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      c.set('claims', ANONYMOUS);
      return next();
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new ApiError(401, 'invalid_token', 'The Authorization header must be "Bearer <token>".');
    try {
      const claims = await verify(m[1]!);
      const presenting = /^(1|true)$/i.test(c.req.header('x-presentation') ?? '');
      c.set('claims', presenting ? { ...claims, presentation: true } : claims);
    } catch {
      throw new ApiError(401, 'invalid_token', 'The access token is invalid or has expired; sign in again.');
    }
    return next();
  });
}

/** Everything but health, sign-in and static files needs a signed-in caller. */
export const requireSignIn = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get('claims').role !== 'authenticated') {
    throw new ApiError(401, 'unauthorized', 'Sign in first: this request needs an access token (Authorization: Bearer …).');
  }
  return next();
});
