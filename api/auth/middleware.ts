import { createMiddleware } from 'hono/factory';
import { ApiError } from '../lib/errors';
import { ANONYMOUS, type AppEnv } from '../lib/request-db';
import { verifyToken } from './tokens';

/**
 * Puts the caller's claims on the context: those of a valid bearer token, or the anonymous role
 * when there is none. A token that is present but bad (forged, expired, wrong algorithm) is a 401,
 * never a silent downgrade to anonymous.
 */
export function authenticate(secret: string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) {
      c.set('claims', ANONYMOUS);
      return next();
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new ApiError(401, 'invalid_token', 'The Authorization header must be "Bearer <token>".');
    try {
      c.set('claims', await verifyToken(secret, m[1]!));
    } catch {
      throw new ApiError(401, 'invalid_token', 'The access token is invalid or has expired; sign in again.');
    }
    return next();
  });
}
