/**
 * Vector tiles of the map's shapes: GET /api/tiles/{grids|buildings}/{z}/{x}/{y}.mvt?v=<version>
 * and TileJSON at /api/tiles/{grids|buildings}.json naming the current geometry version.
 *
 * A tile holds geometry and `id` only, so it changes only with the geometry version (a counter
 * the database bumps when a boundary, a footprint or a building's grid changes): a URL with the
 * current `v` is served `immutable`, and kept in an in-process LRU keyed by what the caller may
 * see (row-level security scopes shapes to the caller's street; only a street leader sees
 * buildings outside every grid). A missing or stale `v` still gets the current shapes, revalidated.
 *
 * Two variants, each its own URL and cache entry:
 * - `asOf=YYYY-MM-DD` (grids): the boundaries in force at the end of that day, as GET /api/grids?asOf=
 *   draws them (retired grids included while they existed). Footprints have no history, so the
 *   buildings layer is the same for every date and ignores it.
 * - `crs=gcj02`: shapes shifted for display over a GCJ-02 basemap (AMap/高德); the stored data is
 *   WGS84 and stays so (geo/geometry/display-crs.ts).
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { DISPLAY_CRS } from '../../geo/geometry/display-crs';
import type { AppDeps } from '../app';
import { validationHook } from '../lib/errors';
import { asOfParam, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';
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

/** The variant a tile URL asks for; absent = today's shapes in WGS84. */
const variantQuery = (today: () => string) =>
  z.object({
    v: z.string().optional(),
    asOf: z
      .string()
      .optional()
      .transform((raw, ctx) => {
        if (raw === undefined || raw === '') return undefined;
        const parsed = asOfParam(today).safeParse(raw);
        if (parsed.success) return parsed.data;
        for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
        return z.NEVER;
      }),
    crs: z.enum(DISPLAY_CRS, { error: `crs must be one of ${DISPLAY_CRS.join(', ')} (the basemap's coordinate system)` }).optional(),
  });

/** The query string that selects the variant, kept on the TileJSON's tile URL. */
function variantSearch(layer: TileLayer, q: { asOf?: string; crs?: string }): string {
  const p = new URLSearchParams();
  if (layer === 'grids' && q.asOf) p.set('asOf', q.asOf);
  if (q.crs && q.crs !== 'wgs84') p.set('crs', q.crs);
  const s = p.toString();
  return s ? `&${s}` : '';
}

/** About 64 MB of typical tiles; an entry is a few KB to a few hundred KB. */
const cacheOptions = { maxSize: 64 * 1024 * 1024, sizeCalculation: (t: Uint8Array) => Math.max(1, t.byteLength) };

export function tileRoutes({ db, env }: AppDeps) {
  const cache = new LRUCache<string, Uint8Array>(cacheOptions);
  const variant = variantQuery(() => productToday(env));
  return new Hono<AppEnv>()
    .get('/:file{(grids|buildings)\\.json}', zValidator('query', variant, validationHook), async (c) => {
      const layer = c.req.param('file').replace(/\.json$/, '') as TileLayer;
      const q = c.req.valid('query');
      const version = await asCaller(db, c.get('claims'), async (tx) =>
        Number((await tx.query<{ v: number }>('select public.geometry_version() as v'))[0]!.v),
      );
      const origin = new URL(c.req.url).origin;
      const { minzoom, maxzoom } = TILE_LAYERS[layer];
      c.header('Cache-Control', 'private, no-cache');
      return c.json({
        tilejson: '3.0.0',
        name: layer,
        scheme: 'xyz',
        tiles: [`${origin}/api/tiles/${layer}/{z}/{x}/{y}.mvt?v=${version}${variantSearch(layer, q)}`],
        minzoom,
        maxzoom,
        geometryVersion: version,
        vector_layers: [{ id: layer, fields: { id: 'Number' }, minzoom, maxzoom }],
      });
    })
    .get('/:layer/:z/:x/:y', zValidator('param', tileParams, validationHook), zValidator('query', variant, validationHook), async (c) => {
      const q = c.req.valid('query');
      const p = c.req.valid('param');
      const t = { ...p, asOf: p.layer === 'grids' ? q.asOf : undefined, crs: q.crs };
      const asked = q.v;
      const tile = await asCaller(db, c.get('claims'), async (tx) => {
        const [scope] = await tx.query<{ v: number; street: number | null; leader: boolean }>(
          `select public.geometry_version() as v, me.street_id as street, coalesce(me.role = 'street_leader', false) as leader
           from (select 1) one left join minqing.my_staff() me on true`,
        );
        const version = Number(scope!.v);
        const key = `${t.layer}/${t.z}/${t.x}/${t.y}@${version}:${scope!.street}:${scope!.leader}:${t.asOf ?? 'now'}:${t.crs ?? 'wgs84'}`;
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
      // The ETag names the variant, not only the version: MapLibre keeps the tile it holds when a
      // reload answers the same ETag, so a date switch would go on drawing the other date's grids.
      c.header('ETag', `"${t.layer}-v${tile.version}-${t.asOf ?? 'now'}-${t.crs ?? 'wgs84'}"`);
      c.header('Cache-Control', asked === String(tile.version) ? 'private, max-age=31536000, immutable' : 'private, no-cache');
      return c.body(tile.bytes as Uint8Array<ArrayBuffer>);
    });
}
