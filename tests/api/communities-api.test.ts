/**
 * Communities of a real street (issue 18): the street leader creates and changes communities
 * (POST/PATCH /api/communities) and imports them (kind=communities), and imports grids for the
 * whole street, each to the community that contains it; a grid import refuses overlaps, grids
 * outside their community and colliding codes as errors of the feature, and a clean dry run
 * commits without a false 409 (issue 19). Real geometry: Liechtenstein's 11 municipalities
 * (../shared/realdata) as the communities of a street set up without a boundary.
 */

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FeatureCollection, MultiPolygon } from 'geojson';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth/tokens';
import { readEnv } from '../../api/env';
import { pointOnSurface } from '../../geo/geometry/point-on-surface';
import { IMPORT_PROBLEM } from '../../geo/import/import-problems';
import { type DemoRole, ROLE_ACCOUNTS, tokenOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';
import { describeWith } from '../support/prerequisites';

const REALDATA = fileURLToPath(new URL('../../../shared/realdata/', import.meta.url));
const MUNICIPALITIES = `${REALDATA}liechtenstein/municipalities.geojson`;

const fc = (features: { geometry: unknown; properties?: object }[]) =>
  JSON.stringify({
    type: 'FeatureCollection',
    features: features.map((f) => ({ type: 'Feature', properties: f.properties ?? {}, geometry: f.geometry })),
  });
function form(file: string, name: string) {
  const fd = new FormData();
  fd.set('file', new File([file], name));
  return fd;
}
const square = (x: number, y: number, d: number): MultiPolygon => ({
  type: 'MultiPolygon',
  coordinates: [
    [
      [
        [x, y],
        [x + d, y],
        [x + d, y + d],
        [x, y + d],
        [x, y],
      ],
    ],
  ],
});

describeWith(
  fs.existsSync(MUNICIPALITIES)
    ? { ok: true, reason: '' }
    : { ok: false, reason: `${MUNICIPALITIES} is missing (../shared/realdata/README.md)` },
  'communities of a real street',
  () => {
    describeEachDatabase('communities', (_mode, db) => {
      const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
      const tokens = new Map<string, string>();
      const call = async (who: DemoRole | string, method: string, path: string, body?: unknown) => {
        const token = tokens.get(who) ?? (await tokenOf(db(), ROLE_ACCOUNTS[who as DemoRole]));
        const init: RequestInit = { method, headers: { authorization: `Bearer ${token}` } };
        if (body instanceof FormData) init.body = body;
        else if (body !== undefined) {
          init.body = JSON.stringify(body);
          (init.headers as Record<string, string>)['content-type'] = 'application/json';
        }
        const res = await app().request(path, init);
        return { status: res.status, body: (await res.json()) as any };
      };
      const dryThenCommit = async (who: string, kind: string, file: string) => {
        const dry = await call(who, 'POST', `/api/imports?kind=${kind}`, form(file, `${kind}.geojson`));
        expect(dry.status, JSON.stringify(dry.body)).toBe(201);
        const done = await call(who, 'POST', `/api/imports/${dry.body.id}/commit`);
        return { dry: dry.body, done };
      };
      const problemsOf = (report: any) => report.problems.map((p: any) => [p.featureIndex, p.code, p.severity]);

      let demo: {
        id: number;
        code: string;
        version: number;
        boundary: MultiPolygon;
        shrunk: MultiPolygon;
        outside: MultiPolygon;
        neighbour: MultiPolygon;
      };
      beforeAll(async () => {
        [demo] = (await db().query(
          `select c.id, c.code, c.version, ST_AsGeoJSON(c.boundary)::json as boundary,
                  ST_AsGeoJSON(ST_Multi(ST_Buffer(c.boundary, -0.0003)))::json as shrunk,
                  ST_AsGeoJSON(ST_Multi(ST_Translate(c.boundary, 1, 0)))::json as outside,
                  (select ST_AsGeoJSON(o.boundary)::json from public.communities o where o.street_id = c.street_id and o.id <> c.id order by o.id limit 1) as neighbour
           from public.communities c join public.staff s on s.community_id = c.id where s.email = $1`,
          [ROLE_ACCOUNTS.community_staff],
        )) as [typeof demo];
      });

      describe('POST and PATCH /api/communities', () => {
        it('lets the street leader create a community by name and code, then rename and redraw it by version; a stale version is a 409', async () => {
          const created = await call('street_leader', 'POST', '/api/communities', { name: '新建社区', code: '360102001009' });
          expect(created.status, JSON.stringify(created.body)).toBe(201);
          expect(created.body).toMatchObject({
            geometry: null,
            properties: { code: '360102001009', name: '新建社区', version: 1, grids: 0 },
          });
          const id = created.body.properties.id;
          expect((await call('street_leader', 'GET', '/api/communities')).body.features.map((f: any) => f.properties.id)).toContain(id);

          const renamed = await call('street_leader', 'PATCH', `/api/communities/${id}`, { name: '新建社区（改）', version: 1 });
          expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
          expect(renamed.body.properties).toMatchObject({ name: '新建社区（改）', version: 2 });
          const stale = await call('street_leader', 'PATCH', `/api/communities/${id}`, { name: '又改', version: 1 });
          expect(stale.status).toBe(409);
          expect(stale.body.error).toMatchObject({ code: 'stale_version', details: { currentVersion: 2, yourVersion: 1 } });

          // A demo community redrawn inside itself: inside the street, overlapping nobody.
          const redrawn = await call('street_leader', 'PATCH', `/api/communities/${demo.id}`, {
            geometry: demo.shrunk,
            version: demo.version,
          });
          expect(redrawn.status, JSON.stringify(redrawn.body)).toBe(200);
          expect(redrawn.body.properties.version).toBe(demo.version + 1);
          // And back: its grids lie in the boundary it had.
          const back = await call('street_leader', 'PATCH', `/api/communities/${demo.id}`, {
            geometry: demo.boundary,
            version: demo.version + 1,
          });
          expect(back.status, JSON.stringify(back.body)).toBe(200);
          demo.version += 2;
        });

        it('refuses an overlap with another community and area outside the street as invalid_boundary, a bad or taken code, and every other role', async () => {
          const overlap = await call('street_leader', 'POST', '/api/communities', {
            name: '叠',
            code: '360102001010',
            geometry: demo.neighbour,
          });
          expect(overlap.status).toBe(422);
          expect(overlap.body.error).toMatchObject({ code: 'invalid_boundary', details: { valid: false, reason: 'community_overlap' } });
          expect(overlap.body.error.details.problems[0]).toMatchObject({ code: 'community_overlap', communityCode: expect.any(String) });
          const outside = await call('street_leader', 'POST', '/api/communities', {
            name: '外',
            code: '360102001010',
            geometry: demo.outside,
          });
          expect(outside.status).toBe(422);
          expect(outside.body.error.details).toMatchObject({ valid: false, reason: 'outside_street' });
          const bow = await call('street_leader', 'POST', '/api/communities', {
            name: '蝶',
            code: '360102001010',
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [0, 0],
                  [1, 1],
                  [1, 0],
                  [0, 1],
                  [0, 0],
                ],
              ],
            },
          });
          expect(bow.body.error.details).toMatchObject({ valid: false, reason: 'invalid_polygon' });

          const badCode = await call('street_leader', 'POST', '/api/communities', { name: '码', code: '360102002001' });
          expect(badCode.status).toBe(422);
          expect(badCode.body.error).toMatchObject({
            code: 'invalid_community_code',
            details: { reason: 'prefix_mismatch', example: '360102001001' },
          });
          const taken = await call('street_leader', 'POST', '/api/communities', { name: '码', code: demo.code });
          expect(taken.status).toBe(409);
          expect(taken.body.error).toMatchObject({ code: 'code_taken', details: { communityId: demo.id } });

          for (const role of ['community_staff', 'grid_leader', 'grid_member', 'presenter'] as const) {
            const post = await call(role, 'POST', '/api/communities', { name: '不许', code: '360102001011' });
            expect(post.status, role).toBe(403);
            const patch = await call(role, 'PATCH', `/api/communities/${demo.id}`, { name: '不许', version: demo.version });
            expect(patch.status, role).toBe(403);
          }
          expect((await db().query(`select 1 from public.communities where code = '360102001011' or name = '不许'`)).length).toBe(0);
        });
      });

      describe('a grid import of community staff', () => {
        it('refuses, as errors of the feature, an overlap with an existing grid, a grid outside the community and colliding codes; the clean rest commits at once', async () => {
          const grids = await db().query<{ code: string; boundary: MultiPolygon; half: MultiPolygon; other: string }>(
            `select g.code, ST_AsGeoJSON(g.boundary)::json as boundary,
                    -- Half over the grid, the rest over its neighbours, all inside the community: refused for the overlap alone.
                    ST_AsGeoJSON(ST_Multi(ST_CollectionExtract(ST_Intersection(ST_Translate(g.boundary, (ST_XMax(g.boundary) - ST_XMin(g.boundary)) / 2, 0),
                      (select c.boundary from public.communities c where c.id = g.community_id)), 3)))::json as half,
                    (select o.code from public.grids o where o.community_id <> g.community_id order by o.id limit 1) as other
             from public.grids g where g.community_id = $1 and g.retired_at is null order by g.id limit 2`,
            [demo.id],
          );
          const [a, b] = grids as [(typeof grids)[0], (typeof grids)[0]];
          const file = fc([
            { geometry: a.boundary, properties: { code: a.code, name: '原样重导' } }, // 0: clean (redrawn by its code)
            { geometry: b.half, properties: { name: '半叠' } }, // 1: over half of an existing grid
            { geometry: demo.outside, properties: { name: '社区外' } }, // 2: outside the community
            { geometry: square(0, 0, 0.001), properties: { code: a.code, name: '重码' } }, // 3: the code of row 0
            { geometry: square(0, 1, 0.001), properties: { code: b.other, name: '他码' } }, // 4: another community's grid's code
          ]);
          const { dry, done } = await dryThenCommit('community_staff', 'grids', file);
          const errors = dry.problems.filter((p: any) => p.severity === 'error').map((p: any) => [p.featureIndex, p.code]);
          expect(errors).toEqual(
            expect.arrayContaining([
              [1, IMPORT_PROBLEM.GRID_OVERLAP],
              [2, IMPORT_PROBLEM.OUTSIDE_COMMUNITY],
              [3, IMPORT_PROBLEM.DUPLICATE_CODE],
              [4, IMPORT_PROBLEM.CODE_TAKEN],
            ]),
          );
          expect(dry.problems.find((p: any) => p.featureIndex === 1 && p.code === IMPORT_PROBLEM.GRID_OVERLAP).details).toMatchObject({
            gridCode: expect.any(String),
          });
          expect(errors.filter((e: any) => e[0] === 1).map((e: any) => e[1])).toEqual(
            expect.arrayContaining([IMPORT_PROBLEM.GRID_OVERLAP]),
          );
          expect(errors.filter((e: any) => e[0] === 1 && e[1] !== IMPORT_PROBLEM.GRID_OVERLAP)).toEqual([]);
          expect(dry.counts).toMatchObject({ toInsert: 0, toUpdate: 1, skipped: 4 });
          expect(done.status, JSON.stringify(done.body)).toBe(200);
          expect(done.body.committed).toMatchObject({ inserted: 0, updated: 1 });
        });

        it('answers 409 only for a real change since the dry run, naming it', async () => {
          const [g] = await db().query<{ id: number; code: string; boundary: MultiPolygon }>(
            `select id, code, ST_AsGeoJSON(boundary)::json as boundary from public.grids where community_id = $1 and retired_at is null order by id limit 1`,
            [demo.id],
          );
          const dry = await call(
            'community_staff',
            'POST',
            '/api/imports?kind=grids',
            form(fc([{ geometry: g!.boundary, properties: { code: g!.code } }]), 'g.geojson'),
          );
          await db().query(`update public.grids set name = name || '·' where id = $1`, [g!.id]);
          const done = await call('community_staff', 'POST', `/api/imports/${dry.body.id}/commit`);
          expect(done.status).toBe(409);
          expect(done.body.error).toMatchObject({
            code: 'import_conflict',
            details: { changed: [{ kind: 'grid', code: g!.code, change: 'changed' }] },
          });
        });
      });

      describe('a street set up without a boundary', () => {
        let street: { id: number; leader: string };
        const code = (n: number) => `990201001${String(n).padStart(3, '0')}`;
        const municipalities = JSON.parse(fs.readFileSync(MUNICIPALITIES, 'utf8')) as FeatureCollection;
        beforeAll(async () => {
          const [s] = await db().query<{ id: number }>(
            `insert into public.streets (code, name) values ('990201001', '列支敦士登街道') returning id`,
          );
          const userId = randomUUID();
          await db().query(
            `insert into public.staff (user_id, street_id, name, email, role) values ($1, $2, '街道测试', 'leader-990201@test.local', 'street_leader')`,
            [userId, s!.id],
          );
          tokens.set('li-leader', await issueToken(TEST_JWT_SECRET, { id: userId, email: 'leader-990201@test.local' }));
          street = { id: s!.id, leader: 'li-leader' };
        });

        it('imports its communities from real geometry, keeps the street boundary as their union, and reports bad features', async () => {
          const inTriesen = pointOnSurface(municipalities.features[0]!.geometry as MultiPolygon)! as [number, number];
          const features = municipalities.features.map((f, n) => ({
            geometry: f.geometry,
            properties: { ...f.properties, 社区编码: code(n + 1) },
          }));
          const bad = [
            { geometry: square(inTriesen[0] - 0.002, inTriesen[1] - 0.002, 0.004), properties: { name: '重叠', 社区编码: code(20) } }, // 11: overlaps feature 0
            { geometry: square(9.5, 47.0, 0.01), properties: { name: '重码', 社区编码: code(1) } }, // 12: the code of feature 0
            { geometry: square(9.7, 47.0, 0.01), properties: { name: '错码', 社区编码: '990202001001' } }, // 13: another street's prefix
            {
              geometry: {
                type: 'LineString',
                coordinates: [
                  [9.5, 47.1],
                  [9.6, 47.2],
                ],
              },
              properties: { name: '线', 社区编码: code(21) },
            }, // 14
          ];
          const { dry, done } = await dryThenCommit(street.leader, 'communities', fc([...features, ...bad]));
          expect(dry.mapping).toMatchObject({ code: '社区编码', name: 'name' });
          const errors = problemsOf(dry).filter((p: any) => p[2] === 'error');
          expect(errors.sort((x: any, y: any) => x[0] - y[0])).toEqual([
            [11, IMPORT_PROBLEM.COMMUNITY_OVERLAP, 'error'],
            [12, IMPORT_PROBLEM.DUPLICATE_CODE, 'error'],
            [13, IMPORT_PROBLEM.INVALID_COMMUNITY_CODE, 'error'],
            [14, IMPORT_PROBLEM.NOT_POLYGON, 'error'],
          ]);
          expect(dry.counts).toMatchObject({ features: 15, toInsert: 11, toUpdate: 0 });
          expect(done.status, JSON.stringify(done.body)).toBe(200);
          expect(done.body.committed).toEqual({ inserted: 11, updated: 0 });
          const [s] = await db().query<{ derived: boolean; same: boolean }>(
            `select s.boundary_from_communities as derived,
                    ST_Area(ST_SymDifference(s.boundary, (select ST_Union(boundary) from public.communities where street_id = s.id))::geography) < 1 as same
             from public.streets s where s.id = $1`,
            [street.id],
          );
          expect(s).toEqual({ derived: true, same: true });

          // Re-importing a code with new geometry redraws that community (version 2).
          const again = await dryThenCommit(
            street.leader,
            'communities',
            fc([{ geometry: features[10]!.geometry, properties: { name: '瓦杜兹', 社区编码: code(11) } }]),
          );
          expect(again.dry.counts).toMatchObject({ toInsert: 0, toUpdate: 1 });
          expect(again.done.body.committed).toEqual({ inserted: 0, updated: 1 });
          const [v] = await db().query<{ version: number; name: string }>(`select version, name from public.communities where code = $1`, [
            code(11),
          ]);
          expect(v).toEqual({ version: 2, name: '瓦杜兹' });
        });

        it('imports grids for the whole street: each into the community that contains it; a straddling grid or one in no community is an error', async () => {
          const [g] = await db().query<{ a: MultiPolygon; b: MultiPolygon; straddle: MultiPolygon; aId: number; bId: number }>(
            `with a as (select id, boundary from public.communities where code = $1), b as (select id, boundary from public.communities where code = $2),
             edge as (select ST_PointOnSurface(ST_CollectionExtract(ST_Intersection(ST_Boundary(a.boundary), ST_Boundary(b.boundary)), 2)) as p from a, b)
             select a.id as "aId", b.id as "bId",
                    ST_AsGeoJSON(ST_Multi(ST_Intersection(a.boundary, ST_Buffer(ST_PointOnSurface(a.boundary), 0.005))))::json as a,
                    ST_AsGeoJSON(ST_Multi(ST_Intersection(b.boundary, ST_Buffer(ST_PointOnSurface(b.boundary), 0.005))))::json as b,
                    ST_AsGeoJSON(ST_Multi(ST_Buffer(edge.p, 0.003)))::json as straddle
             from a, b, edge`,
            [code(1), code(4)], // Triesen and Triesenberg share an edge
          );
          const file = fc([
            { geometry: g!.a, properties: { 网格编码: `${code(1)}001`, 网格名称: '甲' } },
            { geometry: g!.b, properties: { 网格名称: '乙' } },
            { geometry: g!.straddle, properties: { 网格名称: '跨界' } },
            { geometry: square(0, 0, 0.001), properties: { 网格名称: '无处' } },
          ]);
          const { dry, done } = await dryThenCommit(street.leader, 'grids', file);
          expect(problemsOf(dry).filter((p: any) => p[2] === 'error')).toEqual([
            [2, IMPORT_PROBLEM.GRID_STRADDLES_COMMUNITIES, 'error'],
            [3, IMPORT_PROBLEM.GRID_IN_NO_COMMUNITY, 'error'],
          ]);
          expect(dry.problems.find((p: any) => p.featureIndex === 2).details.communityCodes.sort()).toEqual([code(1), code(4)]);
          expect(done.status, JSON.stringify(done.body)).toBe(200);
          const grids = await db().query<{ name: string; communityId: number; code: string }>(
            `select name, community_id as "communityId", code from public.grids where community_id in ($1, $2) order by name`,
            [g!.aId, g!.bId],
          );
          expect(grids).toEqual([
            { name: '乙', communityId: g!.bId, code: `${code(4)}001` },
            { name: '甲', communityId: g!.aId, code: `${code(1)}001` },
          ]);
          // Community staff of that street may not import street-wide: they import into their own community only.
          const staff = await call('grid_leader', 'POST', '/api/imports?kind=communities', form(file, 'c.geojson'));
          expect(staff.status).toBe(403);
        });

        it('gives a grid without a code a code no row of the same file holds (the generated code collided and the commit answered 409)', async () => {
          const [g] = await db().query<{ a: MultiPolygon; b: MultiPolygon }>(
            `select ST_AsGeoJSON(ST_Multi(ST_Intersection(boundary, ST_Buffer(ST_Translate(ST_PointOnSurface(boundary), 0.005, 0), 0.002))))::json as a,
                    ST_AsGeoJSON(ST_Multi(ST_Intersection(boundary, ST_Buffer(ST_Translate(ST_PointOnSurface(boundary), -0.005, 0), 0.002))))::json as b
             from public.communities where code = $1`,
            [code(8)],
          );
          const file = fc([
            { geometry: g!.a, properties: { 网格名称: '无码' } },
            { geometry: g!.b, properties: { 网格编码: `${code(8)}001`, 网格名称: '有码' } },
          ]);
          const { dry, done } = await dryThenCommit(street.leader, 'grids', file);
          expect(dry.problems.find((p: any) => p.code === IMPORT_PROBLEM.MISSING_FIELD).details.generated).toBe(`${code(8)}002`);
          expect(done.status, JSON.stringify(done.body)).toBe(200);
          expect(done.body.committed).toMatchObject({ inserted: 2 });
        });
      });
    });
  },
);
