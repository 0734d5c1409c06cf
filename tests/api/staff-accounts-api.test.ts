/**
 * Staff accounts through the API (issue 18): who creates whom, one-time passwords that must be
 * changed, disabling, sign-out and password reset, each taking effect on the very next request,
 * and every change in the audit log.
 */
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { enterAsCaller } from '../../api/lib/request-db';
import { claimsOf, type DemoRole, ROLE_ACCOUNTS } from '../support/callers';
import { inRolledBackTransaction } from '../support/databases';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_PASSWORD, DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('staff accounts', (_mode, db) => {
  let shared: ReturnType<typeof createApp> | undefined;
  const app = () => (shared ??= createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }));
  let ip = 0;
  const call = async (method: string, path: string, opts: { token?: string; body?: unknown; lang?: string } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-forwarded-for': `10.1.0.${++ip % 250}` };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.lang) headers['accept-language'] = opts.lang;
    const res = await app().request(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
  };
  const login = async (email: string, password: string) => call('POST', '/api/auth/login', { body: { email, password } });
  const tokens = {} as Record<DemoRole, string>;
  const as = (who: DemoRole, method: string, path: string, body?: unknown, lang?: string) =>
    call(method, path, { token: tokens[who], body, lang });

  let myCommunity: number;
  let otherCommunity: number;
  let myGrid: number;
  let n = 0;
  const person = (role: string, extra: Record<string, unknown> = {}) => ({
    name: `测试${++n}`,
    phone: '13800000000',
    email: `new${n}.${Date.now()}@example.org`,
    role,
    ...extra,
  });

  beforeAll(async () => {
    for (const [role, email] of Object.entries(ROLE_ACCOUNTS) as [DemoRole, string][]) {
      tokens[role] = (await login(email, DEMO_PASSWORD)).body.access_token;
    }
    [{ community_id: myCommunity }] = (await db().query<{ community_id: number }>(
      'select community_id from public.staff where email = $1',
      [ROLE_ACCOUNTS.community_staff],
    )) as [{ community_id: number }];
    [{ id: otherCommunity }] = (await db().query<{ id: number }>('select id from public.communities where id <> $1 order by id limit 1', [
      myCommunity,
    ])) as [{ id: number }];
    [{ id: myGrid }] = (await db().query<{ id: number }>('select id from public.grids where community_id = $1 order by id limit 1', [
      myCommunity,
    ])) as [{ id: number }];
  });

  it('lets the street leader create community staff and anyone below in the street, each with a one-time password', async () => {
    for (const [role, extra] of [
      ['community_staff', { communityId: otherCommunity }],
      ['grid_leader', { communityId: myCommunity, gridIds: [myGrid] }],
      ['grid_member', { communityId: otherCommunity }],
      ['presenter', {}],
    ] as const) {
      const res = await as('street_leader', 'POST', '/api/staff', person(role, extra));
      expect(res.status, role).toBe(201);
      expect(res.body.staff).toMatchObject({ role, active: true });
      expect(res.body.initialPassword).toMatch(/^[A-Za-z0-9]{14}$/);
    }
  });

  it('lets community staff create grid leaders, members and colleagues in their own community only', async () => {
    const member = await as('community_staff', 'POST', '/api/staff', person('grid_member', { gridIds: [myGrid] }));
    expect(member.status).toBe(201);
    expect(member.body.staff).toMatchObject({ communityId: myCommunity, gridIds: [myGrid] });
    expect((await as('community_staff', 'POST', '/api/staff', person('grid_leader'))).status).toBe(201);
    const elsewhere = await as('community_staff', 'POST', '/api/staff', person('grid_member', { communityId: otherCommunity }));
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error).toMatchObject({ code: 'out_of_scope', details: [{ path: 'communityId' }] });
  });

  it("refuses a role above the creator's own, in the caller's language, and writes nothing", async () => {
    const [{ count: before }] = (await db().query<{ count: number }>('select count(*)::int as count from public.staff')) as [
      { count: number },
    ];
    const zh = await as('community_staff', 'POST', '/api/staff', person('street_leader'));
    expect(zh.status).toBe(403);
    expect(zh.body.error).toMatchObject({ code: 'role_above_own', details: [{ path: 'role' }] });
    expect(zh.body.error.message).toContain('街道领导');
    const en = await as('street_leader', 'POST', '/api/staff', person('street_leader'), 'en-GB,en;q=0.9');
    expect(en.body.error.code).toBe('role_above_own');
    expect(en.body.error.message).toMatch(/^You cannot give the role "Street leader"/i);
    expect((await as('community_staff', 'POST', '/api/staff', person('presenter'))).body.error.code).toBe('role_above_own');
    for (const who of ['grid_leader', 'grid_member', 'presenter'] as const) {
      expect((await as(who, 'POST', '/api/staff', person('grid_member', { communityId: myCommunity }))).status, who).toBe(403);
    }
    const [{ count: after }] = (await db().query<{ count: number }>('select count(*)::int as count from public.staff')) as [
      { count: number },
    ];
    expect(after).toBe(before);
  });

  it('enforces the role ceiling in the database itself, whatever the API checks', async () => {
    const refused = await inRolledBackTransaction(db(), async (tx) => {
      await enterAsCaller(tx, await claimsOf(tx, ROLE_ACCOUNTS.community_staff));
      return tx
        .query(
          `insert into public.staff (street_id, community_id, name, role) select street_id, community_id, 'x', 'street_leader' from public.staff where email = $1`,
          [ROLE_ACCOUNTS.community_staff],
        )
        .then(
          () => 'allowed',
          (e: Error) => e.message,
        );
    });
    expect(refused).toMatch(/row-level security/);
    const leader = await inRolledBackTransaction(db(), async (tx) => {
      await enterAsCaller(tx, await claimsOf(tx, ROLE_ACCOUNTS.street_leader));
      return tx
        .query(
          `insert into public.staff (street_id, name, role) select street_id, 'x', 'street_leader' from public.staff where email = $1`,
          [ROLE_ACCOUNTS.street_leader],
        )
        .then(
          () => 'allowed',
          (e: Error) => e.message,
        );
    });
    expect(leader).toMatch(/row-level security/);
  });

  it('refuses a staff email already taken, located, and writes nothing', async () => {
    const [{ count: before }] = (await db().query<{ count: number }>('select count(*)::int as count from public.audit_log')) as [
      { count: number },
    ];
    const res = await as('community_staff', 'POST', '/api/staff', { ...person('grid_member'), email: ROLE_ACCOUNTS.grid_leader });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'email_taken', details: [{ path: 'email' }] });
    expect(res.body.error.message).toContain(ROLE_ACCOUNTS.grid_leader);
    const [{ count: after }] = (await db().query<{ count: number }>('select count(*)::int as count from public.audit_log')) as [
      { count: number },
    ];
    expect(after).toBe(before);
  });

  it('makes a one-time password be changed first, refuses a weak one with its rule, and ends the old token', async () => {
    const p = person('grid_member');
    const created = await as('community_staff', 'POST', '/api/staff', p);
    const first = (await login(p.email, created.body.initialPassword)).body.access_token as string;
    expect((await call('GET', '/api/auth/me', { token: first })).body.mustChangePassword).toBe(true);
    const blocked = await call('GET', '/api/grids', { token: first });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('password_change_required');

    const weak = await call('POST', '/api/auth/password', {
      token: first,
      body: { current: created.body.initialPassword, next: 'short1' },
    });
    expect(weak.status).toBe(422);
    expect(weak.body.error).toMatchObject({ code: 'weak_password', details: [{ path: 'next', reason: 'too_short' }] });
    expect(weak.body.error.message).toBe('密码至少需要 10 个字符。');
    const letters = await call('POST', '/api/auth/password', {
      token: first,
      body: { current: created.body.initialPassword, next: 'onlyletterspassword' },
      lang: 'zh-TW',
    });
    expect(letters.body.error).toMatchObject({ code: 'weak_password', message: '密碼需同時包含字母和數字。' });
    const wrong = await call('POST', '/api/auth/password', { token: first, body: { current: 'not-it-at-all', next: 'Hutong-2026-lanes' } });
    expect(wrong.body.error.code).toBe('wrong_current_password');

    const changed = await call('POST', '/api/auth/password', {
      token: first,
      body: { current: created.body.initialPassword, next: 'Hutong-2026-lanes' },
    });
    expect(changed.status).toBe(200);
    expect((await call('GET', '/api/grids', { token: first })).body.error.code).toBe('token_revoked');
    expect((await call('GET', '/api/grids', { token: changed.body.access_token })).status).toBe(200);
    const again = (await login(p.email, 'Hutong-2026-lanes')).body.access_token as string;
    expect((await call('GET', '/api/auth/me', { token: again })).body.mustChangePassword).toBe(false);
    expect((await login(p.email, created.body.initialPassword)).status).toBe(401);
  });

  it('stops guessing the current password through a valid token after ten wrong tries, whatever the address', async () => {
    const p = person('grid_member');
    const created = await as('community_staff', 'POST', '/api/staff', p);
    const token = (await login(p.email, created.body.initialPassword)).body.access_token as string;
    for (let i = 0; i < 10; i++) {
      const wrong = await call('POST', '/api/auth/password', { token, body: { current: `guess-${i}`, next: 'Hutong-2026-lanes' } });
      expect(wrong.body.error.code).toBe('wrong_current_password');
    }
    const blocked = await call('POST', '/api/auth/password', {
      token,
      body: { current: created.body.initialPassword, next: 'Hutong-2026-lanes' },
    });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error).toMatchObject({ code: 'too_many_attempts', message: '登录失败次数过多，请 15 分钟后再试' });
  });

  it('disables an account: its tokens stop at once, a new event stream is refused, it cannot sign in, its history stays', async () => {
    const p = person('grid_member');
    const created = await as('community_staff', 'POST', '/api/staff', p);
    const id = created.body.staff.id as number;
    const first = (await login(p.email, created.body.initialPassword)).body.access_token as string;
    await call('POST', '/api/auth/password', { token: first, body: { current: created.body.initialPassword, next: 'Lane-7-courtyard' } });
    const token = (await login(p.email, 'Lane-7-courtyard')).body.access_token as string;
    expect((await call('GET', '/api/auth/me', { token })).status).toBe(200);

    expect((await as('grid_leader', 'PATCH', `/api/staff/${id}`, { active: false })).status).toBe(403);
    const off = await as('community_staff', 'PATCH', `/api/staff/${id}`, { active: false });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    for (const path of ['/api/auth/me', '/api/grids', '/api/events']) {
      const res = await call('GET', path, { token });
      expect(res.status, path).toBe(401);
      expect(res.body.error.code, path).toBe('account_disabled');
    }
    const signIn = await login(p.email, 'Lane-7-courtyard');
    expect(signIn.status).toBe(401);
    expect(signIn.body.error.code).toBe('account_disabled');
    const [history] = await db().query<{ n: number }>(`select count(*)::int as n from public.audit_log where staff_id = $1`, [id]);
    expect(history!.n).toBeGreaterThan(0);

    expect((await as('community_staff', 'PATCH', `/api/staff/${id}`, { active: true })).status).toBe(200);
    expect((await login(p.email, 'Lane-7-courtyard')).status).toBe(200);
  });

  it("changes name, role and scope within the ceiling, and never one's own access", async () => {
    const created = await as('street_leader', 'POST', '/api/staff', person('grid_member', { communityId: myCommunity, gridIds: [myGrid] }));
    const id = created.body.staff.id as number;
    const renamed = await as('community_staff', 'PATCH', `/api/staff/${id}`, { name: '王小明', role: 'grid_leader' });
    expect(renamed.body).toMatchObject({ name: '王小明', role: 'grid_leader', gridIds: [myGrid] });
    expect((await as('community_staff', 'PATCH', `/api/staff/${id}`, { role: 'street_leader' })).body.error.code).toBe('role_above_own');
    const moved = await as('street_leader', 'PATCH', `/api/staff/${id}`, { communityId: otherCommunity });
    expect(moved.body).toMatchObject({ communityId: otherCommunity, gridIds: [] });
    expect((await as('community_staff', 'PATCH', `/api/staff/${id}`, { name: '越界' })).body.error.code).toBe('out_of_scope');
    const myId = (await as('community_staff', 'GET', '/api/auth/me')).body.staff.id as number;
    expect((await as('community_staff', 'PATCH', `/api/staff/${myId}`, { active: false })).body.error.code).toBe('own_access');
  });

  it('signs out the token it is called with, and only that one', async () => {
    const one = (await login(ROLE_ACCOUNTS.grid_leader, DEMO_PASSWORD)).body.access_token as string;
    const two = (await login(ROLE_ACCOUNTS.grid_leader, DEMO_PASSWORD)).body.access_token as string;
    expect((await call('POST', '/api/auth/logout', { token: one })).status).toBe(204);
    const after = await call('GET', '/api/auth/me', { token: one });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('token_revoked');
    expect((await call('GET', '/api/auth/me', { token: two })).status).toBe(200);
  });

  it('resets a password by whoever may manage the person, ending their tokens', async () => {
    const p = person('grid_member');
    const created = await as('community_staff', 'POST', '/api/staff', p);
    const id = created.body.staff.id as number;
    const token = (await login(p.email, created.body.initialPassword)).body.access_token as string;
    for (const who of ['grid_leader', 'grid_member', 'presenter'] as const) {
      expect((await as(who, 'POST', `/api/staff/${id}/password-reset`)).status, who).toBeGreaterThanOrEqual(403);
    }
    const other = await as('street_leader', 'POST', '/api/staff', person('grid_member', { communityId: otherCommunity }));
    expect((await as('community_staff', 'POST', `/api/staff/${other.body.staff.id}/password-reset`)).status).toBe(403);

    const reset = await as('community_staff', 'POST', `/api/staff/${id}/password-reset`);
    expect(reset.status).toBe(200);
    expect(reset.body.initialPassword).not.toBe(created.body.initialPassword);
    expect((await call('GET', '/api/auth/me', { token })).body.error.code).toBe('token_revoked');
    expect((await login(p.email, created.body.initialPassword)).status).toBe(401);
    const fresh = (await login(p.email, reset.body.initialPassword)).body.access_token as string;
    expect((await call('GET', '/api/auth/me', { token: fresh })).body.mustChangePassword).toBe(true);
    expect((await as('street_leader', 'POST', `/api/staff/${id}/password-reset`)).status).toBe(200);
  });

  it('records every account change in the audit log', async () => {
    const rows = await db().query<{ action: string; table_name: string; reason: string | null }>(
      `select distinct action, table_name, reason from public.audit_log where table_name in ('staff', 'local_accounts')`,
    );
    const seen = rows.map((r) => `${r.table_name}:${r.action}:${r.reason ?? ''}`);
    for (const entry of [
      'staff:insert:',
      'staff:update:',
      'local_accounts:update:account_created',
      'local_accounts:update:password_change',
      'local_accounts:update:password_reset',
      'local_accounts:update:logout',
    ]) {
      expect(seen).toContain(entry);
    }
    const [secret] = await db().query<{ n: number }>(
      `select count(*)::int as n from public.audit_log where new_values::text like '%scrypt%'`,
    );
    expect(secret!.n).toBe(0);
  });
});
