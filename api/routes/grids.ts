import { Hono } from 'hono';
import type { FeatureCollection, MultiPolygon } from 'geojson';
import type { AppDeps } from '../app';
import { featureCollectionSql } from '../lib/geojson-sql';
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
      tx.query<{ fc: GridFeatureCollection }>(
        featureCollectionSql({
          id: 'g.id',
          geometry: 'g.boundary',
          properties: {
            id: 'g.id',
            code: 'g.code',
            name: 'g.name',
            communityId: 'g.community_id',
            communityName: 'cm.name',
            households: 'coalesce(hc.households, 0)',
            leader: 'public.staff_display_name(g.leader_id)',
            version: 'g.version',
          },
          from: `public.grids g
            join public.communities cm on cm.id = g.community_id
            left join public.grid_household_counts(current_date) hc on hc.grid_id = g.id`,
          orderBy: 'g.code',
        }),
      ),
    );
    return c.json(row!.fc);
  });
}
