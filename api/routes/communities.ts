import { Hono } from 'hono';
import type { FeatureCollection, MultiPolygon } from 'geojson';
import type { AppDeps } from '../app';
import { featureCollectionSql } from '../lib/geojson-sql';
import { asCaller, type AppEnv } from '../lib/request-db';

export interface CommunityProperties {
  id: number;
  code: string;
  name: string;
  streetId: number;
  grids: number;
}
export type CommunityFeatureCollection = FeatureCollection<MultiPolygon, CommunityProperties>;

export function communityRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>().get('/', async (c) => {
    const [row] = await asCaller(db, c.get('claims'), (tx) =>
      tx.query<{ fc: CommunityFeatureCollection }>(
        featureCollectionSql({
          id: 'cm.id',
          geometry: 'cm.boundary',
          properties: {
            id: 'cm.id',
            code: 'cm.code',
            name: 'cm.name',
            streetId: 'cm.street_id',
            grids: '(select count(*)::int from public.grids g where g.community_id = cm.id)',
          },
          from: 'public.communities cm',
          orderBy: 'cm.code',
        }),
      ),
    );
    return c.json(row!.fc);
  });
}
