import { zValidator } from '@hono/zod-validator';
import type { FeatureCollection, MultiPolygon } from 'geojson';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { validationHook } from '../lib/errors';
import { featureCollectionSql } from '../lib/geojson-sql';
import { bboxParam } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

export interface BuildingProperties {
  id: number;
  gridId: number | null;
  address: string;
  name: string | null;
  floors: number | null;
  households: number;
}
/** `truncated` (a GeoJSON foreign member) says the bbox held more than MAX_BUILDINGS. */
export type BuildingFeatureCollection = FeatureCollection<MultiPolygon, BuildingProperties> & { truncated: boolean };

/** A viewport at zoom 15 holds a few thousand; beyond this the client should zoom in. */
export const MAX_BUILDINGS = 10_000;

const query = z.object({ bbox: bboxParam });

export function buildingRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>().get('/', zValidator('query', query, validationHook), async (c) => {
    const [minLon, minLat, maxLon, maxLat] = c.req.valid('query').bbox;
    const [row] = await asCaller(db, c.get('claims'), (tx) =>
      tx.query<{ fc: BuildingFeatureCollection }>(
        featureCollectionSql({
          id: 'b.id',
          geometry: 'b.footprint',
          properties: {
            id: 'b.id',
            gridId: 'b.grid_id',
            address: 'b.address',
            name: 'b.name',
            floors: 'b.floors',
            households: 'coalesce(hc.households, 0)',
          },
          // One more than the cap, to know whether the answer was cut.
          from: `(select * from public.buildings
                  where footprint && ST_MakeEnvelope($1, $2, $3, $4, 4326)
                  order by id limit $5) b
                 left join public.building_household_counts(current_date) hc on hc.building_id = b.id`,
          orderBy: 'b.id',
        }),
        [minLon, minLat, maxLon, maxLat, MAX_BUILDINGS + 1],
      ),
    );
    const features = row!.fc.features;
    const truncated = features.length > MAX_BUILDINGS;
    const body: BuildingFeatureCollection = {
      type: 'FeatureCollection',
      features: truncated ? features.slice(0, MAX_BUILDINGS) : features,
      truncated,
    };
    return c.json(body);
  });
}
