/**
 * Committing grid boundaries (issue 5): versions and history, stale versions, invalid shapes,
 * all-or-nothing writes, concurrent saves, proposals between leaders, split, merge, revert,
 * comparing versions, statistics as of a date before a change, and who may do any of it (the
 * API and the database's own checks). One seeded database per engine; the tests run in order
 * and build on each other's changes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth/tokens';
import { readEnv } from '../../api/env';
import { enterAsCaller } from '../../api/lib/request-db';
import { BOUNDARY_PROBLEM } from '../../geo/geometry/grid-boundary.validation';
import { GRID_CHANGE_REASON } from '../../geo/geometry/grid-change.reasons';
import { splitLineOf } from '../support/boundary-changes';
import { claimsOf, ROLE_ACCOUNTS, signedIn, staffGridOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('boundary commit', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  /** As a demo account (its email) or a bearer token. */
  const call = async (who: string, method: string, path: string, body?: unknown) => {
    const res = await signedIn(app(), db(), who).request(path, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(who.includes('@') ? {} : { authorization: `Bearer ${who}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const q = async <T = any>(sql: string, params: unknown[] = []) => db().query<T>(sql, params);
  const one = async <T = any>(sql: string, params: unknown[] = []) => (await q<T>(sql, params))[0]!;
  const version = async (gridId: number) =>
    (await one<{ version: number }>('select version from public.grids where id = $1', [gridId])).version;
  const gridOf = async (buildingId: number) =>
    (await one<{ grid_id: number }>('select grid_id from public.buildings where id = $1', [buildingId])).grid_id;
  const counts = async () =>
    one<{ versions: number; history: number; audit: number; proposals: number }>(
      `select (select count(*)::int from public.grid_versions) as versions, (select count(*)::int from public.building_grid_history) as history,
              (select count(*)::int from public.audit_log) as audit, (select count(*)::int from public.boundary_proposals) as proposals`,
    );

  /**
   * Moves one shared edge so that `buildingId` passes from grid `from` to grid `to`: the piece of
   * `from` between the building and `to` (with a margin) goes to `to`. Both new shapes, by PostGIS.
   */
  const transfer = async (buildingId: number, from: number, to: number) =>
    one<{ grown: any; shrunk: any; pieceM2: number }>(
      `with t as (select boundary from public.grids where id = $3), f as (select boundary from public.grids where id = $2),
            b as (select footprint from public.buildings where id = $1),
            piece as (select ST_CollectionExtract(ST_Intersection(f.boundary, ST_Expand(ST_Collect(b.footprint, ST_ClosestPoint(ST_Boundary(t.boundary), b.footprint)), 0.00002), 1e-7), 3) as g from t, f, b)
       -- Fixed-precision overlays (the demo's 7 decimals): a floating one leaves a zero-width spike where the piece meets the grid.
       select ST_AsGeoJSON(ST_Multi(ST_Union(t.boundary, piece.g, 1e-7)))::json as grown, ST_AsGeoJSON(ST_Multi(ST_Difference(f.boundary, piece.g, 1e-7)))::json as shrunk,
              ST_Area(piece.g::geography) as "pieceM2"
       from t, f, piece`,
      [buildingId, from, to],
    );

  let grid: number; // the demo grid leader's grid
  let neighbour: number; // its neighbour, another leader's
  let building: number; // a building of the neighbour near their shared edge
  let buildingHouseholds: number;
  let staffEmail: string; // community staff of their community
  let staffName: string;
  let neighbourLeader: string; // a bearer token
  let statsBefore: { today: unknown; january: unknown };
  /** The figures of a stats answer; its statsVersion changes with every write, figures or not. */
  const figures = ({ statsVersion: _version, ...rest }: any) => rest;
  const splitGrids: number[] = [];

  beforeAll(async () => {
    ({ gridId: grid } = await staffGridOf(db(), ROLE_ACCOUNTS.grid_leader));
    // A building of a neighbouring grid whose transfer box touches no other building.
    const [c] = await q<{ neighbour: number; building: number; households: number }>(
      `with a as (select id, boundary from public.grids where id = $1)
       select b.grid_id as neighbour, b.id as building, hc.households
       from public.buildings b join public.grids n on n.id = b.grid_id, a, public.building_household_counts() hc
       where hc.building_id = b.id and n.id <> a.id and n.community_id = (select community_id from public.grids where id = $1)
         and ST_DWithin(b.footprint, a.boundary, 0.0004) and hc.households between 5 and 25
         and not exists (select 1 from public.buildings o where o.id <> b.id and ST_Intersects(o.footprint,
               ST_Expand(ST_Collect(b.footprint, ST_ClosestPoint(ST_Boundary(a.boundary), b.footprint)), 0.00002)))
       order by b.id limit 1`,
      [grid],
    );
    ({ neighbour, building, households: buildingHouseholds } = c!);
    const staff = await one<{ email: string; name: string }>(
      `select s.email, s.name from public.staff s join public.grids g on g.community_id = s.community_id
       where g.id = $1 and s.role = 'community_staff' and s.email = $2`,
      [grid, ROLE_ACCOUNTS.community_staff],
    );
    ({ email: staffEmail, name: staffName } = staff);
    // The neighbour's leader has no demo account: give the staff row a sign-in for this database.
    const leader = await one<{ user_id: string; email: string }>(
      `update public.staff s set user_id = coalesce(s.user_id, gen_random_uuid()) from public.staff_grids sg
       where sg.staff_id = s.id and sg.grid_id = $1 and s.role = 'grid_leader' returning s.user_id, s.email`,
      [neighbour],
    );
    neighbourLeader = await issueToken(TEST_JWT_SECRET, { id: leader.user_id, email: leader.email });
    const stats = async (asOf: string) => figures((await call(staffEmail, 'GET', `/api/stats/grids?asOf=${asOf}`)).body);
    statsBefore = { today: await stats(DEMO_TODAY), january: await stats('2026-01-31') };
  });

  it('gives every grid its version, and all 19 demo grids statistics as of a past month end', async () => {
    const { body } = await call(staffEmail, 'GET', '/api/grids');
    expect(body.features).toHaveLength(19);
    for (const f of body.features) expect(f.properties.version).toBe(1);
    expect((statsBefore.january as any).grids).toHaveLength(19);
    expect((statsBefore.january as any).grids.reduce((s: number, g: any) => s + g.households, 0)).toBeGreaterThan(4000);
  });

  it("refuses an invalid boundary with 422 and the preview's problems, writing nothing", async () => {
    const before = await counts();
    const { grown } = await transfer(building, neighbour, grid);
    const preview = await call(staffEmail, 'POST', `/api/grids/${grid}/boundary/preview`, { geometry: grown });
    const { status, body } = await call(staffEmail, 'PUT', `/api/grids/${grid}/boundary`, {
      geometry: grown,
      version: 1,
      reason: '把楼栋划入本网格',
    });
    expect(status).toBe(422);
    expect(body.error.code).toBe('invalid_boundary');
    expect(body.error.details.problems.map((p: any) => p.code)).toEqual(preview.body.problems.map((p: any) => p.code));
    expect(body.error.details.problems).toContainEqual(
      expect.objectContaining({ code: BOUNDARY_PROBLEM.OVERLAPS_GRID, details: expect.objectContaining({ gridId: neighbour }) }),
    );
    expect(await counts()).toEqual(before);
    expect(await version(grid)).toBe(1);
    expect(await gridOf(building)).toBe(neighbour);
  });

  it("turns a grid leader's change that takes a neighbour's building into a proposal (202) that changes nothing yet", async () => {
    const { grown, shrunk } = await transfer(building, neighbour, grid);
    const { status, body } = await call(ROLE_ACCOUNTS.grid_leader, 'PUT', `/api/grids/${grid}/boundary`, {
      geometry: grown,
      version: 1,
      reason: '楼栋与本网格同一小区',
      neighbours: [{ gridId: neighbour, version: 1, geometry: shrunk }],
    });
    expect(status).toBe(202);
    expect(body.proposal).toMatchObject({
      gridId: grid,
      status: 'pending',
      baseVersion: 1,
      affectedGridIds: expect.arrayContaining([grid, neighbour]),
    });
    expect(body.proposal.impact.buildingsIn).toContain(building);
    expect(await version(grid)).toBe(1);
    expect(await version(neighbour)).toBe(1);
    expect(await gridOf(building)).toBe(neighbour);
    // The neighbour's leader sees it; a leader cannot decide it.
    const seen = await call(neighbourLeader, 'GET', '/api/boundary-proposals?status=pending');
    expect(seen.body.proposals).toContainEqual(expect.objectContaining({ id: body.proposal.id, affectsMe: true, mayDecide: false }));
    expect((await call(neighbourLeader, 'POST', `/api/boundary-proposals/${body.proposal.id}/approve`, {})).status).toBe(403);
  });

  it('lets community staff reject a proposal with a note, leaving the boundaries as they were', async () => {
    const { grown, shrunk } = await transfer(building, neighbour, grid);
    const proposed = await call(ROLE_ACCOUNTS.grid_leader, 'PUT', `/api/grids/${grid}/boundary`, {
      geometry: grown,
      version: 1,
      reason: '第二个提议',
      neighbours: [{ gridId: neighbour, version: 1, geometry: shrunk }],
    });
    expect((await call(staffEmail, 'POST', `/api/boundary-proposals/${proposed.body.proposal.id}/reject`, {})).status).toBe(400);
    const { status, body } = await call(staffEmail, 'POST', `/api/boundary-proposals/${proposed.body.proposal.id}/reject`, {
      note: '两个网格长先协商',
    });
    expect(status).toBe(200);
    expect(body.proposal).toMatchObject({ status: 'rejected', note: '两个网格长先协商', decidedByName: staffName });
    expect(await version(grid)).toBe(1);
    expect(await gridOf(building)).toBe(neighbour);
    expect((await call(staffEmail, 'POST', `/api/boundary-proposals/${proposed.body.proposal.id}/approve`, {})).status).toBe(409);
  });

  it('applies an approved proposal through the commit: both grids get a version, the building moves, history and audit record it', async () => {
    const { body: list } = await call(staffEmail, 'GET', '/api/boundary-proposals?status=pending');
    const proposal = list.proposals.find((p: any) => p.gridId === grid)!;
    const households = async (asOf: string) =>
      (
        await one<{ n: number }>(
          'select coalesce((select households from public.grid_household_counts($2::date) where grid_id = $1), 0) as n',
          [grid, asOf],
        )
      ).n;
    const nowDay = (await one<{ d: string }>('select public.china_date(now())::text as d')).d;
    const before = { today: await households(nowDay), audit: (await counts()).audit };

    const { status, body } = await call(staffEmail, 'POST', `/api/boundary-proposals/${proposal.id}/approve`, { note: '同意' });
    expect(status).toBe(200);
    expect(body.proposal).toMatchObject({ status: 'approved', committedVersion: 2 });
    expect(body.grid.properties).toMatchObject({ id: grid, version: 2 });
    expect(body.moved).toContainEqual({ buildingId: building, from: neighbour, to: grid });
    expect(await gridOf(building)).toBe(grid);
    expect(await version(neighbour)).toBe(2);

    const versions = await q(
      `select version, valid_from = '-infinity' as since_beginning, valid_to is not null as closed, kind, staff_id, reason, proposal_id
       from public.grid_versions where grid_id = $1 order by version`,
      [grid],
    );
    expect(versions).toHaveLength(2);
    expect(versions[0]).toMatchObject({ version: 1, kind: 'created', since_beginning: true, closed: true });
    expect(versions[1]).toMatchObject({
      version: 2,
      kind: 'redrawn',
      since_beginning: false,
      closed: false,
      reason: '楼栋与本网格同一小区',
      proposal_id: proposal.id,
    });
    const history = await q(
      'select grid_id, valid_to is null as open from public.building_grid_history where building_id = $1 order by valid_from',
      [building],
    );
    expect(history).toEqual([
      { grid_id: neighbour, open: false },
      { grid_id: grid, open: true },
    ]);
    const audit = await q<{ table_name: string; staff_id: number }>(
      'select table_name, staff_id from public.audit_log order by id desc limit 20',
    );
    expect(audit.map((a) => a.table_name)).toEqual(expect.arrayContaining(['grids', 'grid_versions', 'buildings', 'boundary_proposals']));
    expect((await counts()).audit).toBeGreaterThan(before.audit);
    // Today counts the building in its new grid; the figures for the day before are untouched.
    expect(await households(nowDay)).toBe(before.today + buildingHouseholds);
    expect(figures((await call(staffEmail, 'GET', `/api/stats/grids?asOf=${DEMO_TODAY}`)).body)).toEqual(statsBefore.today);
    expect(figures((await call(staffEmail, 'GET', '/api/stats/grids?asOf=2026-01-31')).body)).toEqual(statsBefore.january);
  });

  it('serves the boundaries of a past date with their versions then', async () => {
    const { body: past } = await call(staffEmail, 'GET', `/api/grids?asOf=${DEMO_TODAY}`);
    const { body: now } = await call(staffEmail, 'GET', '/api/grids');
    const at = (fc: any) => fc.features.find((f: any) => f.id === grid);
    expect(at(past).properties.version).toBe(1);
    expect(at(now).properties.version).toBe(2);
    expect(at(past).geometry).not.toEqual(at(now).geometry);
    expect((await call(staffEmail, 'GET', '/api/grids?asOf=2026-13-01')).status).toBe(400);
  });

  it('refuses a save from an old version with 409 naming who changed it, when, and the version now', async () => {
    const { grown } = await transfer(building, neighbour, grid);
    const { status, body } = await call(ROLE_ACCOUNTS.grid_leader, 'PUT', `/api/grids/${grid}/boundary`, {
      geometry: grown,
      version: 1,
      reason: '旧版本',
    });
    expect(status).toBe(409);
    expect(body.error.code).toBe('stale_version');
    expect(body.error.message).toContain(staffName);
    expect(body.error.details).toMatchObject({ gridId: grid, currentVersion: 2, yourVersion: 1, changedBy: staffName });
    expect(body.error.details.changedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("commits community staff's own redraw directly, announcing it on the live channel", async () => {
    const messages: string[] = [];
    const stop = await db().listen('minqing_changes', (m) => messages.push(m));
    try {
      const { grown, shrunk } = await transfer(building, grid, neighbour);
      const { status, body } = await call(staffEmail, 'PUT', `/api/grids/${neighbour}/boundary`, {
        geometry: grown,
        version: 2,
        reason: '退回原网格',
        neighbours: [{ gridId: grid, version: 2, geometry: shrunk }],
      });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body.grid.properties.version).toBe(3);
      expect(body.impact.buildingsIn).toContain(building);
      expect(await gridOf(building)).toBe(neighbour);
      await new Promise((r) => setTimeout(r, 300));
      expect(messages.map((m) => JSON.parse(m))).toContainEqual({ table: 'grids', gridId: neighbour });
    } finally {
      await stop();
    }
  });

  it('leaves everything as it was when the commit fails after writing the history', async () => {
    const before = {
      counts: await counts(),
      grid: await version(grid),
      neighbour: await version(neighbour),
      building: await gridOf(building),
    };
    // A fault injected after the version rows are written: the buildings' update fails.
    await db().exec(`create function public.test_fail() returns trigger language plpgsql as $$ begin raise exception 'injected failure'; end $$;
      create trigger test_fail before update on public.buildings for each row execute function public.test_fail();`);
    try {
      const { grown, shrunk } = await transfer(building, neighbour, grid);
      const { status } = await call(staffEmail, 'PUT', `/api/grids/${grid}/boundary`, {
        geometry: grown,
        version: before.grid,
        reason: '注定失败',
        neighbours: [{ gridId: neighbour, version: before.neighbour, geometry: shrunk }],
      });
      expect(status).toBe(500);
    } finally {
      await db().exec('drop trigger test_fail on public.buildings; drop function public.test_fail();');
    }
    expect({
      counts: await counts(),
      grid: await version(grid),
      neighbour: await version(neighbour),
      building: await gridOf(building),
    }).toEqual(before);
  });

  it('lets one of two saves from the same version win; the other gets 409', async () => {
    const v = { grid: await version(grid), neighbour: await version(neighbour) };
    const { grown, shrunk } = await transfer(building, neighbour, grid);
    const body = {
      geometry: grown,
      version: v.grid,
      reason: '同时保存',
      neighbours: [{ gridId: neighbour, version: v.neighbour, geometry: shrunk }],
    };
    const results = await Promise.all([
      call(staffEmail, 'PUT', `/api/grids/${grid}/boundary`, body),
      call(staffEmail, 'PUT', `/api/grids/${grid}/boundary`, body),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe('stale_version');
    expect(await version(grid)).toBe(v.grid + 1);
    expect(await q('select 1 from public.grid_versions where grid_id = $1 and valid_to is null', [grid])).toHaveLength(1);
  });

  it('reverts to an earlier version as a new version, and refuses a revert that would overlap the neighbour now', async () => {
    // The grid holds the building (version n); the neighbour gets it back, then the grid tries to revert to n.
    const holding = await version(grid);
    const { grown, shrunk } = await transfer(building, grid, neighbour);
    const back = await call(staffEmail, 'PUT', `/api/grids/${neighbour}/boundary`, {
      geometry: grown,
      version: await version(neighbour),
      reason: '再次退回',
      neighbours: [{ gridId: grid, version: holding, geometry: shrunk }],
    });
    expect(back.status, JSON.stringify(back.body)).toBe(200);
    const current = await version(grid);
    const overlap = await call(staffEmail, 'POST', `/api/grids/${grid}/revert`, { toVersion: holding, version: current, reason: '恢复' });
    expect(overlap.status).toBe(422);
    expect(overlap.body.error.details.problems.map((p: any) => p.code)).toContain(BOUNDARY_PROBLEM.OVERLAPS_GRID);
    const same = await call(staffEmail, 'POST', `/api/grids/${grid}/revert`, { toVersion: current, version: current, reason: '恢复' });
    expect(same.body.error.details.reason).toBe(GRID_CHANGE_REASON.REVERT_TO_CURRENT);
    // A redraw of the same shape with its ring starting at another corner, then a revert to the version before it.
    const { g } = await one<{ g: { coordinates: number[][][][] } }>(
      'select ST_AsGeoJSON(boundary)::json as g from public.grids where id = $1',
      [grid],
    );
    const ring = g.coordinates[0]![0]!;
    const rotated = { type: 'Polygon', coordinates: [[...ring.slice(1, -1), ring[0]!, ring[1]!], ...g.coordinates[0]!.slice(1)] };
    const redrawn = await call(staffEmail, 'PUT', `/api/grids/${grid}/boundary`, {
      geometry: rotated,
      version: current,
      reason: '调整起点',
    });
    expect(redrawn.status, JSON.stringify(redrawn.body)).toBe(200);
    const { status, body } = await call(staffEmail, 'POST', `/api/grids/${grid}/revert`, {
      toVersion: current,
      version: current + 1,
      reason: '恢复加密前的边界',
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.grid.properties.version).toBe(current + 2);
    const row = await one<{ same: boolean; points: boolean; kind: string; reverted_to: number }>(
      `select ST_Equals(a.boundary, b.boundary) as same, ST_NPoints(a.boundary) = ST_NPoints(b.boundary) as points, b.kind, b.reverted_to
       from public.grid_versions a, public.grid_versions b where a.grid_id = $1 and b.grid_id = $1 and a.version = $2 and b.version = $3`,
      [grid, current, current + 2],
    );
    expect(row).toEqual({ same: true, points: true, kind: 'reverted', reverted_to: current });
  });

  it('lists every version with who, why, kind and households, and compares two versions', async () => {
    const { status, body } = await call(ROLE_ACCOUNTS.grid_leader, 'GET', `/api/grids/${grid}/versions`);
    expect(status).toBe(200);
    expect(body.versions[0]).toMatchObject({ version: 1, kind: 'created', validFrom: null, staffName: null });
    expect(body.versions[1]).toMatchObject({ version: 2, kind: 'redrawn', staffName, reason: '楼栋与本网格同一小区' });
    expect(body.versions.at(-1)).toMatchObject({ kind: 'reverted', validTo: null, revertedTo: body.versions.length - 2 });
    for (const v of body.versions) expect(v.households).toBeGreaterThan(100);
    const { pieceM2 } = await transfer(building, neighbour, grid); // the same box measured again
    const cmp = await call(ROLE_ACCOUNTS.grid_leader, 'GET', `/api/grids/${grid}/versions/compare?from=1&to=2`);
    expect(cmp.status).toBe(200);
    expect(cmp.body.added.type).toBe('MultiPolygon');
    expect(cmp.body.areaAddedM2).toBeGreaterThan(100);
    expect(cmp.body.areaAddedM2).toBeGreaterThan(pieceM2 * 0.5);
    expect(cmp.body.areaRemovedM2).toBeLessThan(1);
    expect((await call(ROLE_ACCOUNTS.grid_leader, 'GET', `/api/grids/${grid}/versions/compare?from=1&to=99`)).status).toBe(404);
  });

  it('splits a grid along a line: the part with more households keeps the id, the other becomes a new grid', async () => {
    const other = await one<{ id: number; code: string; name: string; version: number }>(
      `select g.id, g.code, g.name, g.version from public.grids g where g.community_id = (select community_id from public.grids where id = $1) and g.id not in ($1, $2) order by g.id desc limit 1`,
      [grid, neighbour],
    );
    splitGrids.push(other.id);
    const crossing = { line: await splitLineOf(db(), other.id) };
    const outside = {
      type: 'LineString',
      coordinates: [
        [0, 0],
        [0.001, 0.001],
      ],
    };
    const miss = await call(staffEmail, 'POST', `/api/grids/${other.id}/split`, { line: outside, version: other.version, reason: '分割' });
    expect(miss.status).toBe(422);
    expect(miss.body.error).toMatchObject({ code: 'invalid_split', details: { reason: GRID_CHANGE_REASON.SPLIT_LINE_DOES_NOT_CROSS } });

    // The new grid's name must be free in the community (the editor asks the same, geo/geometry/grid-change.reasons.ts).
    const { name: taken } = await one<{ name: string }>('select name from public.grids where id = $1', [neighbour]);
    for (const names of [
      [other.name, taken],
      [other.name, ` ${other.name} `],
    ]) {
      const clash = await call(staffEmail, 'POST', `/api/grids/${other.id}/split`, {
        line: crossing.line,
        version: other.version,
        reason: '分割',
        names,
      });
      expect(clash.status).toBe(422);
      expect(clash.body.error).toMatchObject({
        code: 'invalid_split',
        details: { reason: GRID_CHANGE_REASON.SPLIT_NAME_TAKEN, name: names[1]!.trim() },
      });
    }
    expect(
      (
        await call(staffEmail, 'POST', `/api/grids/${other.id}/split`, {
          line: crossing.line,
          version: other.version,
          reason: '分割',
          names: [other.name, '  '],
        })
      ).status,
    ).toBe(400);

    const buildingsBefore = (await one<{ n: number }>('select count(*)::int as n from public.buildings where grid_id = $1', [other.id])).n;
    const { status, body } = await call(staffEmail, 'POST', `/api/grids/${other.id}/split`, {
      line: crossing.line,
      version: other.version,
      reason: '户数过多，一分为二',
      names: [other.name, `${other.name}二`],
    });
    expect(status, JSON.stringify(body)).toBe(200);
    splitGrids.push(body.newGrid.id);
    expect(body.grid.properties).toMatchObject({ id: other.id, version: other.version + 1 });
    expect(body.newGrid.properties).toMatchObject({ code: `${other.code}-2`, name: `${other.name}二`, version: 1, leader: null });
    expect(body.grid.properties.name).toBe(other.name);
    expect(body.households.kept).toBeGreaterThanOrEqual(body.households.new);
    expect(body.warnings.map((w: any) => w.code)).toContain(BOUNDARY_PROBLEM.HOUSEHOLDS_OUT_OF_RANGE);
    const after = await q<{ grid_id: number; n: number }>(
      'select grid_id, count(*)::int as n from public.buildings where grid_id in ($1, $2) group by grid_id',
      [other.id, body.newGrid.id],
    );
    expect(after.reduce((s, r) => s + r.n, 0)).toBe(buildingsBefore);
    expect(after).toHaveLength(2);
    const [newVersion] = await q(
      "select version, kind, valid_from > '-infinity' as dated, related_grid_ids from public.grid_versions where grid_id = $1",
      [body.newGrid.id],
    );
    expect(newVersion).toMatchObject({ version: 1, kind: 'split', dated: true, related_grid_ids: [other.id] });
    // The new grid did not exist on a past date.
    const past = await call(staffEmail, 'GET', `/api/grids?asOf=${DEMO_TODAY}`);
    expect(past.body.features.map((f: any) => f.id)).not.toContain(body.newGrid.id);
  });

  it('merges two neighbours: the absorbed grid is retired, its buildings move, and it stays in the statistics of earlier dates', async () => {
    const pairs = await q<{ a: number; b: number; shared: number; community: number }>(
      `select a.id as a, b.id as b, a.community_id as community,
              ST_Length(ST_CollectionExtract(ST_Intersection(ST_Boundary(a.boundary), ST_Boundary(b.boundary)), 2)::geography) as shared
       from public.grids a join public.grids b on a.id < b.id and a.community_id = b.community_id
       where a.community_id = (select community_id from public.grids where id = $1) and ST_Intersects(a.boundary, b.boundary)
         and not (a.id = any ($2::int[]) or b.id = any ($2::int[]))
       order by a.id, b.id`,
      [grid, [grid, neighbour, ...splitGrids]],
    );
    const corner = pairs.find((p) => p.shared < 1)!;
    const edge = pairs.find((p) => p.shared > 100 && p.community === corner.community)!;
    const email = staffEmail;
    const v = async (id: number) => version(id);

    const notNeighbours = await call(email, 'POST', '/api/grids/merge', {
      gridIds: [corner.a, corner.b],
      versions: { [corner.a]: await v(corner.a), [corner.b]: await v(corner.b) },
      reason: '合并',
    });
    expect(notNeighbours.status).toBe(422);
    expect(notNeighbours.body.error.details.reason).toBe(GRID_CHANGE_REASON.MERGE_NOT_NEIGHBOURS);
    // A grid leader may not merge grids that are not both theirs.
    expect(
      (
        await call(ROLE_ACCOUNTS.grid_leader, 'POST', '/api/grids/merge', {
          gridIds: [edge.a, edge.b],
          versions: { [edge.a]: 1, [edge.b]: 1 },
          reason: '合并',
        })
      ).status,
    ).toBe(403);

    const absorbedBuildings = (await q<{ id: number }>('select id from public.buildings where grid_id = $1', [edge.b])).map((r) => r.id);
    const { status, body } = await call(email, 'POST', '/api/grids/merge', {
      gridIds: [edge.a, edge.b],
      versions: { [edge.a]: await v(edge.a), [edge.b]: await v(edge.b) },
      reason: '户数不足，合并',
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ retiredGridId: edge.b, grid: { properties: { id: edge.a } } });
    expect(await one('select retired_at is not null as retired, retired_into from public.grids where id = $1', [edge.b])).toEqual({
      retired: true,
      retired_into: edge.a,
    });
    expect((await q('select 1 from public.buildings where grid_id = $1', [edge.b])).length).toBe(0);
    for (const id of absorbedBuildings) expect(await gridOf(id)).toBe(edge.a);

    const today = await call(email, 'GET', '/api/grids');
    expect(today.body.features.map((f: any) => f.id)).not.toContain(edge.b);
    const past = await call(email, 'GET', `/api/grids?asOf=${DEMO_TODAY}`);
    expect(past.body.features.find((f: any) => f.id === edge.b).properties).toMatchObject({ version: 1, retired: false });
    const nowDay = (await one<{ d: string }>('select public.china_date(now())::text as d')).d;
    expect((await q('select grid_id from public.grid_stats($1::date)', [nowDay])).map((r: any) => r.grid_id)).not.toContain(edge.b);
    expect(figures((await call(email, 'GET', `/api/stats/grids?asOf=${DEMO_TODAY}`)).body)).toEqual(statsBefore.today);
    expect(figures((await call(email, 'GET', '/api/stats/grids?asOf=2026-01-31')).body)).toEqual(statsBefore.january);
    // A retired grid's boundary no longer changes.
    const again = await call(email, 'PUT', `/api/grids/${edge.b}/boundary`, { geometry: body.grid.geometry, version: 1, reason: '再改' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('grid_retired');
  });

  it('lets neither the street leader, the presenter nor a grid member commit, through the API or the database', async () => {
    const geometry = (await call(staffEmail, 'GET', '/api/grids')).body.features.find((f: any) => f.id === grid).geometry;
    for (const who of ['street_leader', 'presenter', 'grid_member'] as const) {
      const { status } = await call(ROLE_ACCOUNTS[who], 'PUT', `/api/grids/${grid}/boundary`, {
        geometry,
        version: await version(grid),
        reason: '越权',
      });
      expect(status, who).toBe(403);
    }
    // The database refuses them too, whatever client calls it.
    const changes = JSON.stringify([{ gridId: grid, version: await version(grid), geometry }]);
    for (const who of ['street_leader', 'presenter', 'grid_member'] as const) {
      const claims = await claimsOf(db(), ROLE_ACCOUNTS[who]);
      await expect(
        db().transaction(async (tx) => {
          await enterAsCaller(tx, claims);
          await tx.query(`select public.commit_grid_boundaries($1::jsonb, 'redrawn', '越权')`, [changes]);
        }),
        who,
      ).rejects.toThrow(/may not redraw|only staff/);
    }
    // A grid leader may not commit a neighbour's boundary, nor write history rows directly.
    const neighbourChange = JSON.stringify([{ gridId: neighbour, version: await version(neighbour), geometry }]);
    const leaderClaims = await claimsOf(db(), ROLE_ACCOUNTS.grid_leader);
    const staffClaims = await claimsOf(db(), ROLE_ACCOUNTS.community_staff);
    await expect(
      db().transaction(async (tx) => {
        await enterAsCaller(tx, leaderClaims);
        await tx.query(`select public.commit_grid_boundaries($1::jsonb, 'redrawn', '越权')`, [neighbourChange]);
      }),
    ).rejects.toThrow(/may not redraw grid/);
    for (const sql of [
      `insert into public.grid_versions (grid_id, version, community_id, code, name, boundary, kind) select id, 99, community_id, code, name, boundary, 'redrawn' from public.grids where id = ${grid}`,
      `update public.grid_versions set reason = 'x' where grid_id = ${grid}`,
      `insert into public.building_grid_history (building_id, grid_id, valid_from) values (${building}, ${grid}, now())`,
      `update public.boundary_proposals set status = 'approved'`,
    ]) {
      await expect(
        db().transaction(async (tx) => {
          await enterAsCaller(tx, staffClaims);
          await tx.query(sql);
        }),
        sql,
      ).rejects.toThrow(/permission denied/);
    }
  });

  it("lets the street's staff read boundary history and proposals, and nobody outside the street", async () => {
    for (const who of ['street_leader', 'grid_member', 'presenter', 'grid_leader'] as const) {
      const claims = await claimsOf(db(), ROLE_ACCOUNTS[who]);
      const rows = await db().transaction(async (tx) => {
        await enterAsCaller(tx, claims);
        return tx.query<{ versions: number; proposals: number; history: number }>(
          `select (select count(*)::int from public.grid_versions) as versions, (select count(*)::int from public.boundary_proposals) as proposals,
                  (select count(*)::int from public.building_grid_history) as history`,
        );
      });
      expect(rows[0]!.versions, who).toBeGreaterThan(19);
      expect(rows[0]!.proposals, who).toBe(2);
      expect(rows[0]!.history, who).toBeGreaterThan(500);
    }
    const stranger = await db().transaction(async (tx) => {
      await enterAsCaller(tx, { role: 'authenticated', sub: '00000000-0000-4000-8000-000000000000' });
      return tx.query<{ n: number }>(
        'select (select count(*) from public.grid_versions) + (select count(*) from public.boundary_proposals) + (select count(*) from public.building_grid_history) as n',
      );
    });
    expect(Number(stranger[0]!.n)).toBe(0);
  });

  it("commits a grid leader's redraw of their own grid directly, when it takes nothing from another grid", async () => {
    const before = await version(grid);
    const { g } = await one<{ g: { coordinates: number[][][][] } }>(
      'select ST_AsGeoJSON(boundary)::json as g from public.grids where id = $1',
      [grid],
    );
    const ring = g.coordinates[0]![0]!;
    const rotated = { type: 'Polygon', coordinates: [[...ring.slice(1, -1), ring[0]!, ring[1]!], ...g.coordinates[0]!.slice(1)] };
    const { status, body } = await call(ROLE_ACCOUNTS.grid_leader, 'PUT', `/api/grids/${grid}/boundary`, {
      geometry: rotated,
      version: before,
      reason: '网格长自行调整',
    });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.grid.properties.version).toBe(before + 1);
    expect(body.moved).toEqual([]);
    const { body: history } = await call(ROLE_ACCOUNTS.grid_leader, 'GET', `/api/grids/${grid}/versions`);
    expect(history.versions.at(-1)).toMatchObject({ version: before + 1, kind: 'redrawn', reason: '网格长自行调整', proposalId: null });
    expect(history.versions.at(-1).staffName).not.toBe(staffName);
  });

  /**
   * The proposals screen (one seeded database with the rest of this file, so it runs last and
   * picks its own grids as they are by then): who sees which proposals (the list filtered for the
   * caller, the header's counts), who may approve or reject, and that an approval goes through
   * the commit's version check: a proposal overtaken by a later change is refused with a message
   * naming who changed what.
   */
  describe('the proposals screen', () => {
    /** A sign-in for the leader of a grid that has no demo account. */
    const leaderOf = async (gridId: number) => {
      const leader = await one<{ user_id: string; email: string }>(
        `update public.staff s set user_id = coalesce(s.user_id, gen_random_uuid()) from public.staff_grids sg
         where sg.staff_id = s.id and sg.grid_id = $1 and s.role = 'grid_leader' returning s.user_id, s.email`,
        [gridId],
      );
      return issueToken(TEST_JWT_SECRET, { id: leader.user_id, email: leader.email });
    };
    const listed = async (who: string, query = 'status=pending&concerning=me') =>
      ((await call(who, 'GET', `/api/boundary-proposals?${query}`)).body.proposals as any[]).map((p) => p.id);

    let from: number; // a live neighbour of grid01's grid, led by another leader
    let moving: number; // a building of it near their shared edge
    let movingHouseholds: number;
    let fromLeader: string; // a bearer token
    let bystander: string; // a bearer token: the leader of a grid the proposals do not touch
    let base: number; // grid01's grid's version the proposals are drawn on
    let first: number;
    let second: number;
    const propose = async (reason: string) => {
      const { grown, shrunk } = await transfer(moving, from, grid);
      const res = await call(ROLE_ACCOUNTS.grid_leader, 'PUT', `/api/grids/${grid}/boundary`, {
        geometry: grown,
        version: await version(grid),
        reason,
        neighbours: [{ gridId: from, version: await version(from), geometry: shrunk }],
      });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return res.body.proposal.id as number;
    };

    beforeAll(async () => {
      ({
        from,
        moving,
        households: movingHouseholds,
      } = await one(
        `with a as (select id, boundary from public.grids where id = $1)
         select b.grid_id as from, b.id as moving, hc.households
         from public.buildings b join public.grids n on n.id = b.grid_id, a, public.building_household_counts($2::date) hc
         where hc.building_id = b.id and n.id <> a.id and n.retired_at is null and n.community_id = (select community_id from public.grids where id = $1)
           and ST_DWithin(b.footprint, a.boundary, 0.0004) and hc.households between 5 and 25
           and not exists (select 1 from public.buildings o where o.id <> b.id and ST_Intersects(o.footprint,
                 ST_Expand(ST_Collect(b.footprint, ST_ClosestPoint(ST_Boundary(a.boundary), b.footprint)), 0.00002)))
           and exists (select 1 from public.staff_grids sg join public.staff s on s.id = sg.staff_id
                       where sg.grid_id = n.id and s.role = 'grid_leader' and s.email <> $3)
         order by b.id limit 1`,
        [grid, DEMO_TODAY, ROLE_ACCOUNTS.grid_leader],
      ));
      fromLeader = await leaderOf(from);
      const { id: far } = await one<{ id: number }>(
        `select g.id from public.grids g join public.staff_grids sg on sg.grid_id = g.id join public.staff s on s.id = sg.staff_id and s.role = 'grid_leader'
         where g.id not in ($1, $2) and s.email <> $3
           and not exists (select 1 from public.staff_grids o where o.staff_id = s.id and o.grid_id in ($1, $2))
         order by g.id limit 1`,
        [grid, from, ROLE_ACCOUNTS.grid_leader],
      );
      bystander = await leaderOf(far);
      base = await version(grid);
      first = await propose('楼栋与本网格同一小区（再提）');
      second = await propose('同一楼栋，第二次提议');
    });

    it('lists for each caller the proposals that concern them: the deciding staff, the proposer and the leader losing buildings', async () => {
      expect(await listed(staffEmail)).toEqual([second, first]);
      expect(await listed(ROLE_ACCOUNTS.grid_leader)).toEqual([second, first]);
      expect(await listed(fromLeader)).toEqual([second, first]);
      // A leader of an untouched grid, and the street leader, have no part in them (but may read the street's).
      expect(await listed(bystander)).toEqual([]);
      expect(await listed(ROLE_ACCOUNTS.street_leader)).toEqual([]);
      expect(await listed(bystander, 'status=pending')).toEqual([second, first]);

      const { body } = await call(staffEmail, 'GET', '/api/boundary-proposals?concerning=me');
      expect(body.proposals.find((p: any) => p.id === first)).toMatchObject({
        mayDecide: true,
        proposedByMe: false,
        householdsIn: movingHouseholds,
        householdsOut: 0,
        impact: expect.objectContaining({ buildingsIn: [moving] }),
      });
      const mine = (await call(ROLE_ACCOUNTS.grid_leader, 'GET', '/api/boundary-proposals?concerning=me')).body.proposals.find(
        (p: any) => p.id === first,
      );
      expect(mine).toMatchObject({ mayDecide: false, proposedByMe: true, affectsMe: true });
      const theirs = (await call(fromLeader, 'GET', '/api/boundary-proposals?concerning=me')).body.proposals.find(
        (p: any) => p.id === first,
      );
      expect(theirs).toMatchObject({ mayDecide: false, proposedByMe: false, affectsMe: true });
      expect((await call(bystander, 'GET', '/api/boundary-proposals?concerning=everyone')).status).toBe(400);
    });

    it('counts the pending proposals for the header: to decide for community staff, concerning me for everyone', async () => {
      const summary = async (who: string) => (await call(who, 'GET', '/api/boundary-proposals/summary')).body;
      expect(await summary(staffEmail)).toEqual({ toDecide: 2, concerningMe: 2 });
      expect(await summary(fromLeader)).toEqual({ toDecide: 0, concerningMe: 2 });
      expect(await summary(bystander)).toEqual({ toDecide: 0, concerningMe: 0 });
      expect(await summary(ROLE_ACCOUNTS.presenter)).toEqual({ toDecide: 0, concerningMe: 0 });
    });

    it("lets no one but the community's staff approve or reject: leaders, street leader, member and presenter get 403", async () => {
      for (const who of [
        ROLE_ACCOUNTS.grid_leader,
        fromLeader,
        ROLE_ACCOUNTS.street_leader,
        ROLE_ACCOUNTS.grid_member,
        ROLE_ACCOUNTS.presenter,
      ]) {
        expect((await call(who, 'POST', `/api/boundary-proposals/${first}/approve`, { note: '同意' })).status, who).toBe(403);
        expect((await call(who, 'POST', `/api/boundary-proposals/${first}/reject`, { note: '不同意' })).status, who).toBe(403);
      }
      expect(await version(grid)).toBe(base);
      expect(await listed(staffEmail)).toEqual([second, first]);
    });

    it('approves through the commit, and refuses a proposal overtaken by that change with 409 naming who changed the grid', async () => {
      const approved = await call(staffEmail, 'POST', `/api/boundary-proposals/${first}/approve`, { note: '同意' });
      expect(approved.status).toBe(200);
      expect(approved.body.proposal).toMatchObject({ status: 'approved', note: '同意', committedVersion: base + 1 });
      expect(await gridOf(moving)).toBe(grid);

      const stale = await call(staffEmail, 'POST', `/api/boundary-proposals/${second}/approve`, {});
      expect(stale.status).toBe(409);
      expect(stale.body.error.code).toBe('proposal_stale');
      expect(stale.body.error.message).toContain(`proposal ${second} was drawn on version ${base} of grid`);
      expect(stale.body.error.message).toContain(staffName);
      expect(stale.body.error.message).toMatch(/reject the proposal/);
      expect(stale.body.error.details).toMatchObject({
        proposalId: second,
        currentVersion: base + 1,
        yourVersion: base,
        changedBy: staffName,
      });
      expect(await version(grid)).toBe(base + 1);

      // Still pending: the staff reject it with a note, and the leaders see how it ended.
      const rejected = await call(staffEmail, 'POST', `/api/boundary-proposals/${second}/reject`, { note: '已按第一个提议调整' });
      expect(rejected.body.proposal).toMatchObject({ status: 'rejected', note: '已按第一个提议调整', decidedByName: staffName });
      expect(await listed(ROLE_ACCOUNTS.grid_leader)).toEqual([]);
      expect((await listed(ROLE_ACCOUNTS.grid_leader, 'concerning=me&status=rejected'))[0]).toBe(second);
      expect(await listed(fromLeader, 'concerning=me&status=approved')).toContain(first);
    });
  });
});
