/**
 * Previewing a redrawn grid boundary: the geo/ validator and PostGIS checks together, the
 * impact on buildings, households and neighbours, and who may ask.
 */
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { BOUNDARY_PROBLEM } from '../../geo/geometry/grid-boundary.validation';
import { type DemoRole, ROLE_ACCOUNTS, signedIn, staffGridOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('boundary preview', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const preview = async (gridId: number, geometry: unknown, who: DemoRole = 'grid_leader') => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(`/api/grids/${gridId}/boundary/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ geometry }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  /** A geometry computed by PostGIS from the grid's current boundary. */
  const shape = async (sql: string, params: unknown[] = []) =>
    (await db().query<{ g: unknown }>(`select ST_AsGeoJSON(${sql})::json as g from public.grids g where g.id = $1`, [grid, ...params]))[0]!
      .g;

  let grid: number;
  let households: number;
  beforeAll(async () => {
    ({ gridId: grid } = await staffGridOf(db(), ROLE_ACCOUNTS.grid_leader));
    [{ households }] = (await db().query<{ households: number }>(
      'select households from public.grid_household_counts() where grid_id = $1',
      [grid],
    )) as [{ households: number }];
  });

  it('finds nothing wrong with the grid as it is, and no building moving', async () => {
    const { status, body } = await preview(grid, await shape('g.boundary'));
    expect(status).toBe(200);
    expect(body.problems).toEqual([]);
    expect(body).toMatchObject({ valid: true, impact: { buildingsIn: [], buildingsOut: [], households, neighbours: [] } });
    expect(body.impact.workloadAfter).toBe(body.impact.workloadBefore);
  });

  it('reports the overlap with the neighbour and the buildings that would move in', async () => {
    const [b] = await db().query<{ id: number; grid_id: number }>(
      `select b.id, b.grid_id from public.buildings b join public.grids n on n.id = b.grid_id join public.grids g on g.id = $1
       where n.id <> g.id and n.community_id = g.community_id and ST_DWithin(b.footprint, g.boundary, 0.0003) order by b.id limit 1`,
      [grid],
    );
    const grown = await shape(`ST_Union(g.boundary, ST_Expand((select footprint from public.buildings where id = $2), 0.00003))`, [b!.id]);
    const { status, body } = await preview(grid, grown);
    expect(status).toBe(200);
    expect(body.valid).toBe(false);
    expect(body.problems).toContainEqual(
      expect.objectContaining({ code: BOUNDARY_PROBLEM.OVERLAPS_GRID, details: expect.objectContaining({ gridId: b!.grid_id }) }),
    );
    expect(body.impact.buildingsIn).toContain(b!.id);
    const neighbour = body.impact.neighbours.find((n: any) => n.gridId === b!.grid_id);
    expect(neighbour.householdsAfter).toBeLessThanOrEqual(neighbour.householdsBefore);
    expect(body.impact.households).toBeGreaterThanOrEqual(households);
  });

  it('gives each neighbour its full household totals before and after, not only the buildings near the edit', async () => {
    // A neighbour that reaches well beyond the edited grid's box, and one of its buildings near the shared edge.
    const [b] = await db().query<{ id: number; grid_id: number; households: number; total: number }>(
      `select b.id, b.grid_id, hc.households, t.households as total
       from public.buildings b join public.grids n on n.id = b.grid_id join public.grids g on g.id = $1
       join public.building_household_counts($2::date) hc on hc.building_id = b.id
       join public.grid_household_counts($2::date) t on t.grid_id = n.id
       where n.id <> g.id and n.community_id = g.community_id and ST_DWithin(b.footprint, g.boundary, 0.0003)
         and not ST_Within(n.boundary, ST_Envelope(ST_Expand(g.boundary, 0.0003)))
       order by b.id limit 1`,
      [grid, DEMO_TODAY],
    );
    const grown = await shape(`ST_Union(g.boundary, ST_Expand((select footprint from public.buildings where id = $2), 0.00003))`, [b!.id]);
    const { body } = await preview(grid, grown);
    const moving = body.impact.buildingsIn as number[];
    expect(moving).toContain(b!.id);
    const [{ leaving }] = (await db().query<{ leaving: number }>(
      `select coalesce(sum(hc.households), 0)::int as leaving from public.buildings x
       join public.building_household_counts($3::date) hc on hc.building_id = x.id where x.id = any ($1::int[]) and x.grid_id = $2`,
      [moving, b!.grid_id, DEMO_TODAY],
    )) as [{ leaving: number }];
    expect(leaving).toBeGreaterThanOrEqual(b!.households);
    expect(body.impact.neighbours).toContainEqual({ gridId: b!.grid_id, householdsBefore: b!.total, householdsAfter: b!.total - leaving });
  });

  it('checks the neighbours redrawn in the same change, as the commit does: a neighbour that gives way is no overlap', async () => {
    const [b] = await db().query<{ id: number; grid_id: number }>(
      `select b.id, b.grid_id from public.buildings b join public.grids n on n.id = b.grid_id join public.grids g on g.id = $1
       where n.id <> g.id and n.community_id = g.community_id and ST_DWithin(b.footprint, g.boundary, 0.0003) order by b.id limit 1`,
      [grid],
    );
    const grown = await shape(`ST_Union(g.boundary, ST_Expand((select footprint from public.buildings where id = $2), 0.00003))`, [b!.id]);
    const [{ n: gaveWay }] = (await db().query<{ n: unknown }>(
      `select ST_AsGeoJSON(ST_Difference(n.boundary, ST_SetSRID(ST_GeomFromGeoJSON($2), 4326)))::json as n from public.grids n where n.id = $1`,
      [b!.grid_id, JSON.stringify(grown)],
    )) as [{ n: unknown }];
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS.community_staff).request(`/api/grids/${grid}/boundary/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ geometry: grown, neighbours: [{ gridId: b!.grid_id, geometry: gaveWay }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.problems.map((p: any) => p.code)).not.toContain(BOUNDARY_PROBLEM.OVERLAPS_GRID);
    expect(body.impact.buildingsIn).toContain(b!.id);
  });

  it('reports the gap a shrunken grid would leave, and the buildings that would move out', async () => {
    const shrunk = await shape('ST_Buffer(g.boundary::geography, -25)::geometry');
    const { body } = await preview(grid, shrunk);
    expect(body.problems.map((p: any) => p.code)).toContain(BOUNDARY_PROBLEM.LEAVES_GAP);
    expect(body.impact.buildingsOut.length).toBeGreaterThan(0);
    expect(body.impact.households).toBeLessThan(households);
  });

  it('answers a self-intersecting shape with a problem where it crosses, not an error', async () => {
    const bowtie = await shape(
      `ST_MakePolygon(ST_MakeLine(array[ST_MakePoint(ST_XMin(g.boundary), ST_YMin(g.boundary)), ST_MakePoint(ST_XMax(g.boundary), ST_YMax(g.boundary)),
         ST_MakePoint(ST_XMax(g.boundary), ST_YMin(g.boundary)), ST_MakePoint(ST_XMin(g.boundary) * 0.7 + ST_XMax(g.boundary) * 0.3, ST_YMax(g.boundary)), ST_MakePoint(ST_XMin(g.boundary), ST_YMin(g.boundary))]))`,
    );
    const { status, body } = await preview(grid, bowtie);
    expect(status).toBe(200);
    expect(body.valid).toBe(false);
    expect(body.problems[0]).toMatchObject({
      code: BOUNDARY_PROBLEM.SELF_INTERSECTION,
      geometry: expect.objectContaining({ type: expect.any(String) }),
    });
    expect(body.impact).toBeNull();
  });

  it('refuses coordinates out of range with a 400 naming the position', async () => {
    const { status, body } = await preview(grid, {
      type: 'Polygon',
      coordinates: [
        [
          [115.9, 91],
          [115.91, 28.6],
          [115.92, 28.6],
          [115.9, 91],
        ],
      ],
    });
    expect(status).toBe(400);
    expect(body.error.details.map((d: any) => d.path).join(' ')).toMatch(/geometry\.coordinates\.0\.0\.1/);
  });

  it('lets only the grid leader and community staff preview a redraw', async () => {
    const geometry = await shape('g.boundary');
    expect((await preview(grid, geometry, 'community_staff')).status).toBe(200);
    for (const who of ['grid_member', 'street_leader', 'presenter'] as const)
      expect((await preview(grid, geometry, who)).status, who).toBe(403);
    expect((await preview(99999, geometry)).status).toBe(404);
  });
});
