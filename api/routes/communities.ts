/**
 * Communities: GET /api/communities (the map's community layer), POST /api/communities
 * `{name, code, geometry?}` and PATCH /api/communities/:id `{name?, code?, geometry?, version}`
 * by the street leader of their street. The checks and writes are
 * api/communities/community-writes.ts; docs/api.md.
 */

import { zValidator } from '@hono/zod-validator';
import type { FeatureCollection, MultiPolygon } from 'geojson';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { arealSchema } from '../../geo/domain/geojson.validation';
import { placeCodeSchema, placeNameSchema } from '../../geo/domain/place-label.validation';
import type { AppDeps } from '../app';
import { COMMUNITY_PROPERTIES, changeCommunity, createCommunity } from '../communities/community-writes';
import { validationHook } from '../lib/errors';
import { featureCollectionSql } from '../lib/geojson-sql';
import { positiveId } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

export interface CommunityProperties {
  id: number;
  code: string;
  name: string;
  streetId: number;
  /** Counts changes of name, code and boundary; PATCH names the version it was made on. */
  version: number;
  grids: number;
}
/** A community without a boundary yet (set up by name and code) has geometry null. */
export type CommunityFeatureCollection = FeatureCollection<MultiPolygon | null, CommunityProperties>;

const code = placeCodeSchema;
const name = placeNameSchema;

const createSchema = z.object({ name, code, geometry: arealSchema.nullable().optional() }).strict();
const patchSchema = z
  .object({
    name: name.optional(),
    code: code.optional(),
    geometry: arealSchema.nullable().optional(),
    version: z
      .number({ error: 'version is the community version you saw (properties.version)' })
      .int()
      .positive()
      .max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.code !== undefined || b.geometry !== undefined, {
    message: 'send name, code, geometry or several',
    path: ['name'],
  });

export function communityRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const [row] = await asCaller(db, c.get('claims'), (tx) =>
        tx.query<{ fc: CommunityFeatureCollection }>(
          featureCollectionSql({
            id: 'cm.id',
            geometry: 'cm.boundary',
            properties: COMMUNITY_PROPERTIES,
            from: 'public.communities cm',
            orderBy: 'cm.code',
          }),
        ),
      );
      return c.json(row!.fc);
    })
    .post('/', zValidator('json', createSchema, validationHook), async (c) => {
      const body = c.req.valid('json');
      const feature = await asCaller(db, c.get('claims'), (tx) => createCommunity(tx, body));
      return c.json(feature as CommunityFeatureCollection['features'][number], 201);
    })
    .patch(
      '/:id',
      zValidator('param', z.object({ id: positiveId('the community id') }), validationHook),
      zValidator('json', patchSchema, validationHook),
      async (c) => {
        const { id } = c.req.valid('param');
        const body = c.req.valid('json');
        const feature = await asCaller(db, c.get('claims'), (tx) => changeCommunity(tx, id, body));
        return c.json(feature as CommunityFeatureCollection['features'][number], 200);
      },
    );
}
