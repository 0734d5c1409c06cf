/**
 * Imports on real OpenStreetMap data (../shared/realdata): Monaco's quartiers as a zipped
 * Shapefile in UTM 32N with its .prj, as KML and as FlatGeobuf (fixtures made from the same file
 * with ogr2ogr), Monaco's 23,336 building footprints, and Liechtenstein's municipalities and
 * buildings. Each goes into a street and community of its own, made here by the owner, imported by
 * that community's staff through the API, dry run first and then commit.
 */

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { booleanPointInPolygon } from '@turf/turf';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth/tokens';
import type { Database } from '../../api/db/database';
import { readEnv } from '../../api/env';
import { pointOnSurface } from '../../geo/geometry/point-on-surface';
import { IMPORT_PROBLEM } from '../../geo/import/import-problems';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';
import { describeWith, type Prerequisite } from '../support/prerequisites';

const REALDATA = fileURLToPath(new URL('../../../shared/realdata/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/imports/', import.meta.url));
function realdataPrerequisite(): Prerequisite {
  return fs.existsSync(`${REALDATA}monaco/quartiers.geojson`) && fs.existsSync(`${REALDATA}liechtenstein/municipalities.geojson`)
    ? { ok: true, reason: '' }
    : { ok: false, reason: `${REALDATA} is missing (the shared real OpenStreetMap data, see ../shared/realdata/README.md)` };
}
const readJson = (p: string) => JSON.parse(fs.readFileSync(p, 'utf8')) as FeatureCollection<Polygon | MultiPolygon>;

/** A street and community around `area` (its envelope, widened 0.002°), and a community-staff token for it. */
async function placeFor(db: Database, code: string, area: FeatureCollection): Promise<{ token: string; communityId: number }> {
  const geoms = JSON.stringify(area.features.map((f) => f.geometry));
  const [c] = await db.query<{ id: number }>(
    `with env as (
       select ST_Multi(ST_Expand(ST_Envelope(ST_Collect(array(
         select ST_SetSRID(ST_GeomFromGeoJSON(g::text), 4326) from jsonb_array_elements($1::jsonb) g))), 0.002)) as b),
     s as (insert into public.streets (code, name, boundary) select $2, 'Test street ' || $2, b from env returning id)
     insert into public.communities (street_id, code, name, boundary) select s.id, $2 || '001', 'Test community ' || $2, env.b from s, env returning id`,
    [geoms, code],
  );
  const userId = randomUUID();
  const email = `staff-${code}@test.local`;
  await db.query(
    `insert into public.staff (user_id, street_id, community_id, name, email, role)
     select $1, street_id, id, '测试社区干部', $2, 'community_staff' from public.communities where id = $3`,
    [userId, email, c!.id],
  );
  return { token: await issueToken(TEST_JWT_SECRET, { id: userId, email }), communityId: c!.id };
}

function form(file: Buffer | string, name: string, extra: Record<string, string> = {}) {
  const fd = new FormData();
  fd.set('file', new File([typeof file === 'string' ? file : new Uint8Array(file)], name));
  for (const [k, v] of Object.entries(extra)) fd.set(k, v);
  return fd;
}

/** Buildings whose point on surface lies in one of the areas — the database's rule, computed here with geo/'s own point on surface. */
function expectedInside(buildings: FeatureCollection<Polygon | MultiPolygon>, areas: FeatureCollection<Polygon | MultiPolygon>) {
  const seen = new Set<string>();
  let inside = 0;
  let duplicates = 0;
  for (const b of buildings.features) {
    const p = pointOnSurface(b.geometry);
    if (!p) continue;
    if (!areas.features.some((a) => booleanPointInPolygon(p, a as Feature<Polygon | MultiPolygon>))) continue;
    const key = JSON.stringify(b.geometry.coordinates);
    if (seen.has(key)) duplicates++;
    else inside++;
    seen.add(key);
  }
  return { inside, duplicates };
}

describeWith(realdataPrerequisite(), 'imports of real OpenStreetMap data', () => {
  describeEachDatabase('imports of real data', (_mode, db) => {
    const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
    const post = async (token: string, path: string, body?: FormData) => {
      const res = await app().request(path, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
      return { status: res.status, body: (await res.json()) as any };
    };

    const quartiers = readJson(`${REALDATA}monaco/quartiers.geojson`);
    let monaco: { token: string; communityId: number };
    beforeAll(async () => {
      monaco = await placeFor(db(), '990101001', quartiers);
    });

    it('reads the KML and FlatGeobuf quartiers: 9 features, WGS84, nothing to insert yet that a dry run would write', async () => {
      for (const name of ['monaco-quartiers.kml', 'monaco-quartiers.fgb']) {
        const { status, body } = await post(monaco.token, '/api/imports?kind=grids', form(fs.readFileSync(FIXTURES + name), name));
        expect(status, JSON.stringify(body)).toBe(201);
        expect(body.counts).toMatchObject({ features: 9, polygons: 9, toInsert: 9, toUpdate: 0, skipped: 0 });
        expect(body.crs).toMatchObject({ reprojected: false, swapped: false });
        expect(body.mapping.name).toBe('name');
      }
      const [{ n }] = (await db().query<{ n: number }>('select count(*)::int as n from public.grids where community_id = $1', [
        monaco.communityId,
      ])) as [{ n: number }];
      expect(n).toBe(0);
    });

    it('imports the quartiers from a zipped Shapefile in UTM 32N: the .prj is read and the grids land where OpenStreetMap has them', async () => {
      const dry = await post(
        monaco.token,
        '/api/imports?kind=grids',
        form(fs.readFileSync(`${FIXTURES}monaco-quartiers-utm32n.zip`), 'monaco-quartiers-utm32n.zip'),
      );
      expect(dry.status, JSON.stringify(dry.body)).toBe(201);
      expect(dry.body.format).toBe('shapefile');
      expect(dry.body.crs).toMatchObject({ source: 'prj', name: 'WGS_1984_UTM_Zone_32N', reprojected: true });
      expect(dry.body.counts).toMatchObject({ features: 9, toInsert: 9, duplicates: 0 });
      // The community is the quartiers' envelope: the sea and the French side are in no grid.
      expect(dry.body.problemCounts[IMPORT_PROBLEM.GRID_GAP]).toBe(1);
      expect(dry.body.problemCounts[IMPORT_PROBLEM.MISSING_FIELD]).toBe(9); // no code property: codes generated

      const done = await post(monaco.token, `/api/imports/${dry.body.id}/commit`);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.committed).toMatchObject({ inserted: 9, updated: 0 });
      const grids = await db().query<{ name: string; code: string; offsetM: number }>(
        `select g.name, g.code,
                ST_HausdorffDistance(g.boundary::geography::geometry, o.g) * 111000 as "offsetM"
         from public.grids g
         join (select e -> 'properties' ->> 'name' as name, ST_SetSRID(ST_GeomFromGeoJSON((e -> 'geometry')::text), 4326) as g
               from jsonb_array_elements($2::jsonb) e) o on o.name = g.name
         where g.community_id = $1 order by g.code`,
        [monaco.communityId, JSON.stringify(quartiers.features)],
      );
      expect(grids).toHaveLength(9);
      for (const g of grids) expect(g.offsetM, g.name).toBeLessThan(0.5);
      expect(grids.map((g) => g.code)).toEqual(Array.from({ length: 9 }, (_, i) => `990101001001${String(i + 1).padStart(3, '0')}`));
    });

    it("imports Monaco's 23,336 buildings: those in a quartier are written, the rest reported outside every grid", async () => {
      const file = fs.readFileSync(`${REALDATA}monaco/buildings.geojson`);
      const buildings = JSON.parse(file.toString('utf8')) as FeatureCollection<Polygon | MultiPolygon>;
      const expected = expectedInside(buildings, quartiers);
      const dry = await post(monaco.token, '/api/imports?kind=buildings', form(file, 'buildings.geojson'));
      expect(dry.status, JSON.stringify(dry.body).slice(0, 500)).toBe(201);
      expect(dry.body.counts.features).toBe(23336);
      expect(dry.body.counts.toInsert).toBe(expected.inside);
      expect(dry.body.problemCounts[IMPORT_PROBLEM.BUILDING_OUTSIDE_GRIDS]).toBe(
        23336 - expected.inside - expected.duplicates - (dry.body.problemCounts[IMPORT_PROBLEM.NOT_POLYGON] ?? 0),
      );
      expect(dry.body.problems.filter((p: any) => p.code === IMPORT_PROBLEM.BUILDING_OUTSIDE_GRIDS).length).toBe(500);
      expect(dry.body.problems[0]).toEqual(
        expect.objectContaining({ code: expect.any(String), message: expect.any(String), featureIndex: expect.any(Number) }),
      );

      const done = await post(monaco.token, `/api/imports/${dry.body.id}/commit`);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.committed.inserted).toBe(expected.inside);
      const [{ n }] = (await db().query<{ n: number }>(
        'select count(*)::int as n from public.buildings b join public.grids g on g.id = b.grid_id where g.community_id = $1',
        [monaco.communityId],
      )) as [{ n: number }];
      expect(n).toBe(expected.inside);

      // The same file again: every building is already there, nothing is duplicated.
      const again = await post(monaco.token, '/api/imports?kind=buildings', form(file, 'buildings.geojson'));
      expect(again.body.counts.toInsert).toBe(0);
      expect(again.body.problemCounts[IMPORT_PROBLEM.DUPLICATE_GEOMETRY]).toBe(expected.inside + expected.duplicates);
    });

    it("imports Liechtenstein's municipalities and buildings, reporting the real data's duplicates and cut buildings", async () => {
      const municipalities = readJson(`${REALDATA}liechtenstein/municipalities.geojson`);
      const li = await placeFor(db(), '990102001', municipalities);
      const dry = await post(li.token, '/api/imports?kind=grids', form(JSON.stringify(municipalities), 'municipalities.geojson'));
      expect(dry.status, JSON.stringify(dry.body).slice(0, 500)).toBe(201);
      expect(dry.body.counts).toMatchObject({ features: 11, toInsert: 11 });
      const done = await post(li.token, `/api/imports/${dry.body.id}/commit`);
      expect(done.body.committed.inserted).toBe(11);

      const file = fs.readFileSync(`${REALDATA}liechtenstein/buildings.geojson`);
      const buildings = JSON.parse(file.toString('utf8')) as FeatureCollection<Polygon | MultiPolygon>;
      const expected = expectedInside(buildings, municipalities);
      const bdry = await post(li.token, '/api/imports?kind=buildings', form(file, 'buildings.geojson'));
      expect(bdry.status, JSON.stringify(bdry.body).slice(0, 500)).toBe(201);
      expect(bdry.body.counts).toMatchObject({ features: 3723, toInsert: expected.inside, duplicates: expected.duplicates });
      // Real defects: a duplicated outline, buildings the municipal boundaries cut, a few beyond them.
      expect(expected.duplicates).toBeGreaterThan(0);
      expect(bdry.body.problemCounts[IMPORT_PROBLEM.DUPLICATE_GEOMETRY]).toBe(expected.duplicates);
      expect(bdry.body.problemCounts[IMPORT_PROBLEM.BUILDING_OUTSIDE_GRIDS]).toBe(3723 - expected.inside - expected.duplicates);
      const crossing = bdry.body.problems.filter((p: any) => p.code === IMPORT_PROBLEM.BUILDING_CROSSES_GRIDS);
      expect(crossing.length).toBeGreaterThan(0);
      for (const p of crossing) expect(p.details.share).toBeLessThan(0.99);
      const bdone = await post(li.token, `/api/imports/${bdry.body.id}/commit`);
      expect(bdone.body.committed.inserted).toBe(expected.inside);
    });
  });
});
