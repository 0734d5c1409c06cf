import type { FeatureCollection, MultiLineString } from 'geojson';
import { Hono } from 'hono';
import type { AppDeps } from '../app';
import { featureCollectionSql } from '../lib/geojson-sql';
import { type AppEnv, asCaller } from '../lib/request-db';

export interface RoadProperties {
  id: number;
  name: string | null;
  kind: string;
}
export type RoadFeatureCollection = FeatureCollection<MultiLineString, RoadProperties>;

export function roadRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>().get('/', async (c) => {
    const [row] = await asCaller(db, c.get('claims'), (tx) =>
      tx.query<{ fc: RoadFeatureCollection }>(
        featureCollectionSql({
          id: 'r.id',
          geometry: 'r.geom',
          properties: { id: 'r.id', name: 'r.name', kind: 'r.kind' },
          from: 'public.roads r',
          orderBy: 'r.id',
        }),
      ),
    );
    return c.json(row!.fc);
  });
}
