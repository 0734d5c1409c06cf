/**
 * Concurrency suite (issue 10): two people doing the same thing at the same moment, through the
 * API on both databases. One wins; the other gets a 409 that says what happened; nothing is lost
 * or written twice. Races covered elsewhere, not repeated here: 20 concurrent registrations
 * (issues-api.test.ts, gap-free numbers), concurrent visits under one Idempotency-Key
 * (visits-api.test.ts, one row), two patrols started at once (patrols-api.test.ts).
 * docs/reliability.md lists them all and what they found.
 */
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth/tokens';
import { readEnv } from '../../api/env';
import { ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** A valid 18-digit resident ID number from its first 17 digits. */
const withCheck = (b: string) => b + '10X98765432'[W.reduce((s, w, i) => s + w * Number(b[i]), 0) % 11];

describeEachDatabase('concurrent writers', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  /** As a demo account (an email) or a bearer token. */
  const call = async (who: string, method: string, path: string, body?: unknown) => {
    const isForm = body instanceof FormData;
    const res = await signedIn(app(), db(), who.includes('@') ? who : 'nobody').request(path, {
      method,
      headers: {
        ...(body === undefined || isForm ? {} : { 'content-type': 'application/json' }),
        ...(who.includes('@') ? {} : { authorization: `Bearer ${who}` }),
      },
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const one = async <T = any>(sql: string, params: unknown[] = []) => (await db().query<T>(sql, params))[0]!;
  const staffEmail = ROLE_ACCOUNTS.community_staff;

  let grid: number;
  let neighbour: number;
  let building: number;
  /** A second community staff member of the same community, signed in. */
  let colleague: { token: string; name: string };
  let staffName: string;

  /** Both grids' new shapes when `buildingId` passes from `from` to `to` (as in boundary-commit-api.test.ts). */
  const transfer = (buildingId: number, from: number, to: number) =>
    one<{ grown: unknown; shrunk: unknown }>(
      `with t as (select boundary from public.grids where id = $3), f as (select boundary from public.grids where id = $2),
            b as (select footprint from public.buildings where id = $1),
            piece as (select ST_CollectionExtract(ST_Intersection(f.boundary, ST_Expand(ST_Collect(b.footprint, ST_ClosestPoint(ST_Boundary(t.boundary), b.footprint)), 0.00002), 1e-7), 3) as g from t, f, b)
       select ST_AsGeoJSON(ST_Multi(ST_Union(t.boundary, piece.g, 1e-7)))::json as grown, ST_AsGeoJSON(ST_Multi(ST_Difference(f.boundary, piece.g, 1e-7)))::json as shrunk
       from t, f, piece`,
      [buildingId, from, to],
    );
  const version = async (id: number) => (await one<{ version: number }>('select version from public.grids where id = $1', [id])).version;
  const gridOf = async (id: number) => (await one<{ grid_id: number }>('select grid_id from public.buildings where id = $1', [id])).grid_id;

  beforeAll(async () => {
    ({ grid, neighbour, building } = await one(
      `with a as (select g.id, g.boundary from public.grids g join public.staff_grids sg on sg.grid_id = g.id join public.staff s on s.id = sg.staff_id
                  where s.email = $1 order by g.id limit 1)
       select a.id as grid, b.grid_id as neighbour, b.id as building
       from public.buildings b join public.grids n on n.id = b.grid_id, a
       where n.id <> a.id and n.community_id = (select community_id from public.grids where id = a.id)
         and ST_DWithin(b.footprint, a.boundary, 0.0004)
         and not exists (select 1 from public.buildings o where o.id <> b.id and ST_Intersects(o.footprint,
               ST_Expand(ST_Collect(b.footprint, ST_ClosestPoint(ST_Boundary(a.boundary), b.footprint)), 0.00002)))
       order by b.id limit 1`,
      [ROLE_ACCOUNTS.grid_leader],
    ));
    ({ name: staffName } = await one('select name from public.staff where email = $1', [staffEmail]));
    // The demo has one signed-in community staff member per community: give a colleague a sign-in for this database.
    const other = await one<{ user_id: string; email: string; name: string }>(
      `update public.staff s set user_id = coalesce(s.user_id, gen_random_uuid())
       where s.id = (select o.id from public.staff o join public.staff me on me.email = $1
                     where o.community_id = me.community_id and o.role = 'community_staff' and o.id <> me.id and o.active order by o.id limit 1)
       returning s.user_id, s.email, s.name`,
      [staffEmail],
    );
    colleague = { token: await issueToken(TEST_JWT_SECRET, { id: other.user_id, email: other.email }), name: other.name };
  });

  it('lets one of two approvals-or-rejections of the same proposal win; the other gets a 409 and changes nothing', async () => {
    const v = { grid: await version(grid), neighbour: await version(neighbour) };
    const { grown, shrunk } = await transfer(building, neighbour, grid);
    const proposed = await call(ROLE_ACCOUNTS.grid_leader, 'PUT', `/api/grids/${grid}/boundary`, {
      geometry: grown,
      version: v.grid,
      reason: '同一小区的楼栋',
      neighbours: [{ gridId: neighbour, version: v.neighbour, geometry: shrunk }],
    });
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(202);
    const id = proposed.body.proposal.id;
    const [approve, reject] = await Promise.all([
      call(staffEmail, 'POST', `/api/boundary-proposals/${id}/approve`, { note: '同意' }),
      call(colleague.token, 'POST', `/api/boundary-proposals/${id}/reject`, { note: '先协商' }),
    ]);
    expect([approve.status, reject.status].sort(), JSON.stringify([approve.body, reject.body])).toEqual([200, 409]);
    const loser = approve.status === 409 ? approve : reject;
    expect(loser.body.error).toMatchObject({ code: 'proposal_decided', message: expect.stringMatching(/already (approved|rejected)/) });
    const { status } = await one('select status from public.boundary_proposals where id = $1', [id]);
    if (approve.status === 200) {
      expect(status).toBe('approved');
      expect([await version(grid), await version(neighbour), await gridOf(building)]).toEqual([v.grid + 1, v.neighbour + 1, grid]);
    } else {
      expect(status).toBe('rejected');
      expect([await version(grid), await version(neighbour), await gridOf(building)]).toEqual([v.grid, v.neighbour, neighbour]);
    }
  });

  it('lets one of two editors saving the same grid win; the other gets a 409 naming who changed it, when, and the version now', async () => {
    const from = await gridOf(building);
    const to = from === grid ? neighbour : grid;
    const v = { to: await version(to), from: await version(from) };
    const { grown, shrunk } = await transfer(building, from, to);
    const body = { geometry: grown, version: v.to, reason: '同时保存', neighbours: [{ gridId: from, version: v.from, geometry: shrunk }] };
    const [mine, theirs] = await Promise.all([
      call(staffEmail, 'PUT', `/api/grids/${to}/boundary`, body),
      call(colleague.token, 'PUT', `/api/grids/${to}/boundary`, body),
    ]);
    expect([mine.status, theirs.status].sort()).toEqual([200, 409]);
    const [winner, loser] = mine.status === 200 ? [staffName, theirs] : [colleague.name, mine];
    expect(loser.body.error).toMatchObject({ code: 'stale_version', details: { gridId: to, currentVersion: v.to + 1, yourVersion: v.to } });
    expect(loser.body.error.message).toContain(`changed by ${winner}`);
    expect(await version(to)).toBe(v.to + 1);
    expect(await gridOf(building)).toBe(to);
    expect((await one('select count(*)::int as n from public.grid_versions where grid_id = $1 and valid_to is null', [to])).n).toBe(1);
  });

  it('lets one of two workers handle the same issue; the other gets a 409 saying what it is now', async () => {
    const { gridId, x, y } = await one(
      `select sg.grid_id as "gridId", ST_X(p) as x, ST_Y(p) as y from public.staff_grids sg join public.staff s on s.id = sg.staff_id
       join public.grids g on g.id = sg.grid_id, lateral (select ST_PointOnSurface(g.boundary) as p) q where s.email = $1 order by 1 limit 1`,
      [ROLE_ACCOUNTS.grid_member],
    );
    const registered = await call(ROLE_ACCOUNTS.grid_member, 'POST', '/api/issues', {
      category: 'public_facility',
      description: '路灯不亮',
      location: { type: 'Point', coordinates: [x, y] },
      complexity: 'ordinary',
      tier: 'on_spot',
      receivedAt: `${DEMO_TODAY}T09:30:00+08:00`,
    });
    expect(registered.body.gridId).toBe(gridId);
    const id = registered.body.id;
    const answers = await Promise.all(
      [ROLE_ACCOUNTS.grid_member, ROLE_ACCOUNTS.grid_leader].map((who) =>
        call(who, 'POST', `/api/issues/${id}/transitions`, { to: 'accepted' }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)!.body.error.message).toMatch(/is accepted .*cannot go to "accepted"/);
    expect((await one(`select count(*)::int as n from public.issue_events where issue_id = $1 and kind = 'accepted'`, [id])).n).toBe(1);
  });

  it('commits a batch once when its commit is sent twice at the same moment: one 200, one 409, no duplicate rows', async () => {
    const { x, y } = await one(
      `select ST_X(p) as x, ST_Y(p) as y from public.grids g join public.staff s on s.community_id = g.community_id and s.email = $1
       cross join lateral (select ST_PointOnSurface(ST_Buffer(g.boundary::geography, -40)::geometry) as p) q order by g.id limit 1`,
      [staffEmail],
    );
    const features = [0, 1, 2].map((i) => ({
      type: 'Feature',
      properties: { 地址: `并发路${i + 1}号` },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [x + i * 0.0001, y],
            [x + i * 0.0001 + 0.00005, y],
            [x + i * 0.0001 + 0.00005, y + 0.00005],
            [x + i * 0.0001, y + 0.00005],
            [x + i * 0.0001, y],
          ],
        ],
      },
    }));
    const fd = new FormData();
    fd.set('file', new File([JSON.stringify({ type: 'FeatureCollection', features })], 'b.geojson'));
    const dry = await call(staffEmail, 'POST', '/api/imports?kind=buildings', fd);
    expect(dry.status, JSON.stringify(dry.body)).toBe(201);
    const answers = await Promise.all([1, 2].map(() => call(staffEmail, 'POST', `/api/imports/${dry.body.id}/commit`)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)!.body.error.code).toBe('already_committed');
    expect((await one(`select count(*)::int as n from public.buildings where address like '并发路%'`)).n).toBe(3);
  });

  {
    /** A ledger (UTF-8 CSV, as a spreadsheet exports it) of one household. */
    const ledger = (h: {
      name: string;
      id: string;
      phone: string;
      address: string;
      unit: string | null;
      room: string;
      members: number;
    }) => {
      const fd = new FormData();
      fd.set(
        'file',
        new File(
          [
            `姓名,身份证号,联系电话,地址,单元,房号,人数\n${h.name},${h.id},${h.phone},${h.address},${h.unit ?? ''},${h.room},${h.members}\n`,
          ],
          '台账.csv',
        ),
      );
      return fd;
    };

    it('loses no update when two ledgers prepared from the same state change one household at once: one 200, one 409', async () => {
      const h = await one(
        `select h.id, h.head_name as name, h.id_number as "idNumber", b.address, h.unit, h.room
         from public.households h join public.buildings b on b.id = h.building_id join public.grids g on g.id = b.grid_id
         join public.staff s on s.community_id = g.community_id and s.email = $1
         where h.moved_out is null order by h.id limit 1`,
        [staffEmail],
      );
      // Matched by its ID number, or (the demo has few) by building, room and name.
      const base = { name: h.name, id: h.idNumber ?? '', address: h.address, unit: h.unit, room: h.room };
      const a = await call(staffEmail, 'POST', '/api/imports?kind=households', ledger({ ...base, phone: '13900000001', members: 2 }));
      const b = await call(staffEmail, 'POST', '/api/imports?kind=households', ledger({ ...base, phone: '13900000002', members: 5 }));
      expect([a.status, a.body.counts?.toUpdate, b.body.counts?.toUpdate], JSON.stringify(a.body.problems)).toEqual([201, 1, 1]);
      const answers = await Promise.all([a, b].map((d) => call(staffEmail, 'POST', `/api/imports/${d.body.id}/commit`)));
      expect(answers.map((r) => r.status).sort(), JSON.stringify(answers.map((r) => r.body))).toEqual([200, 409]);
      const loser = answers.find((r) => r.status === 409)!;
      expect(loser.body.error).toMatchObject({ code: 'import_conflict', message: expect.stringMatching(/changed since the dry run/) });
      const winner = answers[0]!.status === 200 ? { phone: '13900000001', members: 2 } : { phone: '13900000002', members: 5 };
      expect(await one('select phone, members from public.households where id = $1', [h.id])).toEqual(winner);
    });

    it('writes a new household once when two ledgers that both add it commit at once: one 200, one 409', async () => {
      const { address } = await one(
        `select b.address from public.buildings b join public.grids g on g.id = b.grid_id join public.staff s on s.community_id = g.community_id and s.email = $1 order by b.id limit 1`,
        [staffEmail],
      );
      const id = withCheck('36010219770707123');
      const row = { name: '并发新户', id, phone: '13900000003', address, unit: '1', room: '909', members: 3 };
      const dry = [
        await call(staffEmail, 'POST', '/api/imports?kind=households', ledger(row)),
        await call(staffEmail, 'POST', '/api/imports?kind=households', ledger(row)),
      ];
      expect(
        dry.map((d) => d.body.counts?.toInsert),
        JSON.stringify(dry[0]!.body.problems),
      ).toEqual([1, 1]);
      const answers = await Promise.all(dry.map((d) => call(staffEmail, 'POST', `/api/imports/${d.body.id}/commit`)));
      expect(answers.map((r) => r.status).sort(), JSON.stringify(answers.map((r) => r.body))).toEqual([200, 409]);
      expect(answers.find((r) => r.status === 409)!.body.error.code).toBe('import_conflict');
      expect((await one('select count(*)::int as n from public.households where id_number = $1', [id])).n).toBe(1);
    });
  }
});
