/**
 * Vector tiles (issue #9): decoded with @mapbox/vector-tile, on both databases. A tile carries
 * geometry and `id` only, inside the tile's extent (plus the buffer); the URL's geometry version
 * changes when a shape does; both encoders (ST_AsMVT, SQL clip + vt-pbf) agree on PostgreSQL.
 */
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { BUFFER, EXTENT, renderTile } from '../../api/lib/vector-tiles';
import { wgs84ToGcj02 } from '../../geo/import/gcj02';
import { ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

/** The slippy-map tile holding a point. */
function tileOf(lon: number, lat: number, z: number): { z: number; x: number; y: number } {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return { z, x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) };
}

const decode = (bytes: Uint8Array) => new VectorTile(new PbfReader(bytes));

describeEachDatabase('vector tiles', (mode, db) => {
  // One app for the file: the tile cache lives in it, as in a running server.
  let theApp: ReturnType<typeof signedIn> | undefined;
  const app = () =>
    (theApp ??= signedIn(
      createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }),
      db(),
      ROLE_ACCOUNTS.street_leader,
    ));
  const get = async (path: string) => {
    const res = await app().request(path);
    return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  const json = async (path: string) => JSON.parse(new TextDecoder().decode((await get(path)).bytes));
  let grid: { id: number; lon: number; lat: number };
  let building: { id: number; lon: number; lat: number };

  beforeAll(async () => {
    [grid = grid] = await db().query<typeof grid>(
      `select id, ST_X(p) as lon, ST_Y(p) as lat from (select id, ST_PointOnSurface(boundary) as p from public.grids order by id limit 1) g`,
    );
    [building = building] = await db().query<typeof building>(
      `select id, ST_X(p) as lon, ST_Y(p) as lat from (select id, ST_PointOnSurface(footprint) as p from public.buildings order by id limit 1) b`,
    );
  });

  const tilePath = (layer: string, t: { z: number; x: number; y: number }, v?: number) =>
    `/api/tiles/${layer}/${t.z}/${t.x}/${t.y}.mvt${v === undefined ? '' : `?v=${v}`}`;

  it('serves a grids tile with geometry and id only, inside its extent, immutable at the current version', async () => {
    const meta = await json('/api/tiles/grids.json');
    expect(meta.tiles[0]).toMatch(/\/api\/tiles\/grids\/\{z\}\/\{x\}\/\{y\}\.mvt\?v=\d+$/);
    expect(meta.minzoom).toBe(8);
    const t = tileOf(grid.lon, grid.lat, 12);
    const res = await get(tilePath('grids', t, meta.geometryVersion));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vnd.mapbox-vector-tile');
    expect(res.headers.get('cache-control')).toContain('immutable');
    const layer = decode(res.bytes).layers.grids!;
    expect(layer.extent).toBe(EXTENT);
    expect(layer.length).toBeGreaterThan(0);
    const ids: number[] = [];
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      expect(f.type).toBe(3);
      expect(f.properties).toEqual({ id: f.id });
      ids.push(f.id!);
      for (const ring of f.loadGeometry()) {
        for (const p of ring) {
          expect(p.x).toBeGreaterThanOrEqual(-BUFFER);
          expect(p.x).toBeLessThanOrEqual(EXTENT + BUFFER);
          expect(p.y).toBeGreaterThanOrEqual(-BUFFER);
          expect(p.y).toBeLessThanOrEqual(EXTENT + BUFFER);
        }
      }
    }
    expect(ids).toContain(grid.id);
    // The grid's point on surface lands in its own outline, where the tile puts it.
    const f = layer.feature(ids.indexOf(grid.id)).toGeoJSON(t.x, t.y, t.z);
    const g = f.geometry as GeoJSON.Polygon | GeoJSON.MultiPolygon;
    const points = g.type === 'Polygon' ? g.coordinates.flat() : g.coordinates.flat(2);
    const lons = points.map((p) => p[0]!);
    expect(Math.min(...lons)).toBeLessThanOrEqual(grid.lon);
    expect(Math.max(...lons)).toBeGreaterThanOrEqual(grid.lon);
  });

  // A street or district leader zoomed out to the whole area still sees every grid, coloured by
  // feature-state (the same ids), drawn with fewer vertices the further out.
  it('serves grids from zoom 8, simplified per zoom, every tile under 500 KB, and nothing below', async () => {
    const v = (await json('/api/tiles/grids.json')).geometryVersion as number;
    const [{ n }] = (await db().query<{ n: number }>('select count(*)::int as n from public.grids where retired_at is null')) as [
      { n: number },
    ];
    const verticesOf = (bytes: Uint8Array, t: { z: number; x: number; y: number }) => {
      const l = decode(bytes).layers.grids!;
      const i = Array.from({ length: l.length }, (_, k) => l.feature(k).id).indexOf(grid.id);
      expect(i, `grid ${grid.id} in tile ${t.z}/${t.x}/${t.y}`).toBeGreaterThanOrEqual(0);
      return l.feature(i).loadGeometry().flat().length;
    };
    const vertices: number[] = [];
    for (const z of [8, 10, 12, 14]) {
      const t = tileOf(grid.lon, grid.lat, z);
      const res = await get(tilePath('grids', t, v));
      expect(res.status).toBe(200);
      expect(res.bytes.byteLength).toBeLessThan(500 * 1024);
      if (z === 8) expect(decode(res.bytes).layers.grids!.length).toBe(n);
      vertices.push(verticesOf(res.bytes, t));
    }
    // Never more vertices a step out, clearly fewer at z8 than at z14, and a polygon still (≥ 4 with the closing one).
    for (let i = 1; i < vertices.length; i++)
      expect(vertices[i - 1]!, `vertices by zoom 8, 10, 12, 14: ${vertices}`).toBeLessThanOrEqual(vertices[i]!);
    expect(vertices[0]!, `vertices by zoom 8, 10, 12, 14: ${vertices}`).toBeLessThan(vertices[3]!);
    expect(vertices[0]).toBeGreaterThanOrEqual(4);
    const z7 = await get(tilePath('grids', tileOf(grid.lon, grid.lat, 7), v));
    expect(z7.status).toBe(200);
    expect(z7.bytes.byteLength).toBe(0);
  });

  it('serves buildings from zoom 15 and nothing below', async () => {
    const z15 = await get(tilePath('buildings', tileOf(building.lon, building.lat, 15)));
    const layer = decode(z15.bytes).layers.buildings!;
    const ids = Array.from({ length: layer.length }, (_, i) => layer.feature(i).id);
    expect(ids).toContain(building.id);
    expect(z15.headers.get('cache-control')).toBe('private, no-cache');
    const z14 = await get(tilePath('buildings', tileOf(building.lon, building.lat, 14)));
    expect(z14.status).toBe(200);
    expect(z14.bytes.byteLength).toBe(0);
  });

  it('holds in a building tile exactly the buildings the caller may read: every one for the table owner, a loose building for the street leader only', async () => {
    // A building outside every grid (grid_id null), which only the street leader may read.
    const [loose] = await db().query<{ id: number; lon: number; lat: number }>(
      `insert into public.buildings (address, footprint)
       select '测试路 9 号', ST_Translate(b.footprint, (select ST_XMax(ST_Extent(boundary)) from public.grids) - ST_XMin(b.footprint) + 0.0005, 0)
       from public.buildings b order by b.id limit 1
       returning id, ST_X(ST_PointOnSurface(footprint)) as lon, ST_Y(ST_PointOnSurface(footprint)) as lat`,
    );
    try {
      const at = tileOf(loose!.lon, loose!.lat, 15);
      const idsOf = (bytes: Uint8Array) => {
        const layer = decode(bytes).layers.buildings;
        return layer ? Array.from({ length: layer.length }, (_, i) => Number(layer.feature(i).id)).sort((a, b) => a - b) : [];
      };
      // The owner's tile (no claims: row-level security does not apply) is every building there.
      const everyone = idsOf(await renderTile(db(), mode, { layer: 'buildings', ...at }));
      expect(everyone).toContain(loose!.id);
      expect(everyone.length).toBeGreaterThan(1);
      const leader = signedIn(
        createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }),
        db(),
        ROLE_ACCOUNTS.street_leader,
      );
      const member = signedIn(
        createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }),
        db(),
        ROLE_ACCOUNTS.grid_member,
      );
      const path = tilePath('buildings', at);
      expect(idsOf(new Uint8Array(await (await leader.request(path)).arrayBuffer()))).toEqual(everyone);
      expect(idsOf(new Uint8Array(await (await member.request(path)).arrayBuffer()))).toEqual(everyone.filter((id) => id !== loose!.id));
    } finally {
      await db().query('delete from public.buildings where id = $1', [loose!.id]);
    }
  });

  it('answers a repeat from its cache and moves to a new version when a shape changes', async () => {
    const t = tileOf(building.lon, building.lat, 16);
    const before = (await json('/api/tiles/buildings.json')).geometryVersion as number;
    await get(tilePath('buildings', t, before));
    expect((await get(tilePath('buildings', t, before))).headers.get('x-tile-cache')).toBe('hit');
    await db().query(`update public.buildings set footprint = ST_Multi(ST_Buffer(ST_PointOnSurface(footprint), 0.0001, 4)) where id = $1`, [
      building.id,
    ]);
    const after = (await json('/api/tiles/buildings.json')).geometryVersion as number;
    expect(after).toBeGreaterThan(before);
    const fresh = await get(tilePath('buildings', t, after));
    expect(fresh.headers.get('x-tile-cache')).toBe('miss');
    // The old URL is no longer the current shape: not immutable any more.
    expect((await get(tilePath('buildings', t, before))).headers.get('cache-control')).toBe('private, no-cache');
  });

  it.each([
    ['/api/tiles/grids/23/0/0.mvt', /zoom from 0 to 22/],
    ['/api/tiles/grids/3/8/0.mvt', /below 2\^z = 8/],
    ['/api/tiles/roads/12/0/0.mvt', /one of grids, buildings/],
    ['/api/tiles/grids/12/0/0.png', /end in \{y\}\.mvt/],
    ['/api/tiles/grids/12/0/0.mvt?crs=bd09', /crs must be one of wgs84, gcj02/],
    ['/api/tiles/grids/12/0/0.mvt?asOf=2099-01-01', /asOf 2099-01-01 is in the future/],
    ['/api/tiles/grids.json?asOf=2026-02-30', /asOf must be a date as YYYY-MM-DD/],
  ])('refuses %s with a 400 that says why', async (path, message) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    const body = JSON.parse(new TextDecoder().decode(res.bytes));
    expect(body.error.code).toBe('invalid_request');
    expect(JSON.stringify(body.error)).toMatch(message);
  });

  // Only PostgreSQL has ST_AsMVT to compare with.
  if (mode === 'postgres')
    it('encodes the same features with ST_AsMVT as with the SQL clip and vt-pbf', async () => {
      const variants = [{}, { crs: 'gcj02' as const }, { asOf: '2026-10-31' }];
      for (const [layer, z, variant] of [
        ['grids', 8, 0],
        ['grids', 10, 1],
        ['grids', 12, 0],
        ['grids', 14, 1],
        ['grids', 14, 2],
        ['buildings', 15, 0],
        ['buildings', 16, 1],
      ] as const) {
        const where = layer === 'grids' ? grid : building;
        // A shifted tile is the one over the shape's GCJ-02 position.
        const [lon, lat] = variant === 1 ? wgs84ToGcj02([where.lon, where.lat]) : [where.lon, where.lat];
        const t = { layer, ...tileOf(lon, lat, z), ...variants[variant] };
        const ids = async (kind: 'pglite' | 'postgres') => {
          const l = decode(await renderTile(db(), kind, t)).layers[layer]!;
          return Array.from({ length: l.length }, (_, i) => l.feature(i).id).sort((a, b) => a! - b!);
        };
        expect(await ids('pglite')).toEqual(await ids('postgres'));
      }
    });

  /** Mean of a tile feature's outer-ring vertices, [lon, lat]. */
  const centreOf = (bytes: Uint8Array, layer: string, id: number, t: { z: number; x: number; y: number }): [number, number] => {
    const l = decode(bytes).layers[layer]!;
    const i = Array.from({ length: l.length }, (_, k) => l.feature(k).id).indexOf(id);
    expect(i, `feature ${id} in ${layer} tile ${t.z}/${t.x}/${t.y}`).toBeGreaterThanOrEqual(0);
    const g = l.feature(i).toGeoJSON(t.x, t.y, t.z).geometry as GeoJSON.Polygon | GeoJSON.MultiPolygon;
    const ring = (g.type === 'Polygon' ? g.coordinates[0]! : g.coordinates[0]![0]!).slice(0, -1);
    return [ring.reduce((s, p) => s + p[0]!, 0) / ring.length, ring.reduce((s, p) => s + p[1]!, 0) / ring.length];
  };
  /** Ground distance in metres between two nearby points. */
  const metres = (a: [number, number], b: [number, number]) =>
    Math.hypot((a[0] - b[0]) * Math.cos((a[1] * Math.PI) / 180), a[1] - b[1]) * 111_320;

  it('shifts a tile for a GCJ-02 basemap by the GCJ-02 offset, leaving the stored shapes as they are', async () => {
    const stored = async () =>
      (await db().query<{ wkt: string }>('select ST_AsText(footprint) as wkt from public.buildings where id = $1', [building.id]))[0]!.wkt;
    const before = await stored();
    const plain = tileOf(building.lon, building.lat, 16);
    const [glon, glat] = wgs84ToGcj02([building.lon, building.lat]);
    // The shift is hundreds of metres: the shifted building is drawn in the tile over its GCJ-02 position.
    const shifted = tileOf(glon, glat, 16);
    const a = centreOf((await get(tilePath('buildings', plain))).bytes, 'buildings', building.id, plain);
    const b = centreOf((await get(`${tilePath('buildings', shifted)}?crs=gcj02`)).bytes, 'buildings', building.id, shifted);
    expect(metres(a, b)).toBeGreaterThan(100);
    // Where a per-vertex GCJ-02 conversion puts it, within the tile's grid (0.15 m at z16) and the per-tile shift's error.
    expect(metres(b, wgs84ToGcj02(a))).toBeLessThan(0.5);
    expect(await stored()).toBe(before);
    // The TileJSON of the variant names it on its tile URL.
    expect((await json('/api/tiles/buildings.json?crs=gcj02')).tiles[0]).toMatch(/\.mvt\?v=\d+&crs=gcj02$/);
  });

  it('draws a past date with the boundaries in force then, today with today’s', async () => {
    const t = tileOf(grid.lon, grid.lat, 14);
    const extentOf = (bytes: Uint8Array) => {
      const l = decode(bytes).layers.grids!;
      const f = l.feature(Array.from({ length: l.length }, (_, k) => l.feature(k).id).indexOf(grid.id));
      const xs = f
        .loadGeometry()
        .flat()
        .map((p) => p.x);
      return Math.max(...xs) - Math.min(...xs);
    };
    const pastDay = '2026-10-31';
    expect((await json(`/api/tiles/grids.json?asOf=${pastDay}`)).tiles[0]).toMatch(new RegExp(`\\.mvt\\?v=\\d+&asOf=${pastDay}$`));
    const original = extentOf((await get(`${tilePath('grids', t)}?asOf=${pastDay}`)).bytes);
    // A boundary redrawn now (a new version in the history, valid from now) shrinks the grid today only.
    await db().query('update public.grids set boundary = ST_Multi(ST_Buffer(ST_PointOnSurface(boundary), 0.0005, 4)) where id = $1', [
      grid.id,
    ]);
    const v = (await json('/api/tiles/grids.json')).geometryVersion as number;
    const today = extentOf((await get(tilePath('grids', t, v))).bytes);
    const past = extentOf((await get(`${tilePath('grids', t, v)}&asOf=${pastDay}`)).bytes);
    expect(past).toBe(original);
    expect(today).toBeLessThan(original / 2);
  });

  it('leaves a retired grid (merged away) out of the grids tiles, at a new geometry version', async () => {
    const before = await json('/api/tiles/grids.json');
    const t = tileOf(grid.lon, grid.lat, 12);
    const ids = (bytes: Uint8Array) => {
      const layer = decode(bytes).layers.grids!;
      return Array.from({ length: layer.length }, (_, i) => layer.feature(i).id);
    };
    expect(ids((await get(tilePath('grids', t, before.geometryVersion))).bytes)).toContain(grid.id);
    await db().query('update public.grids set retired_at = now() where id = $1', [grid.id]);
    try {
      const after = await json('/api/tiles/grids.json');
      expect(after.geometryVersion).toBeGreaterThan(before.geometryVersion);
      expect(ids((await get(tilePath('grids', t, after.geometryVersion))).bytes)).not.toContain(grid.id);
    } finally {
      await db().query('update public.grids set retired_at = null where id = $1', [grid.id]);
    }
  });
});
