/**
 * OGC API – Features (Part 1: Core, GeoJSON) at /ogc, read-only, so QGIS, ArcGIS and GDAL load
 * the live grids (with their statistics as of today) and buildings. It needs the same bearer
 * token as the API — a desktop GIS sends it as a header (GDAL: GDAL_HTTP_HEADERS="Authorization:
 * Bearer …"; QGIS: an "API header" authentication) — and every query runs as the caller, so row-
 * level security decides what the layers hold, as everywhere else. docs/import-export.md.
 */

import { zValidator } from '@hono/zod-validator';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import type { AppDeps } from '../app';
import { authenticate, requireSignIn } from '../auth/middleware';
import { createSessionCheck } from '../auth/session-check';
import { createTokenVerifier } from '../auth/tokens';
import { ApiError, validationHook } from '../lib/errors';
import { bboxParam, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';
import { COLLECTIONS, type CollectionId, collectionExtent, collectionFeature, collectionItems } from '../ogc/ogc-collections';

const GEOJSON = 'application/geo+json';
const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
export const OGC_DEFAULT_LIMIT = 100;
export const OGC_MAX_LIMIT = 1000;

const collectionParam = z.object({
  collectionId: z.enum(['grids', 'buildings'], { error: 'collections are grids and buildings' }),
});

const itemsQuery = z.object({
  bbox: bboxParam.optional(),
  // Above the maximum a server answers with fewer (the spec's rule), not an error.
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .default(OGC_DEFAULT_LIMIT)
    .transform((v) => Math.min(v, OGC_MAX_LIMIT)),
  offset: z.coerce.number().int().min(0).max(MAX_DB_INT, `at most ${MAX_DB_INT}`).default(0),
  f: z.string().optional(),
});

function baseUrl(c: Context): string {
  const u = new URL(c.req.url);
  return `${u.origin}/ogc`;
}

function geo(c: Context, body: unknown): Response {
  return c.body(JSON.stringify(body), 200, { 'content-type': GEOJSON });
}

export function ogcRoutes(deps: AppDeps) {
  const { db, env } = deps;
  const verify = createTokenVerifier({ secret: deps.jwtSecret, supabaseUrl: env.supabase?.url });
  const today = () => productToday(env);

  const collectionInfo = async (c: Context<AppEnv>, id: CollectionId, extent: number[] | null) => {
    const base = baseUrl(c);
    return {
      id,
      title: COLLECTIONS[id].title,
      description: COLLECTIONS[id].description,
      itemType: 'feature',
      crs: [CRS84],
      extent: extent ? { spatial: { bbox: [extent], crs: CRS84 } } : undefined,
      links: [
        { href: `${base}/collections/${id}`, rel: 'self', type: 'application/json', title: 'This collection' },
        { href: `${base}/collections/${id}/items`, rel: 'items', type: GEOJSON, title: 'Its features' },
      ],
    };
  };
  const extentOf = (c: Context<AppEnv>, id: CollectionId) => asCaller(db, c.get('claims'), (tx) => collectionExtent(tx, id));

  return new Hono<AppEnv>()
    .use(authenticate(verify, createSessionCheck(db)))
    .use(requireSignIn)
    .get('/', (c) => {
      const base = baseUrl(c);
      return c.json({
        title: '民情地图 Minqing Map — OGC API Features',
        description: "The street's grids (with statistics) and buildings, read-only, as the signed-in caller may see them.",
        links: [
          { href: base, rel: 'self', type: 'application/json', title: 'This document' },
          { href: `${base}/conformance`, rel: 'conformance', type: 'application/json', title: 'Conformance classes' },
          { href: `${base}/collections`, rel: 'data', type: 'application/json', title: 'Collections' },
        ],
      });
    })
    .get('/conformance', (c) =>
      c.json({
        conformsTo: [
          'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
          'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
        ],
      }),
    )
    .get('/collections', async (c) => {
      const base = baseUrl(c);
      const collections = [];
      for (const id of Object.keys(COLLECTIONS) as CollectionId[]) collections.push(await collectionInfo(c, id, await extentOf(c, id)));
      return c.json({ links: [{ href: `${base}/collections`, rel: 'self', type: 'application/json' }], collections });
    })
    .get('/collections/:collectionId', zValidator('param', collectionParam, validationHook), async (c) => {
      const { collectionId } = c.req.valid('param');
      return c.json(await collectionInfo(c, collectionId, await extentOf(c, collectionId)));
    })
    .get(
      '/collections/:collectionId/items',
      zValidator('param', collectionParam, validationHook),
      zValidator('query', itemsQuery, validationHook),
      async (c) => {
        const { collectionId } = c.req.valid('param');
        const { bbox, limit, offset } = c.req.valid('query');
        const { matched, features } = await asCaller(db, c.get('claims'), (tx) =>
          collectionItems(tx, collectionId, { bbox, limit, offset }, today()),
        );
        const base = `${baseUrl(c)}/collections/${collectionId}/items`;
        const page = (o: number) => {
          const q = new URLSearchParams({ limit: String(limit), offset: String(o) });
          if (bbox) q.set('bbox', bbox.join(','));
          return `${base}?${q}`;
        };
        const links = [{ href: page(offset), rel: 'self', type: GEOJSON }];
        if (offset + features.length < matched) links.push({ href: page(offset + limit), rel: 'next', type: GEOJSON });
        if (offset > 0) links.push({ href: page(Math.max(0, offset - limit)), rel: 'prev', type: GEOJSON });
        return geo(c, {
          type: 'FeatureCollection',
          timeStamp: new Date().toISOString(),
          numberMatched: matched,
          numberReturned: features.length,
          links,
          features,
        });
      },
    )
    .get(
      '/collections/:collectionId/items/:featureId',
      zValidator(
        'param',
        collectionParam.extend({
          featureId: z.coerce.number().int().positive('feature ids are positive integers').max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
        }),
        validationHook,
      ),
      async (c) => {
        const { collectionId, featureId } = c.req.valid('param');
        const feature = await asCaller(db, c.get('claims'), (tx) => collectionFeature(tx, collectionId, featureId, today()));
        if (!feature) throw new ApiError(404, 'not_found', `No feature ${featureId} in ${collectionId} that you may see.`);
        const base = baseUrl(c);
        return geo(c, {
          ...feature,
          links: [
            { href: `${base}/collections/${collectionId}/items/${featureId}`, rel: 'self', type: GEOJSON },
            { href: `${base}/collections/${collectionId}`, rel: 'collection', type: 'application/json' },
          ],
        });
      },
    );
}
