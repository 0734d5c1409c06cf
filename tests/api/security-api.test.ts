/**
 * What every response tells the browser (a strict Content-Security-Policy, no framing), who may
 * call the API cross-origin, how big a request may be, and how long a statement may run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { connect } from '../../api/db/connect';
import type { Database } from '../../api/db/database';
import { readEnv } from '../../api/env';
import { tokenOf } from '../support/callers';
import { seededPglite } from '../support/databases';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';
import { describeWith, postgresPrerequisite } from '../support/prerequisites';

describe('security headers, CORS and request size', () => {
  let db: Database;
  beforeAll(async () => {
    db = await seededPglite();
  });
  afterAll(() => db.close());
  const app = (vars: Record<string, string> = {}) => createApp({ db, env: readEnv({ DEMO_TODAY, ...vars }), jwtSecret: TEST_JWT_SECRET });
  const csp = (res: Response) =>
    Object.fromEntries(
      (res.headers.get('content-security-policy') ?? '')
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((d) => d[0])
        .map(([name, ...values]) => [name!, values]),
    );

  it.each(['/api/health', '/api/no-such-route'])('sends a strict policy with every response (%s)', async (path) => {
    const res = await app().request(path);
    const policy = csp(res);
    expect(policy['default-src']).toEqual(["'self'"]);
    expect(policy['script-src']).toEqual(["'self'"]);
    expect(policy['style-src']).toEqual(["'self'"]);
    expect(policy['object-src']).toEqual(["'none'"]);
    expect(policy['frame-ancestors']).toEqual(["'none'"]);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('lets the page load nothing from elsewhere with no basemap configured', async () => {
    const policy = csp(await app().request('/api/health'));
    expect(policy['connect-src']).toEqual(["'self'"]);
    expect(policy['img-src']).toEqual(["'self'", 'data:', 'blob:']);
  });

  it('allows the configured basemap’s and Supabase’s hosts, and only them', async () => {
    const policy = csp(
      await app({
        BASEMAP: 'osm',
        CSP_ALLOW_HOSTS: 'https://tiles.example.org',
        SUPABASE_URL: 'https://abc.supabase.co',
        SUPABASE_ANON_KEY: 'k',
      }).request('/api/health'),
    );
    expect(policy['img-src']).toEqual(["'self'", 'data:', 'blob:', 'https://tiles.example.org', 'https://tile.openstreetmap.org']);
    expect(policy['connect-src']).toEqual([
      "'self'",
      'https://tiles.example.org',
      'https://tile.openstreetmap.org',
      'https://abc.supabase.co',
    ]);
    expect(policy['script-src']).toEqual(["'self'"]);
  });

  const preflight = (origin: string, vars: Record<string, string> = {}) =>
    app(vars).request('/api/stats/grids', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });

  it('answers a cross-origin preflight from a configured origin', async () => {
    const res = await preflight('https://dashboard.example.org', { CORS_ORIGINS: 'https://dashboard.example.org' });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://dashboard.example.org');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('does not let any other origin read the API', async () => {
    for (const vars of [{}, { CORS_ORIGINS: 'https://dashboard.example.org' }] as Record<string, string>[]) {
      const res = await preflight('https://evil.example.com', vars);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const get = await app(vars).request('/api/health', { headers: { origin: 'https://evil.example.com' } });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('refuses a body over 2 MB with a 413 that says the limit, before reading it all', async () => {
    const token = await tokenOf(db, 'grid01@demo.local');
    const res = await app().request('/api/grids/1/boundary/preview', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ geometry: { type: 'Polygon', coordinates: [[[0, 0]]] }, padding: 'x'.repeat(2.5 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('payload_too_large');
    expect(body.error.message).toContain('2 MB');
  });

  it('refuses configured origins and hosts that are not bare origins, naming the setting', () => {
    expect(() => readEnv({ CORS_ORIGINS: 'https://ok.example.org, *' })).toThrow(/CORS_ORIGINS/);
    expect(() => readEnv({ CSP_ALLOW_HOSTS: "https://x.org; script-src 'unsafe-inline'" })).toThrow(/CSP_ALLOW_HOSTS/);
    expect(readEnv({ CSP_ALLOW_HOSTS: 'https://*.tiles.example.org' }).cspAllowHosts).toEqual(['https://*.tiles.example.org']);
  });
});

describeWith(postgresPrerequisite(), 'statement timeout on PostgreSQL', () => {
  it('cancels a statement that runs longer than STATEMENT_TIMEOUT_MS', async () => {
    const db = await connect({ kind: 'postgres', url: postgresPrerequisite().url!, statementTimeoutMs: 200 });
    try {
      await expect(db.query('select pg_sleep(2)')).rejects.toMatchObject({ code: '57014' });
      // The connection is still usable after the cancel.
      expect(await db.query<{ one: number }>('select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});
