/**
 * Vector tiles of the map's shapes: GET /api/tiles/{grids|buildings}/{z}/{x}/{y}.mvt?v=<version>
 * and TileJSON at /api/tiles/{grids|buildings}.json naming the current geometry version.
 *
 * A tile holds geometry and `id` only, so it changes only with the geometry version (a counter
 * the database bumps when a boundary, a footprint or a building's grid changes): a URL with the
 * current `v` is served `immutable`, and kept in an in-process LRU keyed by what the caller may
 * see (row-level security scopes shapes to the caller's street; only a street leader sees
 * buildings outside every grid). A missing or stale `v` still gets the current shapes, revalidated.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { validationHook } from '../lib/errors';
import { asCaller, type AppEnv } from '../lib/request-db';
import { renderTile, TILE_LAYERS, type TileLayer } from '../lib/vector-tiles';

const MAX_ZOOM = 22;
const layerParam = z.enum(Object.keys(TILE_LAYERS) as [TileLayer, ...TileLayer[]], {
  error: `the layer must be one of ${Object.keys(TILE_LAYERS).join(', ')}`,
});
const tileParams = z
  .object({
    layer: layerParam,
    z: z.coerce.number().int().min(0).max(MAX_ZOOM, `z must be a zoom from 0 to ${MAX_ZOOM}`),
    x: z.coerce.number().int().min(0),
    y: z.string().regex(/^[0-9]+\.mvt$/, 'the tile must end in {y}.mvt, e.g. /api/tiles/grids/12/3348/1724.mvt'),
  })
  .transform((p, ctx) => {
    const y = Number(p.y.slice(0, -4));
    const n = 2 ** p.z;
    if (p.x >= n || y >= n) {
      ctx.addIssue({ code: 'custom', message: `x and y must be below 2^z = ${n} at zoom ${p.z}; got x ${p.x}, y ${y}`, path: ['x'] });
      return z.NEVER;
    }
    return { layer: p.layer, z: p.z, x: p.x, y };
  });

/** About 64 MB of typical tiles; an entry is a few KB to a few hundred KB. */
const cacheOptions = { maxSize: 64 * 1024 * 1024, sizeCalculation: (t: Uint8Array) => Math.max(1, t.byteLength) };

export function tileRoutes({ db }: AppDeps) {
  const cache = new LRUCache<string, Uint8Array>(cacheOptions);
  return new Hono<AppEnv>()
    .get('/:file{(grids|buildings)\\.json}', async (c) => {
      const layer = c.req.param('file').replace(/\.json$/, '') as TileLayer;
      const version = await asCaller(db, c.get('claims'), async (tx) =>
        Number((await tx.query<{ v: number }>('select public.geometry_version() as v'))[0]!.v));
      const origin = new URL(c.req.url).origin;
      const { minzoom, maxzoom } = TILE_LAYERS[layer];
      c.header('Cache-Control', 'private, no-cache');
      return c.json({
        tilejson: '3.0.0',
        name: layer,
        scheme: 'xyz',
        tiles: [`${origin}/api/tiles/${layer}/{z}/{x}/{y}.mvt?v=${version}`],
        minzoom,
        maxzoom,
        geometryVersion: version,
        vector_layers: [{ id: layer, fields: { id: 'Number' }, minzoom, maxzoom }],
      });
    })
    .get('/:layer/:z/:x/:y', zValidator('param', tileParams, validationHook), async (c) => {
      const t = c.req.valid('param');
      const asked = c.req.query('v');
      const tile = await asCaller(db, c.get('claims'), async (tx) => {
        const [scope] = await tx.query<{ v: number; street: number | null; leader: boolean }>(
          `select public.geometry_version() as v, me.street_id as street, coalesce(me.role = 'street_leader', false) as leader
           from (select 1) one left join minqing.my_staff() me on true`,
        );
        const version = Number(scope!.v);
        const key = `${t.layer}/${t.z}/${t.x}/${t.y}@${version}:${scope!.street}:${scope!.leader}`;
        let bytes = cache.get(key);
        const hit = bytes !== undefined;
        if (!bytes) {
          bytes = await renderTile(tx, db.kind, t);
          cache.set(key, bytes);
        }
        return { bytes, version, hit };
      });
      c.header('Content-Type', 'application/vnd.mapbox-vector-tile');
      c.header('X-Tile-Cache', tile.hit ? 'hit' : 'miss');
      c.header('ETag', `"${t.layer}-v${tile.version}"`);
      c.header('Cache-Control', asked === String(tile.version) ? 'private, max-age=31536000, immutable' : 'private, no-cache');
      return c.body(tile.bytes as Uint8Array<ArrayBuffer>);
    });
}
