/**
 * Access tokens with Supabase's claim shape (sub, role 'authenticated', aud, email, exp), signed
 * HS256 — the same algorithm as a Supabase project's legacy JWT secret, so one verifier serves
 * both. The secret comes from JWT_SECRET, or is generated once into the data directory.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { sign, verify } from 'hono/jwt';
import type { Claims } from '../lib/request-db';

export const TOKEN_LIFETIME_S = 3600;

export async function issueToken(secret: string, user: { id: string; email: string }, now = Date.now()): Promise<string> {
  const iat = Math.floor(now / 1000);
  return sign(
    { sub: user.id, email: user.email, role: 'authenticated', aud: 'authenticated', iat, exp: iat + TOKEN_LIFETIME_S },
    secret,
    'HS256',
  );
}

/** The claims of a valid token; throws on a bad signature, a wrong algorithm or an expired token. */
export async function verifyToken(secret: string, token: string): Promise<Claims> {
  const payload = await verify(token, secret, { alg: 'HS256', aud: 'authenticated' });
  if (payload.role !== 'authenticated' || typeof payload.sub !== 'string') {
    throw new Error('token is not a signed-in user token');
  }
  return { ...payload, role: 'authenticated', sub: payload.sub };
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
