/**
 * Salted, slow password hashes with Node's built-in scrypt (no native dependency): N = 2^15,
 * r = 8, p = 1 costs ~100 ms and 32 MiB per attempt, which makes guessing expensive while a
 * login stays quick. The parameters travel with the hash so they can be raised later.
 */
import { randomBytes, type ScryptOptions, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))));

const PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const MAXMEM = 64 * 1024 * 1024;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { ...PARAMS, maxmem: MAXMEM });
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const key = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return timingSafeEqual(key, expected);
}

// No 0/O, 1/l/I: the one-time password is read out over the phone or copied from a note.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A one-time password the person must change at first sign-in: 14 characters, letters and digits. */
export function generateInitialPassword(): string {
  for (;;) {
    const bytes = randomBytes(14);
    const password = [...bytes].map((b) => ALPHABET[b % ALPHABET.length]).join('');
    if (/\d/.test(password) && /[a-z]/i.test(password)) return password;
  }
}
