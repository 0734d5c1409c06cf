/**
 * OGC API – Features at /ogc: read by a real client, GDAL's ogrinfo through its OAPIF driver,
 * against the app served on a free port; and the documents, paging, bbox and access directly.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { type ServerType, serve } from '@hono/node-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { ROLE_ACCOUNTS, signedIn, tokenOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';
import { describeWith } from '../support/prerequisites';

const run = promisify(execFile);
const OGRINFO = '/usr/bin/ogrinfo';

describeEachDatabase('OGC API – Features', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const get = async (path: string) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS.street_leader).request(path);
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
  };
  let grids: number;
  let buildings: number;
  beforeAll(async () => {
    [{ grids, buildings }] = (await db().query<{ grids: number; buildings: number }>(
      'select (select count(*)::int from public.grids) as grids, (select count(*)::int from public.buildings) as buildings',
    )) as [{ grids: number; buildings: number }];
  });

  it('serves a landing page, conformance and both collections with their extent', async () => {
    const landing = await get('/ogc');
    expect(landing.body.links.map((l: any) => l.rel)).toEqual(['self', 'conformance', 'data']);
    expect((await get('/ogc/conformance')).body.conformsTo).toContain('http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson');
    const { body } = await get('/ogc/collections');
    expect(body.collections.map((c: any) => c.id)).toEqual(['grids', 'buildings']);
    const [minX, minY, maxX, maxY] = body.collections[0].extent.spatial.bbox[0];
    expect(minX).toBeLessThan(maxX);
    expect(minY).toBeLessThan(maxY);
  });

  it('pages through items with numberMatched, numberReturned and next/prev links, as GeoJSON', async () => {
    const first = await get('/ogc/collections/buildings/items?limit=200');
    expect(first.type).toBe('application/geo+json');
    expect(first.body).toMatchObject({ type: 'FeatureCollection', numberMatched: buildings, numberReturned: 200 });
    const next = first.body.links.find((l: any) => l.rel === 'next');
    expect(next.href).toMatch(/\/ogc\/collections\/buildings\/items\?limit=200&offset=200$/);
    const second = await get(new URL(next.href).pathname + new URL(next.href).search);
    expect(second.body.features[0].id).toBeGreaterThan(first.body.features.at(-1).id);
    expect(second.body.links.find((l: any) => l.rel === 'prev').href).toMatch(/offset=0$/);
    const last = await get(`/ogc/collections/buildings/items?limit=200&offset=${buildings - 5}`);
    expect(last.body.numberReturned).toBe(5);
    expect(last.body.links.find((l: any) => l.rel === 'next')).toBeUndefined();
  });

  it('filters by bbox and serves one feature with the grid statistics', async () => {
    const [g] = await db().query<{ id: number; bbox: string; households: number }>(
      `select g.id, concat_ws(',', ST_XMin(g.boundary), ST_YMin(g.boundary), ST_XMax(g.boundary), ST_YMax(g.boundary)) as bbox,
              (select households from public.grid_household_counts($1::date) where grid_id = g.id) as households
       from public.grids g order by g.id limit 1`,
      [DEMO_TODAY],
    );
    const inBox = await get(`/ogc/collections/grids/items?bbox=${g!.bbox}`);
    expect(inBox.body.numberMatched).toBeGreaterThanOrEqual(1);
    expect(inBox.body.numberMatched).toBeLessThan(grids);
    expect(inBox.body.features.map((f: any) => f.id)).toContain(g!.id);
    const one = await get(`/ogc/collections/grids/items/${g!.id}`);
    expect(one.body.properties).toMatchObject({
      households: g!.households,
      asOf: DEMO_TODAY,
      coverage: expect.any(Number),
      attention: expect.any(Number),
    });
    expect((await get('/ogc/collections/grids/items/999999')).status).toBe(404);
    expect((await get('/ogc/collections/households/items')).status).toBe(400);
  });

  it('needs a token, and shows only what the caller may see', async () => {
    expect((await app().request('/ogc/collections/grids/items')).status).toBe(401);
    const res = await app().request('/ogc/collections/grids/items', {
      headers: { authorization: `Bearer ${await tokenOf(db(), ROLE_ACCOUNTS.community_staff)}` },
    });
    expect(((await res.json()) as any).numberMatched).toBe(grids);
    // A signed-in account without a staff record sees an empty street.
    const { issueToken } = await import('../../api/auth/tokens');
    const stranger = await issueToken(TEST_JWT_SECRET, { id: '00000000-0000-4000-8000-000000000001', email: 'x@example.com' });
    const empty = await app().request('/ogc/collections/grids/items', { headers: { authorization: `Bearer ${stranger}` } });
    expect(((await empty.json()) as any).numberMatched).toBe(0);
  });

  describeWith(
    fs.existsSync(OGRINFO) ? { ok: true, reason: '' } : { ok: false, reason: `${OGRINFO} is missing (apt-get install gdal-bin)` },
    'read by GDAL ogrinfo',
    () => {
      let server: ServerType;
      let url: string;
      beforeAll(async () => {
        server = serve({ fetch: app().fetch, hostname: '127.0.0.1', port: 0 });
        await new Promise<void>((resolve) => server.once('listening', () => resolve()));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ogc`;
      });
      afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

      // Async execFile: the server answers ogrinfo from this same process.
      const ogrinfo = async (...args: string[]) => {
        const token = await tokenOf(db(), ROLE_ACCOUNTS.street_leader);
        const { stdout } = await run(OGRINFO, ['-ro', ...args], {
          env: { ...process.env, GDAL_HTTP_HEADERS: `Authorization: Bearer ${token}` },
          timeout: 120_000,
        });
        return stdout;
      };

      it('lists the collections and reports the grids layer with its feature count', async () => {
        const list = await ogrinfo(`OAPIF:${url}`);
        expect(list).toMatch(/grids/);
        expect(list).toMatch(/buildings/);
        const summary = await ogrinfo(`OAPIF:${url}`, 'grids', '-so');
        expect(summary).toContain(`Feature Count: ${grids}`);
        expect(summary).toMatch(/Geometry: Multi Polygon/);
        expect(summary).toMatch(/households: Integer/);
      });

      it('reads a grid feature with its code and statistics', async () => {
        const [g] = await db().query<{ id: number; code: string }>('select id, code from public.grids order by id limit 1');
        const out = await ogrinfo(`OAPIF:${url}`, 'grids', '-fid', String(g!.id));
        expect(out).toContain(`code (String) = ${g!.code}`);
        expect(out).toMatch(/MULTIPOLYGON \(\(\(/);
      });
    },
  );
});
