import { Hono } from 'hono';
import type { FeatureCollection, MultiPolygon } from 'geojson';
import type { AppDeps } from '../app';
import { ANONYMOUS, asCaller } from '../lib/request-db';

export interface CommunityProperties {
  id: number;
  code: string;
  name: string;
  streetId: number;
  grids: number;
}
export type CommunityFeatureCollection = FeatureCollection<MultiPolygon, CommunityProperties>;

export function communityRoutes({ db }: AppDeps) {
  return new Hono().get('/', async (c) => {
    const [row] = await asCaller(db, ANONYMOUS, (tx) =>
      tx.query<{ fc: CommunityFeatureCollection }>(`
        select json_build_object(
          'type', 'FeatureCollection',
          'features', coalesce(json_agg(json_build_object(
            'type', 'Feature',
            'id', cm.id,
            'geometry', ST_AsGeoJSON(cm.boundary, 7)::json,
            'properties', json_build_object(
              'id', cm.id, 'code', cm.code, 'name', cm.name, 'streetId', cm.street_id,
              'grids', (select count(*)::int from public.grids g where g.community_id = cm.id))
          ) order by cm.code), '[]'::json)
        ) as fc
        from public.communities cm`),
    );
    return c.json(row!.fc);
  });
}
