import { Hono } from 'hono';
import type { FeatureCollection, MultiLineString } from 'geojson';
import type { AppDeps } from '../app';
import { ANONYMOUS, asCaller } from '../lib/request-db';

export interface RoadProperties {
  id: number;
  name: string | null;
  kind: string;
}
export type RoadFeatureCollection = FeatureCollection<MultiLineString, RoadProperties>;

export function roadRoutes({ db }: AppDeps) {
  return new Hono().get('/', async (c) => {
    const [row] = await asCaller(db, ANONYMOUS, (tx) =>
      tx.query<{ fc: RoadFeatureCollection }>(`
        select json_build_object(
          'type', 'FeatureCollection',
          'features', coalesce(json_agg(json_build_object(
            'type', 'Feature',
            'id', r.id,
            'geometry', ST_AsGeoJSON(r.geom, 7)::json,
            'properties', json_build_object('id', r.id, 'name', r.name, 'kind', r.kind)
          ) order by r.id), '[]'::json)
        ) as fc
        from public.roads r`),
    );
    return c.json(row!.fc);
  });
}
