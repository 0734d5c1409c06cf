import { Hono } from 'hono';
import type { FeatureCollection, MultiPolygon } from 'geojson';
import type { AppDeps } from '../app';
import { ANONYMOUS, asCaller } from '../lib/request-db';

export interface GridProperties {
  id: number;
  code: string;
  name: string;
  communityId: number;
  communityName: string;
  households: number;
  leader: string | null;
  version: number;
}
export type GridFeatureCollection = FeatureCollection<MultiPolygon, GridProperties>;

export function gridRoutes({ db }: AppDeps) {
  return new Hono().get('/', async (c) => {
    const [row] = await asCaller(db, ANONYMOUS, (tx) =>
      tx.query<{ fc: GridFeatureCollection }>(`
        select json_build_object(
          'type', 'FeatureCollection',
          'features', coalesce(json_agg(json_build_object(
            'type', 'Feature',
            'id', g.id,
            'geometry', ST_AsGeoJSON(g.boundary, 7)::json,
            'properties', json_build_object(
              'id', g.id, 'code', g.code, 'name', g.name,
              'communityId', g.community_id, 'communityName', cm.name,
              'households', coalesce(hc.households, 0),
              'leader', public.staff_display_name(g.leader_id),
              'version', g.version)
          ) order by g.code), '[]'::json)
        ) as fc
        from public.grids g
        join public.communities cm on cm.id = g.community_id
        left join public.grid_household_counts(current_date) hc on hc.grid_id = g.id`),
    );
    return c.json(row!.fc);
  });
}
