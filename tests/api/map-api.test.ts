import { expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { MAX_BUILDINGS } from '../../api/routes/buildings';
import { ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('map API', (mode, db) => {
  const app = () => signedIn(createApp({ db: db(), env: readEnv({}), jwtSecret: TEST_JWT_SECRET }), db(), ROLE_ACCOUNTS.street_leader);
  const get = async (path: string) => {
    const res = await app().request(path);
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
  };

  it('reports health with the database kind and PostGIS version', async () => {
    const { status, body } = await get('/api/health');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok', database: mode, postgis: expect.stringMatching(/^3\.\d+/) });
  });

  it('serves at least 15 valid grids that tile each community with no gap or overlap', async () => {
    const { status, body } = await get('/api/grids');
    expect(status).toBe(200);
    expect(body.type).toBe('FeatureCollection');
    expect(body.features.length).toBeGreaterThanOrEqual(15);
    for (const f of body.features) {
      expect(f.geometry.type).toBe('MultiPolygon');
      expect(f.id).toBe(f.properties.id);
      expect(Object.keys(f.properties).sort()).toEqual(
        ['code', 'communityId', 'communityName', 'households', 'id', 'leader', 'name', 'version'].sort(),
      );
      expect(f.properties.households).toBeGreaterThanOrEqual(200);
      expect(f.properties.households).toBeLessThanOrEqual(300);
      expect(f.properties.leader).toEqual(expect.any(String));
    }
    // Judge the served geometry itself (as a client would receive it) with PostGIS.
    const [check] = await db().query<{ invalid: number; overlap_m2: number; gap_ratio: number }>(
      `with g as (
         select (f->'properties'->>'id')::int as id, (f->'properties'->>'communityId')::int as community_id,
                ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326) as geom
         from jsonb_array_elements($1::jsonb) f)
       select
         (select count(*)::int from g where not ST_IsValid(geom)) as invalid,
         coalesce((select sum(ST_Area(ST_Intersection(a.geom, b.geom)::geography))
                   from g a join g b on a.id < b.id and a.geom && b.geom
                   where ST_Intersects(a.geom, b.geom)), 0)::float8 as overlap_m2,
         (select max(ST_Area(ST_SymDifference(c.boundary, u.geom)::geography) / ST_Area(c.boundary::geography))
            from public.communities c
            join (select community_id, ST_Union(geom) geom from g group by community_id) u on u.community_id = c.id)::float8 as gap_ratio`,
      [JSON.stringify(body.features)],
    );
    expect(check!.invalid).toBe(0);
    expect(check!.overlap_m2).toBeLessThan(1);
    expect(check!.gap_ratio).toBeLessThan(1e-6);
  });

  it('counts each grid’s households as grid_household_counts does, today and on a past day', async () => {
    // The route counts only the grids it serves, per grid (grid_household_count); the reference
    // counts every household of the database, both with the building's grid at that day's end.
    const [{ today }] = (await db().query<{ today: string }>(`select public.china_date(now())::text as today`)) as [{ today: string }];
    for (const [path, day] of [
      ['/api/grids', today],
      ['/api/grids?asOf=2026-03-31', '2026-03-31'],
    ] as const) {
      const { status, body } = await get(path);
      expect(status).toBe(200);
      const reference = new Map(
        (
          await db().query<{ grid_id: number; households: number }>(
            'select grid_id, households from public.grid_household_counts($1::date)',
            [day],
          )
        ).map((r) => [r.grid_id, r.households]),
      );
      const served = body.features.map((f: any) => [f.properties.id, f.properties.households]);
      expect(served.length).toBeGreaterThanOrEqual(15);
      expect(served, path).toEqual(served.map(([id]: [number]) => [id, reference.get(id) ?? 0]));
    }
  });

  it('serves the buildings inside a bbox with their grid and household count', async () => {
    const grids = (await get('/api/grids')).body;
    const [x, y] = grids.features[0].geometry.coordinates[0][0][0];
    const bbox = [x - 0.004, y - 0.004, x + 0.004, y + 0.004].join(',');
    const { status, body } = await get(`/api/buildings?bbox=${bbox}`);
    expect(status).toBe(200);
    expect(body.truncated).toBe(false);
    expect(body.features.length).toBeGreaterThan(0);
    for (const f of body.features) {
      expect(Object.keys(f.properties).sort()).toEqual(['address', 'floors', 'gridId', 'households', 'id', 'name']);
      expect(f.properties.gridId).toEqual(expect.any(Number));
    }
    const far = await get('/api/buildings?bbox=10,10,10.01,10.01');
    expect(far.body.features).toEqual([]);
  });

  it('caps a continent-sized bbox and says so', async () => {
    const { body } = await get('/api/buildings?bbox=70,15,140,55');
    expect(body.features.length).toBeLessThanOrEqual(MAX_BUILDINGS);
    expect(body.truncated).toBe(body.features.length === MAX_BUILDINGS);
  });

  it.each([
    ['', /bbox is required/],
    ['?bbox=1,2,3', /minLon,minLat,maxLon,maxLat/],
    ['?bbox=a,b,c,d', /got "a,b,c,d"/],
    ['?bbox=3,2,1,4', /minLon must be less than maxLon/],
    ['?bbox=0,-91,1,0', /latitudes must be within -90..90/],
    ['?bbox=1,2,3,NaN', /got "1,2,3,NaN"/],
  ])('refuses the bbox %s with a 400 that says how to fix it', async (query, message) => {
    const { status, type, body } = await get(`/api/buildings${query}`);
    expect(status).toBe(400);
    expect(type).toMatch(/application\/json/);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toMatch(message);
    expect(body.error.details[0].path).toBe('bbox');
  });

  it('answers unknown routes with a JSON 404 in the standard error shape', async () => {
    const { status, body } = await get('/api/nope');
    expect(status).toBe(404);
    expect(body).toEqual({ error: { code: 'not_found', message: 'No route for GET /api/nope' } });
  });

  it('tells the web app which street to show and that it is demo data', async () => {
    const { body } = await get('/api/config');
    expect(body.basemap).toEqual({ kind: 'none' });
    expect(body.streets).toHaveLength(1);
    expect(body.streets[0]).toMatchObject({ isDemo: true, communities: expect.any(Array) });
    const [minLon, minLat, maxLon, maxLat] = body.streets[0].bbox;
    expect(minLon).toBeGreaterThan(115.8);
    expect(maxLon).toBeLessThan(116.0);
    expect(minLat).toBeGreaterThan(28.55);
    expect(maxLat).toBeLessThan(28.7);
    expect(body.streets[0].communities).toHaveLength(3);
  });

  it('serves community boundaries with their grid counts', async () => {
    const { body } = await get('/api/communities');
    expect(body.features).toHaveLength(3);
    const total = body.features.reduce((s: number, f: any) => s + f.properties.grids, 0);
    expect(total).toBe((await get('/api/grids')).body.features.length);
  });
});
