/**
 * Access tokens with Supabase's claim shape (sub, role 'authenticated', aud, email, exp), signed
 * HS256 — the same algorithm as a Supabase project's legacy JWT secret, so one verifier serves
 * both. The secret comes from JWT_SECRET, or is generated once into the data directory.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sign } from 'hono/jwt';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Claims } from '../lib/request-db';

export const TOKEN_LIFETIME_S = 3600;

/**
 * Besides Supabase's claims, our own tokens carry a `jti` (what a sign-out revokes), the account's
 * `ver` (token_version: a password change or reset bumps it and so ends every older token) and,
 * while the password is a one-time one, `must_change_password`.
 */
export async function issueToken(
  secret: string,
  user: { id: string; email: string; tokenVersion?: number; mustChangePassword?: boolean },
  now = Date.now(),
): Promise<string> {
  const iat = Math.floor(now / 1000);
  return sign(
    {
      sub: user.id,
      email: user.email,
      role: 'authenticated',
      aud: 'authenticated',
      iat,
      exp: iat + TOKEN_LIFETIME_S,
      jti: randomUUID(),
      ver: user.tokenVersion ?? 0,
      ...(user.mustChangePassword ? { must_change_password: true } : {}),
    },
    secret,
    'HS256',
  );
}

export type TokenVerifier = (token: string) => Promise<Claims>;

/**
 * Verifies access tokens: HS256 with the shared secret (our own tokens, or a Supabase project's
 * legacy JWT secret), and — when a Supabase project is configured — its asymmetric signing keys
 * (ES256/RS256) from the project's JWKS, fetched once and cached by jose. Throws on a bad
 * signature, an unexpected algorithm, a wrong audience, an expired token, or a token that is not
 * a signed-in user's.
 */
export function createTokenVerifier(opts: { secret: string; supabaseUrl?: string }): TokenVerifier {
  const hmacKey = new TextEncoder().encode(opts.secret);
  const jwks = opts.supabaseUrl
    ? createRemoteJWKSet(new URL('/auth/v1/.well-known/jwks.json', opts.supabaseUrl), { cooldownDuration: 30_000 })
    : undefined;
  return async (token) => {
    const { alg } = decodeProtectedHeader(token);
    const options = { audience: 'authenticated', clockTolerance: 5 };
    const { payload } =
      alg === 'HS256'
        ? await jwtVerify(token, hmacKey, { ...options, algorithms: ['HS256'] })
        : jwks
          ? await jwtVerify(token, jwks, { ...options, algorithms: ['ES256', 'RS256'] })
          : (() => {
              throw new Error(`tokens signed with ${String(alg)} need a configured Supabase project`);
            })();
    if (payload.role !== 'authenticated' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') {
      throw new Error('token is not a signed-in user token');
    }
    return { ...payload, role: 'authenticated', sub: payload.sub };
  };
}

/** JWT_SECRET if configured; else a random secret kept (0600) beside the embedded database. */
export function loadOrCreateSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'jwt-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
