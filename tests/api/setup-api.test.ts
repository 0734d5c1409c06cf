/**
 * A real street's start (issue 18): an empty installation is set up once (POST /api/setup), its
 * street leader sees the getting-started checklist, and an installation administrator creates
 * further streets and their leaders while seeing nothing inside any street.
 */
import { expect, it } from 'vitest';
import { createApp } from '../../api/app';
import type { Database } from '../../api/db/database';
import { readEnv } from '../../api/env';
import { addInstallationAdmin } from '../../api/streets/installation-admins';
import { ROLE_ACCOUNTS } from '../support/callers';
import { describeEachDatabase, describeEachMigratedDatabase } from '../support/each-database';
import { DEMO_PASSWORD, DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

function caller(db: () => Database) {
  let shared: ReturnType<typeof createApp> | undefined;
  const app = () => (shared ??= createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }));
  return async (method: string, path: string, opts: { token?: string; body?: unknown; lang?: string } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.lang) headers['accept-language'] = opts.lang;
    const res = await app().request(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
  };
}

const SETUP = {
  street: { name: '滨江街道', code: '360102001000' },
  admin: { name: '王建国', email: 'wang@binjiang.example.cn', password: 'Binjiang2026river' },
};

describeEachMigratedDatabase('setting up an empty installation', (_mode, db) => {
  const call = caller(db);
  let leader: string;

  it('asks for setup, refuses a bad division code and a weak password by rule, then creates the street and signs its leader in', async () => {
    expect((await call('GET', '/api/setup')).body).toEqual({ needed: true, mode: 'local' });

    const badCode = await call('POST', '/api/setup', { body: { ...SETUP, street: { ...SETUP.street, code: '36010200100' } } });
    expect(badCode.status).toBe(422);
    expect(badCode.body.error).toMatchObject({ code: 'invalid_street_code', details: [{ path: 'street.code', reason: 'not_12_digits' }] });
    expect(badCode.body.error.message).toContain('12 位');
    const village = await call('POST', '/api/setup', { body: { ...SETUP, street: { ...SETUP.street, code: '360102001007' } }, lang: 'en' });
    expect(village.body.error).toMatchObject({ code: 'invalid_street_code', details: [{ reason: 'not_a_township' }] });
    expect(village.body.error.message).toMatch(/township/);

    const weak = await call('POST', '/api/setup', { body: { ...SETUP, admin: { ...SETUP.admin, password: 'abcdefghij' } } });
    expect(weak.status).toBe(422);
    expect(weak.body.error).toMatchObject({
      code: 'weak_password',
      details: [{ path: 'admin.password', reason: 'needs_letter_and_digit' }],
    });
    // Nothing of the refused attempts was written.
    expect((await call('GET', '/api/setup')).body.needed).toBe(true);

    const done = await call('POST', '/api/setup', { body: SETUP });
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({ token_type: 'bearer', street: { name: '滨江街道', code: '360102001000' } });
    leader = done.body.access_token;
    const me = await call('GET', '/api/auth/me', { token: leader });
    expect(me.body).toMatchObject({
      mustChangePassword: false,
      installationAdmin: false,
      staff: { name: '王建国', role: 'street_leader' },
    });
    // The password chosen at setup signs in.
    expect((await call('POST', '/api/auth/login', { body: { email: SETUP.admin.email, password: SETUP.admin.password } })).status).toBe(
      200,
    );

    // The street has no boundary yet: the map is told so rather than given NaN corners.
    const config = await call('GET', '/api/config', { token: leader });
    expect(config.body.streets).toMatchObject([{ name: '滨江街道', bbox: null, communities: [] }]);
  });

  it('is over once a street exists: a second setup is 409 already_set_up, whatever it sends', async () => {
    expect((await call('GET', '/api/setup')).body.needed).toBe(false);
    const again = await call('POST', '/api/setup', { body: { ...SETUP, street: { name: '别的街道', code: '360102002000' } } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_set_up');
    expect((await db().query('select count(*)::int as n from public.streets'))[0]).toEqual({ n: 1 });
  });

  it("gives the new street's leader a checklist of six steps, none done, in order", async () => {
    const list = await call('GET', '/api/setup/checklist', { token: leader });
    expect(list.status).toBe(200);
    expect(list.body.done).toBe(false);
    expect(list.body.steps.map((s: { step: string; count: number; done: boolean }) => [s.step, s.count, s.done])).toEqual([
      ['communities', 0, false],
      ['grids', 0, false],
      ['buildings', 0, false],
      ['staff', 0, false],
      ['households', 0, false],
      ['history', 0, false],
    ]);
    // A colleague added is the staff step done; the leader alone is not.
    const added = await call('POST', '/api/staff', {
      token: leader,
      body: { name: '李投影', email: 'projector@binjiang.example.cn', role: 'presenter' },
    });
    expect(added.status).toBe(201);
    const after = await call('GET', '/api/setup/checklist', { token: leader });
    expect(after.body.steps.find((s: { step: string }) => s.step === 'staff')).toEqual({ step: 'staff', count: 1, done: true });
    expect((await call('GET', '/api/setup/checklist')).status).toBe(401);
  });

  it('lets an installation administrator create a street and its leader (one-time password), and see counts but no personal data', async () => {
    const { initialPassword } = await addInstallationAdmin(db(), { name: '区信息中心', email: 'it@district.example.cn' });
    let admin = (await call('POST', '/api/auth/login', { body: { email: 'it@district.example.cn', password: initialPassword } })).body
      .access_token;
    // A one-time password first: nothing else until it is changed.
    expect((await call('GET', '/api/streets', { token: admin })).status).toBe(403);
    admin = (await call('POST', '/api/auth/password', { token: admin, body: { current: initialPassword, next: 'District2026office' } }))
      .body.access_token;
    expect((await call('GET', '/api/auth/me', { token: admin })).body).toMatchObject({ installationAdmin: true, staff: null });

    const made = await call('POST', '/api/streets', {
      token: admin,
      body: { street: { name: '沙井街道', code: '360102003000' }, leader: { name: '赵敏', email: 'zhao@shajing.example.cn' } },
    });
    expect(made.status).toBe(201);
    expect(made.body.leader.initialPassword).toMatch(/^[A-Za-z0-9]{14}$/);
    const newLeader = await call('POST', '/api/auth/login', {
      body: { email: 'zhao@shajing.example.cn', password: made.body.leader.initialPassword },
    });
    expect(newLeader.status).toBe(200);
    const claims = JSON.parse(Buffer.from(newLeader.body.access_token.split('.')[1], 'base64url').toString());
    expect(claims.must_change_password).toBe(true);

    const streets = await call('GET', '/api/streets', { token: admin });
    expect(streets.body.map((s: { code: string; staff: number }) => [s.code, s.staff])).toEqual([
      ['360102001000', 2],
      ['360102003000', 1],
    ]);
    expect(Object.keys(streets.body[0]).sort()).toEqual([
      'code',
      'communities',
      'createdAt',
      'grids',
      'households',
      'id',
      'isDemo',
      'name',
      'staff',
    ]);
    // Inside a street the administrator is nobody: no street, no staff list, no audit.
    expect((await call('GET', '/api/config', { token: admin })).body.streets).toEqual([]);
    expect((await call('GET', '/api/staff', { token: admin })).body).toEqual({ staff: [] });

    const taken = await call('POST', '/api/streets', {
      token: admin,
      body: { street: { name: '重复', code: '360102003000' }, leader: { name: '某', email: 'x@shajing.example.cn' } },
    });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({ code: 'code_taken', details: [{ path: 'street.code' }] });
    const emailTaken = await call('POST', '/api/streets', {
      token: admin,
      body: { street: { name: '新街道', code: '360102004000' }, leader: { name: '某', email: 'zhao@shajing.example.cn' } },
    });
    expect(emailTaken.body.error).toMatchObject({ code: 'email_taken', details: [{ path: 'leader.email' }] });
    expect((await db().query(`select count(*)::int as n from public.streets where code = '360102004000'`))[0]).toEqual({ n: 0 });

    // A street leader is not an installation administrator.
    const refused = await call('POST', '/api/streets', {
      token: leader,
      body: { street: { name: '越权街道', code: '360102005000' }, leader: { name: '某', email: 'y@example.cn' } },
    });
    expect(refused.status).toBe(403);
    expect((await call('GET', '/api/streets', { token: leader })).body).toEqual([]);
  });
});

describeEachDatabase('setup on the demo street', (_mode, db) => {
  const call = caller(db);
  it('refuses setup and shows no checklist once the street has everything, and none to anyone but its leader', async () => {
    expect((await call('POST', '/api/setup', { body: SETUP })).status).toBe(409);
    const login = async (email: string) =>
      (await call('POST', '/api/auth/login', { body: { email, password: DEMO_PASSWORD } })).body.access_token;
    const leader = await call('GET', '/api/setup/checklist', { token: await login(ROLE_ACCOUNTS.street_leader) });
    expect(leader.body.steps.filter((s: { done: boolean }) => !s.done)).toEqual([]);
    expect(leader.body.done).toBe(true);
    expect(leader.body.steps.every((s: { count: number }) => s.count > 0)).toBe(true);
    expect((await call('GET', '/api/setup/checklist', { token: await login(ROLE_ACCOUNTS.community_staff) })).body).toEqual({
      steps: [],
      done: true,
    });
  });
});
