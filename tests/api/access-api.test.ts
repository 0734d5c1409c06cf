/**
 * The access matrix through the HTTP API: every role against every endpoint, what it gets and
 * what it is refused, and a sweep proving the presenter never receives a personal field.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { ROLE_CAPABILITIES } from '../../geo/domain/staff';
import { DEMO_ROLES, type DemoRole, ROLE_ACCOUNTS, signedIn, userIdOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('access through the API', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const call = async (who: DemoRole | 'nobody', path: string, init: RequestInit = {}) => {
    const requester = who === 'nobody' ? app() : signedIn(app(), db(), ROLE_ACCOUNTS[who]);
    const res = await requester.request(path, init);
    const text = await res.text();
    return { status: res.status, text, body: text ? (JSON.parse(text) as any) : null };
  };
  const reveal = (who: DemoRole, id: number, headers: Record<string, string> = {}) =>
    call(who, `/api/households/${id}/reveal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ reason: '核实困难救助申请' }),
    });

  let memberGrid: number;
  let otherGrid: number;
  let householdIn: number;
  let householdOut: number;
  let bbox: string;
  beforeAll(async () => {
    [{ grid_id: memberGrid }] = (await db().query<{ grid_id: number }>(
      `select sg.grid_id from public.staff_grids sg join public.staff s on s.id = sg.staff_id where s.email = $1 order by 1 limit 1`,
      [ROLE_ACCOUNTS.grid_member],
    )) as [{ grid_id: number }];
    [{ id: otherGrid }] = (await db().query<{ id: number }>(
      `select g.id from public.grids g where g.community_id <> (select community_id from public.staff where email = $1) order by id limit 1`,
      [ROLE_ACCOUNTS.community_staff],
    )) as [{ id: number }];
    const householdOf = async (grid: number) =>
      (
        await db().query<{ id: number }>(
          `select h.id from public.households h join public.buildings b on b.id = h.building_id
           where b.grid_id = $1 and h.moved_out is null and h.phone is not null order by h.id limit 1`,
          [grid],
        )
      )[0]!.id;
    householdIn = await householdOf(memberGrid);
    householdOut = await householdOf(otherGrid);
    const [b] = await db().query<{ bbox: string }>(
      `select concat_ws(',', ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) as bbox
       from (select ST_Extent(boundary) e from public.grids where id = $1) s`,
      [memberGrid],
    );
    bbox = b!.bbox;
  });

  const mapRoutes = () => [
    '/api/config',
    '/api/grids',
    '/api/communities',
    '/api/roads',
    `/api/buildings?bbox=${bbox}`,
    '/api/stats/grids',
    `/api/stats/buildings?bbox=${bbox}`,
    '/api/legend',
    '/api/policies',
  ];

  it('refuses every route but health and sign-in without a token', async () => {
    for (const path of [
      ...mapRoutes(),
      `/api/grids/${memberGrid}/overdue`,
      `/api/households?gridId=${memberGrid}`,
      `/api/households/${householdIn}`,
      '/api/audit',
      '/api/auth/me',
    ]) {
      const { status, body } = await call('nobody', path);
      expect(status, path).toBe(401);
      expect(body.error.code, path).toBe('unauthorized');
    }
    expect((await call('nobody', `/api/households/${householdIn}/reveal`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await call('nobody', '/api/policies/1', { method: 'PUT', body: '{}' })).status).toBe(401);
    expect((await call('nobody', '/api/health')).status).toBe(200);
    expect((await call('nobody', '/api/auth/config')).status).toBe(200);
  });

  it('serves the map and its figures to every role of the street', async () => {
    for (const role of DEMO_ROLES) {
      for (const path of mapRoutes()) expect((await call(role, path)).status, `${role} ${path}`).toBe(200);
    }
  });

  it('lists the demo accounts on the sign-in page of the demo street, with their roles', async () => {
    const { body } = await call('nobody', '/api/auth/config');
    expect(body.mode).toBe('local');
    expect(body.demoAccounts).toEqual(DEMO_ROLES.map((role) => ({ email: ROLE_ACCOUNTS[role], role })));
  });

  it('tells each role its scope and what it may do', async () => {
    for (const role of DEMO_ROLES) {
      const { body } = await call(role, '/api/auth/me');
      expect(body.staff.role).toBe(role);
      expect(body.can).toEqual(ROLE_CAPABILITIES[role]);
    }
    const member = (await call('grid_member', '/api/auth/me')).body;
    expect(member.staff.grids.map((g: any) => g.id)).toContain(memberGrid);
    expect(member.scope.fullGridIds).toEqual(member.staff.grids.map((g: any) => g.id).sort((a: number, b: number) => a - b));
    const street = (await call('street_leader', '/api/auth/me')).body;
    expect(street.scope.fullGridIds).toEqual([]);
    expect(street.scope.visibleGridIds.length).toBeGreaterThanOrEqual(15);
    const presenting = await signedIn(app(), db(), ROLE_ACCOUNTS.community_staff).request('/api/auth/me', {
      headers: { 'x-presentation': '1' },
    });
    expect(((await presenting.json()) as any).can.readHouseholds).toBe(false);
  });

  it.each([
    ['street_leader', 200, 200],
    ['community_staff', 200, 403],
    ['grid_leader', 200, 403],
    ['grid_member', 200, 403],
    ['presenter', 403, 403],
  ] as const)('gives the mop-up list to %s as the scope allows (own grid %i, other community %i)', async (role, own, other) => {
    expect((await call(role, `/api/grids/${memberGrid}/overdue`)).status).toBe(own);
    expect((await call(role, `/api/grids/${otherGrid}/overdue`)).status).toBe(other);
  });

  it.each([
    ['street_leader', 200, true],
    ['community_staff', 200, false],
    ['grid_leader', 200, false],
    ['grid_member', 200, false],
    ['presenter', 403, null],
  ] as const)('lists the households of a grid to %s (%i, masked: %s)', async (role, status, masked) => {
    const res = await call(role, `/api/households?gridId=${memberGrid}`);
    expect(res.status).toBe(status);
    if (masked === null) return;
    expect(res.body.households.length).toBeGreaterThan(100);
    expect(res.body.households.every((h: any) => h.masked === masked)).toBe(true);
    const withPhone = res.body.households.find((h: any) => h.phone);
    expect(withPhone.phone).toMatch(masked ? /^\d{3}\*{4}\d{4}$/ : /^\d{11}$/);
  });

  it('refuses a grid member the households of another grid, by list (403) and by guessing an id (404)', async () => {
    expect((await call('grid_member', `/api/households?gridId=${otherGrid}`)).status).toBe(403);
    const guess = await call('grid_member', `/api/households/${householdOut}`);
    expect(guess.status).toBe(404);
    expect(guess.text).not.toMatch(/headName/);
    expect((await call('grid_member', `/api/households/${householdIn}`)).status).toBe(200);
  });

  it('lets the street leader reveal a household with a reason, logged in the audit trail it can read', async () => {
    const res = await reveal('street_leader', householdIn);
    expect(res.status).toBe(200);
    const [truth] = await db().query<{ head_name: string; phone: string }>('select head_name, phone from public.households where id = $1', [
      householdIn,
    ]);
    expect(res.body).toMatchObject({ id: householdIn, headName: truth!.head_name, phone: truth!.phone, masked: false });
    const audit = await call('street_leader', '/api/audit?action=view_personal');
    expect(audit.status).toBe(200);
    expect(audit.body.entries[0]).toMatchObject({ action: 'view_personal', rowIds: [householdIn], reason: '核实困难救助申请' });
  });

  it('refuses a reveal without a reason (422), by the presenter (404) and during a presentation (403)', async () => {
    const noReason = await call('street_leader', `/api/households/${householdIn}/reveal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: '' }),
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toMatch(/reason/);
    expect((await reveal('presenter', householdIn)).status).toBe(404);
    const presenting = await reveal('street_leader', householdIn, { 'x-presentation': '1' });
    expect(presenting.status).toBe(403);
    expect(presenting.body.error.message).toMatch(/presentation/);
  });

  it.each([
    ['street_leader', 200],
    ['community_staff', 200],
    ['grid_leader', 403],
    ['grid_member', 403],
    ['presenter', 403],
  ] as const)('gives the audit trail to %s: %i', async (role, status) => {
    expect((await call(role, '/api/audit')).status).toBe(status);
  });

  it('logs who viewed whose personal data when a grid list is served unmasked', async () => {
    await call('grid_member', `/api/households?gridId=${memberGrid}`);
    const { body } = await call('community_staff', '/api/audit?action=view_personal');
    const memberId = (await db().query<{ id: number }>('select id from public.staff where email = $1', [ROLE_ACCOUNTS.grid_member]))[0]!.id;
    const entry = body.entries.find((e: any) => e.staffId === memberId);
    expect(entry).toMatchObject({ table: 'households', reason: 'list' });
    expect(entry.rowIds).toContain(householdIn);
  });

  it("lets community staff give a member a second grid, which widens the member's scope at once", async () => {
    const [member] = await db().query<{ id: number; community_id: number }>('select id, community_id from public.staff where email = $1', [
      ROLE_ACCOUNTS.grid_member,
    ]);
    const [second] = await db().query<{ id: number }>(
      'select id from public.grids where community_id = $1 and id <> $2 order by id limit 1',
      [member!.community_id, memberGrid],
    );
    const assign = (who: DemoRole, gridIds: number[]) =>
      call(who, `/api/staff/${member!.id}/grids`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ gridIds }),
      });
    expect((await call('grid_member', `/api/households?gridId=${second!.id}`)).status).toBe(403);
    expect((await assign('grid_leader', [memberGrid, second!.id])).status).toBe(403);
    const outside = await assign('community_staff', [memberGrid, otherGrid]);
    expect(outside.status).toBe(422);
    expect(outside.body.error.details.gridIds).toEqual([otherGrid]);
    const ok = await assign('community_staff', [memberGrid, second!.id]);
    expect(ok.status).toBe(200);
    expect(ok.body.gridIds).toEqual([memberGrid, second!.id].sort((a, b) => a - b));
    expect((await call('grid_member', `/api/households?gridId=${second!.id}`)).status).toBe(200);
    expect(
      (
        await call('presenter', `/api/staff/${member!.id}/grids`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: '{"gridIds":[]}',
        })
      ).status,
    ).toBe(404);
    // Back as it was, for the other tests of this suite.
    expect((await assign('community_staff', [memberGrid])).status).toBe(200);
  });

  it('refuses the household list to a presentation, whatever the role, even masked', async () => {
    const path = `/api/households?gridId=${memberGrid}`;
    expect((await call('presenter', path)).status).toBe(403);
    for (const role of ['street_leader', 'community_staff', 'grid_member'] as const) {
      const res = await signedIn(app(), db(), ROLE_ACCOUNTS[role]).request(path, { headers: { 'x-presentation': '1' } });
      expect(res.status, role).toBe(403);
      expect(await res.json(), role).toMatchObject({ error: { code: 'forbidden' } });
      // The same caller, not presenting, gets the list.
      expect((await signedIn(app(), db(), ROLE_ACCOUNTS[role]).request(path)).status, role).toBe(200);
    }
  });

  it('never sends the presenter, or any presentation request, a personal field', async () => {
    // Staff names are public (the map shows grid leaders, as the 网格公示牌 does); a resident who
    // happens to share one is not a leak.
    const people = await db().query<{ head_name: string; phone: string | null }>(
      `select h.head_name, h.phone from public.households h join public.buildings b on b.id = h.building_id
       where b.grid_id = $1 and h.head_name not in (select name from public.staff)`,
      [memberGrid],
    );
    const leaks = (text: string) => people.filter((p) => text.includes(p.head_name) || (p.phone && text.includes(p.phone)));
    const paths = [
      ...mapRoutes(),
      `/api/grids/${memberGrid}/overdue`,
      `/api/households?gridId=${memberGrid}`,
      `/api/households/${householdIn}`,
      '/api/audit',
      '/api/auth/me',
    ];
    for (const path of paths) {
      const asPresenter = await call('presenter', path);
      expect(leaks(asPresenter.text), `presenter ${path}`).toEqual([]);
      for (const role of ['street_leader', 'community_staff', 'grid_member'] as const) {
        const res = await signedIn(app(), db(), ROLE_ACCOUNTS[role]).request(path, { headers: { 'x-presentation': '1' } });
        expect(leaks(await res.text()), `${role} presenting ${path}`).toEqual([]);
      }
    }
    // The sweep can fail: the same list, not presenting, does name people.
    expect(leaks((await call('grid_member', `/api/households?gridId=${memberGrid}`)).text).length).toBeGreaterThan(100);
  });
});

describeEachDatabase('sign-in with a Supabase project', (mode, db) => {
  let jwksServer: http.Server;
  let supabaseUrl: string;
  let projectKey: CryptoKey;
  let strangerKey: CryptoKey;
  /** What the fake project's Auth was asked to invite, and with which key. */
  const invites: { email: string; key: string | undefined }[] = [];
  beforeAll(async () => {
    // The project's signing key, published the way Supabase Auth publishes it.
    const project = await generateKeyPair('ES256', { extractable: true });
    projectKey = project.privateKey;
    strangerKey = (await generateKeyPair('ES256')).privateKey;
    const jwk = { ...(await exportJWK(project.publicKey)), kid: 'project-key', alg: 'ES256', use: 'sig' };
    jwksServer = http.createServer((req, res) => {
      if (req.url === '/auth/v1/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      } else if (req.url === '/auth/v1/invite' && req.method === 'POST') {
        // GoTrue's invite: creates the Auth user (here a row of the test's auth.users) and answers it.
        let raw = '';
        req.on('data', (chunk) => (raw += chunk));
        req.on('end', async () => {
          const { email } = JSON.parse(raw) as { email: string };
          invites.push({ email, key: req.headers.apikey as string | undefined });
          if (req.headers.apikey !== 'service-key') return void res.writeHead(401).end(JSON.stringify({ msg: 'Invalid API key' }));
          const [user] = await db().query<{ id: string }>(
            'insert into auth.users (id, email) values (gen_random_uuid(), $1) returning id',
            [email],
          );
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: user!.id, email }));
        });
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    supabaseUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
    return () => new Promise<void>((r) => jwksServer.close(() => r()));
  });
  const app = (serviceRoleKey?: string) =>
    createApp({
      db: db(),
      env: readEnv({ DEMO_TODAY, SUPABASE_URL: supabaseUrl, SUPABASE_ANON_KEY: 'anon-key', SUPABASE_SERVICE_ROLE_KEY: serviceRoleKey }),
      jwtSecret: TEST_JWT_SECRET,
    });
  const supabaseToken = async (key: CryptoKey, sub: string, exp = '1h') =>
    new SignJWT({ role: 'authenticated', email: 'street@demo.local' })
      .setProtectedHeader({ alg: 'ES256', kid: 'project-key' })
      .setSubject(sub)
      .setAudience('authenticated')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(key);
  const me = async (token: string) => app().request('/api/auth/me', { headers: { authorization: `Bearer ${token}` } });

  it('verifies a token signed with the project key from its JWKS and maps sub to the staff record', async () => {
    const res = await me(await supabaseToken(projectKey, await userIdOf(db(), ROLE_ACCOUNTS.street_leader)));
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).staff.role).toBe('street_leader');
  });

  it('refuses a token signed with another key, or expired', async () => {
    const sub = await userIdOf(db(), ROLE_ACCOUNTS.street_leader);
    expect((await me(await supabaseToken(strangerKey, sub))).status).toBe(401);
    expect((await me(await supabaseToken(projectKey, sub, '-1m'))).status).toBe(401);
  });

  it('tells the web app to sign in through Supabase, and offers no local sign-in or demo accounts', async () => {
    const config = (await (await app().request('/api/auth/config')).json()) as any;
    expect(config).toEqual({ mode: 'supabase', supabase: { url: supabaseUrl, anonKey: 'anon-key' }, demoAccounts: [] });
    const login = await app().request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'street@demo.local', password: 'demo1234' }),
    });
    expect(login.status).toBe(404);
  });

  // Supabase is PostgreSQL: the fake Auth writes auth.users on a connection of its own, which the
  // embedded database (one connection, held by the request's transaction) cannot give it.
  if (mode === 'postgres')
    it('invites a new staff member through the project when it has the service-role key, links an existing Auth user, and creates nothing when the invitation fails', async () => {
      // Supabase's own auth.users, as far as link_auth_user reads it.
      await db().query('create table if not exists auth.users (id uuid primary key, email text)');
      const leader = await supabaseToken(projectKey, await userIdOf(db(), ROLE_ACCOUNTS.street_leader));
      const create = (key: string | undefined, email: string) =>
        app(key).request('/api/staff', {
          method: 'POST',
          headers: { authorization: `Bearer ${leader}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: '邀请测试', email, role: 'presenter' }),
        });
      const userOf = async (email: string) =>
        (await db().query<{ user_id: string | null }>('select user_id from public.staff where email = $1', [email]))[0];

      const invited = await create('service-key', 'invited@example.org');
      expect(invited.status).toBe(201);
      expect(await invited.json()).toMatchObject({ linked: true, invited: true });
      const [authUser] = await db().query<{ id: string }>(`select id from auth.users where email = 'invited@example.org'`);
      expect((await userOf('invited@example.org'))?.user_id).toBe(authUser!.id);
      expect(invites).toEqual([{ email: 'invited@example.org', key: 'service-key' }]);

      // Signed up already: linked, no invitation. Without the key: neither, the record waits.
      await db().query(`insert into auth.users (id, email) values (gen_random_uuid(), 'signed-up@example.org')`);
      expect(await (await create('service-key', 'signed-up@example.org')).json()).toMatchObject({ linked: true, invited: false });
      expect(await (await create(undefined, 'waiting@example.org')).json()).toMatchObject({ linked: false, invited: false });
      expect(invites).toHaveLength(1);

      // The project refuses the key: a clear 502, and no staff record without its sign-in.
      const refused = await create('wrong-key', 'refused@example.org');
      expect(refused.status).toBe(502);
      expect(((await refused.json()) as any).error).toMatchObject({
        code: 'invite_failed',
        message: expect.stringContaining('SUPABASE_SERVICE_ROLE_KEY'),
      });
      expect(await userOf('refused@example.org')).toBeUndefined();
      // The browser is never told the key.
      expect(JSON.stringify(await (await app('service-key').request('/api/auth/config')).json())).not.toContain('service-key');
    });
});
