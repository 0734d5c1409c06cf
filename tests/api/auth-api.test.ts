import { sign } from 'hono/jwt';
import { expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth/tokens';
import { readEnv } from '../../api/env';
import { DEFAULT_POLICY } from '../../geo/domain/visit-policy';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('sign-in', (_mode, db) => {
  // One app for the suite, so the login limiter's memory carries across requests as in production.
  let shared: ReturnType<typeof createApp> | undefined;
  const app = () => (shared ??= createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }));
  const call = async (method: string, path: string, opts: { token?: string; body?: unknown; ip?: string } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.ip) headers['x-forwarded-for'] = opts.ip;
    const res = await app().request(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const login = (email: string, password = DEMO_PASSWORD, ip = '10.0.0.1') =>
    call('POST', '/api/auth/login', { body: { email, password }, ip });

  it.each(DEMO_ACCOUNTS.map((e) => [e]))('signs %s in with the demo password and knows their role', async (email) => {
    const { status, body } = await login(email);
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 3600, access_token: expect.any(String) });
    const me = await call('GET', '/api/auth/me', { token: body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(email);
    const role = {
      street: 'street_leader',
      community: 'community_staff',
      grid01: 'grid_leader',
      member01: 'grid_member',
      presenter: 'presenter',
    }[email.split('@')[0] as 'street'];
    expect(me.body.staff.role).toBe(role);
  });

  it('answers a wrong password and an unknown email alike', async () => {
    const wrong = await login('street@demo.local', 'nope', '10.0.0.2');
    const unknown = await login('nobody@demo.local', 'nope', '10.0.0.3');
    expect(wrong).toEqual(unknown);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_credentials');
  });

  it('stops password guessing with a 429, even for the right password', async () => {
    for (let i = 0; i < 5; i++) expect((await login('presenter@demo.local', `guess${i}`, '10.9.9.9')).status).toBe(401);
    const blocked = await login('presenter@demo.local', DEMO_PASSWORD, '10.9.9.9');
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('too_many_attempts');
  });

  it('refuses forged, expired, tampered and unsigned tokens with a 401', async () => {
    const good = (await login('community@demo.local', DEMO_PASSWORD, '10.0.0.4')).body.access_token as string;
    const [h, p] = good.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'service_role' })).toString('base64url')}.${good.split('.')[2]}`;
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    const forged = await sign({ ...claims }, 'another-secret-0123456789abcdef0123456789', 'HS256');
    const expired = await issueToken(TEST_JWT_SECRET, { id: claims.sub, email: claims.email }, Date.now() - 2 * 3600_000);
    for (const token of [tampered, unsigned, forged, expired, 'garbage']) {
      const res = await call('GET', '/api/auth/me', { token });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('invalid_token');
    }
  });

  it('lets signed-in community staff add a policy version for their community, and no other', async () => {
    const token = (await login('community@demo.local', DEMO_PASSWORD, '10.0.0.5')).body.access_token as string;
    const me = (await call('GET', '/api/auth/me', { token })).body.staff;
    const mine = await call('PUT', `/api/policies/${me.communityId}`, {
      token,
      body: { validFrom: '2030-01-01', settings: { ...DEFAULT_POLICY, intervals: { ...DEFAULT_POLICY.intervals, elderly: 14 } } },
    });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ communityId: me.communityId, validFrom: '2030-01-01' });
    const listed = (await call('GET', '/api/policies', { token })).body.policies;
    expect(listed.some((p: any) => p.communityId === me.communityId && p.settings.intervals.elderly === 14)).toBe(true);
    const other = await call('PUT', `/api/policies/${me.communityId + 1}`, {
      token,
      body: { validFrom: '2030-01-01', settings: DEFAULT_POLICY },
    });
    expect(other.status).toBe(403);
    const leader = (await login('grid01@demo.local', DEMO_PASSWORD, '10.0.0.6')).body.access_token as string;
    expect(
      (await call('PUT', `/api/policies/${me.communityId}`, { token: leader, body: { validFrom: '2031-01-01', settings: DEFAULT_POLICY } }))
        .status,
    ).toBe(403);
  });
});
