/**
 * A grid's code and name after import (issue #8): PATCH /api/grids/:id. Who may (community
 * staff of the grid's community, not presenting; nobody else, by the API and by row-level
 * security itself), the street's scheme (15 digits with the community's prefix, or the street's
 * own pattern), codes and names already taken, stale versions, and the history: each change is a
 * new version ('recoded', 'renamed') while earlier dates keep the label they had. One seeded
 * database per engine; the tests run in order and build on each other's changes.
 */
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth/tokens';
import { readEnv } from '../../api/env';
import { type Claims, enterAsCaller } from '../../api/lib/request-db';
import { GRID_CODE_REASON } from '../../geo/import/grid-code';
import { claimsOf, type DemoRole, ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('grid codes and names', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  // Staff of community 2 have no local password (only the listed demo accounts do): signed in by token.
  let otherStaff: { email: string; userId: string; token: string };
  const call = async (email: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    if (email === otherStaff.email) headers = { ...headers, authorization: `Bearer ${otherStaff.token}` };
    const res = await signedIn(app(), db(), email).request(path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const patch = (email: string, gridId: number, body: unknown, headers: Record<string, string> = {}) =>
    call(email, 'PATCH', `/api/grids/${gridId}`, body, headers);
  const one = async <T = any>(sql: string, params: unknown[] = []) => (await db().query<T>(sql, params))[0]!;
  const gridRow = (id: number) =>
    one<{ code: string; name: string; version: number }>('select code, name, version from public.grids where id = $1', [id]);
  const versionCount = async (id: number) =>
    (await one<{ n: number }>('select count(*)::int as n from public.grid_versions where grid_id = $1', [id])).n;

  const STAFF = ROLE_ACCOUNTS.community_staff;
  let grid: { id: number; code: string; name: string; version: number; communityCode: string }; // a grid of community 1
  let sibling: { id: number; code: string; name: string }; // another grid of community 1
  let otherGrid: { id: number; code: string }; // a grid of community 2

  beforeAll(async () => {
    const rows = await db().query<any>(
      `select g.id, g.code, g.name, g.version, c.code as "communityCode", c.id as "communityId"
       from public.grids g join public.communities c on c.id = g.community_id
       where c.id = (select community_id from public.staff where email = $1) order by g.id limit 2`,
      [STAFF],
    );
    [grid, sibling] = rows;
    otherGrid = await one(
      `select g.id, g.code from public.grids g where g.community_id <> (select community_id from public.staff where email = $1) order by g.id limit 1`,
      [STAFF],
    );
    expect(grid.communityCode).toMatch(/^\d{12}$/);
    // Only the listed demo accounts can sign in: this one gets a sign-in subject of its own.
    const o = await one<{ email: string; userId: string }>(
      `update public.staff set user_id = coalesce(user_id, gen_random_uuid())
       where id = (select id from public.staff where role = 'community_staff' and community_id <> (select community_id from public.staff where email = $1) order by id limit 1)
       returning email, user_id as "userId"`,
      [STAFF],
    );
    expect(o.userId).toBeTruthy();
    otherStaff = { ...o, token: await issueToken(TEST_JWT_SECRET, { id: o.userId, email: o.email }) };
  });

  it('refuses everyone but the staff of the grid’s community, and a presentation, writing nothing', async () => {
    const before = await gridRow(grid.id);
    const body = { code: `${grid.communityCode}901`, expectedVersion: before.version };
    const refusals: [string, string, Record<string, string>][] = [
      ...(['street_leader', 'grid_leader', 'grid_member', 'presenter'] as DemoRole[]).map(
        (r) => [r, ROLE_ACCOUNTS[r], {}] as [string, string, Record<string, string>],
      ),
      ['staff of another community', otherStaff.email, {}],
      ['community staff presenting', STAFF, { 'x-presentation': '1' }],
    ];
    for (const [who, email, headers] of refusals) {
      const res = await patch(email, grid.id, body, headers);
      expect(res.status, `${who}: ${JSON.stringify(res.body)}`).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect(await gridRow(grid.id)).toEqual(before);
    // The grid leader really does lead this grid: the refusal is about the role, not the scope.
    expect(
      (
        await one(
          'select count(*)::int as n from public.staff_grids sg join public.staff s on s.id = sg.staff_id where s.email = $1 and sg.grid_id = $2',
          [ROLE_ACCOUNTS.grid_leader, grid.id],
        )
      ).n,
    ).toBe(1);
  });

  it('row-level security refuses a direct update by the same roles, and allows the community’s staff', async () => {
    // Claims first: PGlite has one connection, so no db() query inside the transaction.
    const tryUpdate = async (email: string, extra: Record<string, unknown> = {}) => {
      const claims: Claims =
        email === otherStaff.email
          ? { role: 'authenticated', aud: 'authenticated', sub: otherStaff.userId, email, ...extra }
          : await claimsOf(db(), email, extra);
      return db()
        .transaction(async (tx) => {
          await enterAsCaller(tx, claims);
          const rows = await tx.query(`update public.grids set name = name || '·' where id = $1 returning id`, [grid.id]);
          // Roll back whatever happened: this only asks whether the row was writable.
          throw Object.assign(new Error('rollback'), { rows: rows.length });
        })
        .catch((e: { rows?: number }) => e.rows);
    };
    for (const role of ['grid_leader', 'grid_member', 'presenter'] as DemoRole[]) {
      expect(await tryUpdate(ROLE_ACCOUNTS[role]), role).toBe(0);
    }
    // The street leader's street-wide grid imports redraw grids by code (20261209000200_communities.sql);
    // PATCH /api/grids/:id still refuses them (above): codes and names are the community's.
    expect(await tryUpdate(ROLE_ACCOUNTS.street_leader), 'street leader').toBe(1);
    expect(await tryUpdate(otherStaff.email), 'another community').toBe(0);
    expect(await tryUpdate(STAFF, { presentation: true }), 'presenting').toBe(0);
    expect(await tryUpdate(STAFF), 'own community').toBe(1);
    expect((await gridRow(grid.id)).name).toBe(grid.name);
  });

  it('recodes a grid as a new version in its history, while earlier dates keep the old code', async () => {
    const newCode = `${grid.communityCode}901`;
    const res = await patch(STAFF, grid.id, { code: newCode, expectedVersion: grid.version, reason: '按区编码规则重编' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.changed).toBe(true);
    expect(res.body.grid.properties).toMatchObject({ id: grid.id, code: newCode, name: grid.name, version: grid.version + 1 });

    const history = await call(STAFF, 'GET', `/api/grids/${grid.id}/versions`);
    const last = history.body.versions.at(-1);
    expect(last).toMatchObject({ version: grid.version + 1, kind: 'recoded', code: newCode, name: grid.name, reason: '按区编码规则重编' });
    expect(last.staffName).toBeTruthy();
    const previous = history.body.versions.at(-2);
    expect(previous).toMatchObject({ version: grid.version, code: grid.code });
    expect(previous.validTo).toBe(last.validFrom);
    // Same boundary, same households: a relabel is no redraw.
    expect(last.areaM2).toBeCloseTo(previous.areaM2, 3);
    expect(last.households).toBe(previous.households);

    // Today's map and the OGC layer carry the new code; the product's today (before the change,
    // on the demo's pinned clock) and so every closed month still show the old one.
    const today = await call(STAFF, 'GET', '/api/grids');
    expect(today.body.features.find((f: any) => f.id === grid.id).properties.code).toBe(newCode);
    const then = await call(STAFF, 'GET', `/api/grids?asOf=${DEMO_TODAY}`);
    expect(then.body.features.find((f: any) => f.id === grid.id).properties).toMatchObject({ code: grid.code, version: grid.version });
    const ogc = await call(STAFF, 'GET', `/ogc/collections/grids/items/${grid.id}`, undefined, { accept: 'application/geo+json' });
    expect(ogc.body.properties.code).toBe(newCode);
    grid = { ...grid, code: newCode, version: grid.version + 1 };
  });

  it('renames a grid as a "renamed" version, and a request that changes nothing writes nothing', async () => {
    const res = await patch(STAFF, grid.id, { name: `${grid.name}（东）`, expectedVersion: grid.version });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [v] = await db().query<any>('select kind, code, name, reason from public.grid_versions where grid_id = $1 and valid_to is null', [
      grid.id,
    ]);
    expect(v).toEqual({ kind: 'renamed', code: grid.code, name: `${grid.name}（东）`, reason: null });
    grid = { ...grid, name: `${grid.name}（东）`, version: grid.version + 1 };

    const versions = await versionCount(grid.id);
    const same = await patch(STAFF, grid.id, { code: grid.code, name: `  ${grid.name} `, expectedVersion: grid.version });
    expect(same.status).toBe(200);
    expect(same.body.changed).toBe(false);
    expect(await versionCount(grid.id)).toBe(versions);
    expect((await gridRow(grid.id)).version).toBe(grid.version);
  });

  it('refuses a stale version naming who changed the grid, and a boundary editor open on the old version too', async () => {
    const res = await patch(STAFF, grid.id, { name: 'X 网格', expectedVersion: grid.version - 1 });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: 'stale_version',
      details: { currentVersion: grid.version, yourVersion: grid.version - 1, kind: 'renamed' },
    });
    expect(res.body.error.details.changedBy).toBeTruthy();
    expect(res.body.error.message).toContain(res.body.error.details.changedBy);
    // The version is the grid's, not the boundary's alone: a redraw saved against the version
    // seen before the rename is stale as well.
    const boundary = (await one<{ g: unknown }>('select ST_AsGeoJSON(boundary)::json as g from public.grids where id = $1', [grid.id])).g;
    const put = await call(STAFF, 'PUT', `/api/grids/${grid.id}/boundary`, {
      geometry: boundary,
      version: grid.version - 1,
      reason: '测试旧版本',
    });
    expect(put.status).toBe(409);
    expect(put.body.error.code).toBe('stale_version');
  });

  it('refuses codes outside the 15-digit scheme with the reason and an example of the community’s codes', async () => {
    const bad: [string, string][] = [
      ['3601020010', GRID_CODE_REASON.FORMAT],
      [`${grid.communityCode.slice(0, 9)}000001`, GRID_CODE_REASON.ZERO_PART],
      [`${grid.communityCode}000`, GRID_CODE_REASON.ZERO_PART],
      [`${otherGrid.code.slice(0, 12)}950`, GRID_CODE_REASON.PREFIX_MISMATCH],
    ];
    for (const [code, reason] of bad) {
      const res = await patch(STAFF, grid.id, { code, expectedVersion: grid.version });
      expect(res.status, code).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'invalid_grid_code', details: { reason, code, example: `${grid.communityCode}001` } });
      expect(res.body.error.message).toContain(code);
    }
    for (const body of [
      { code: '36 01', expectedVersion: grid.version },
      { expectedVersion: grid.version },
      { code: 'x'.repeat(41), expectedVersion: grid.version },
      { name: '', expectedVersion: grid.version },
      { name: 'a' },
    ]) {
      const res = await patch(STAFF, grid.id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    expect((await patch(STAFF, 2_000_000, { name: 'x', expectedVersion: 1 })).status).toBe(404);
    expect((await gridRow(grid.id)).version).toBe(grid.version);
  });

  it('refuses a code or a name another grid holds, naming that grid', async () => {
    const taken = await patch(STAFF, grid.id, { code: sibling.code, expectedVersion: grid.version });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toMatchObject({
      code: 'code_taken',
      details: { code: sibling.code, gridId: sibling.id, gridName: sibling.name },
    });
    expect(taken.body.error.message).toContain(sibling.name);
    // A grid of another street holds it: said, without naming what the caller may not see.
    await db().query(
      `insert into public.streets (code, name, boundary) select '999999999', '别的街道', boundary from public.streets where id = 1`,
    );
    await db().query(
      `insert into public.communities (street_id, code, name, boundary) select s.id, '999999999001', '别的社区', s.boundary from public.streets s where s.code = '999999999'`,
    );
    await db().query(
      `insert into public.grids (community_id, code, name, boundary)
       select c.id, $1, '别的网格', (select boundary from public.grids where id = $2) from public.communities c where c.code = '999999999001'`,
      [`${grid.communityCode}977`, otherGrid.id],
    );
    const elsewhere = await patch(STAFF, grid.id, { code: `${grid.communityCode}977`, expectedVersion: grid.version });
    expect(elsewhere.status).toBe(409);
    expect(elsewhere.body.error).toMatchObject({ code: 'code_taken', details: { gridId: null } });
    expect(elsewhere.body.error.message).not.toContain('别的网格');
    const name = await patch(STAFF, grid.id, { name: ` ${sibling.name} `, expectedVersion: grid.version });
    expect(name.status).toBe(409);
    expect(name.body.error).toMatchObject({ code: 'name_taken', details: { gridId: sibling.id, gridCode: sibling.code } });
    expect((await gridRow(grid.id)).version).toBe(grid.version);
  });

  it('takes the street’s own scheme where the street declares one', async () => {
    await db().query(
      `update public.streets set grid_code_pattern = '^WG-[0-9]{4}$' where id = (select street_id from public.communities where code = $1)`,
      [grid.communityCode],
    );
    try {
      const standard = await patch(STAFF, grid.id, { code: `${grid.communityCode}902`, expectedVersion: grid.version });
      expect(standard.status).toBe(422);
      expect(standard.body.error).toMatchObject({
        code: 'invalid_grid_code',
        details: { reason: GRID_CODE_REASON.STREET_PATTERN, pattern: '^WG-[0-9]{4}$' },
      });
      const own = await patch(STAFF, grid.id, { code: 'WG-0042', expectedVersion: grid.version });
      expect(own.status, JSON.stringify(own.body)).toBe(200);
      expect(own.body.grid.properties.code).toBe('WG-0042');
    } finally {
      await db().query('update public.streets set grid_code_pattern = null');
    }
    // A pattern that is not anchored at both ends is refused when it is declared.
    await expect(db().query(`update public.streets set grid_code_pattern = '[0-9]+' where id = 1`)).rejects.toThrow(/anchored/);
  });
});
