/**
 * Grids as GeoJSON, built in the database: today's live grids, one of them, or the boundaries in
 * force on a past day. The map's GET /api/grids and every boundary change's answer use these, so
 * a grid reads the same wherever it comes from.
 */
import type { Feature, FeatureCollection, MultiPolygon } from 'geojson';
import type { Queryable } from '../db/database';
import { featureCollectionSql } from '../lib/geojson-sql';

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

const GRID_PROPERTIES = {
  id: 'g.id',
  code: 'g.code',
  name: 'g.name',
  communityId: 'g.community_id',
  communityName: 'cm.name',
  // Per grid shown, by its indexes (not a count of the whole database's households); today in
  // China, not the server's current_date: a commit made after 16:00 UTC is already "today" there.
  households: 'public.grid_household_count(g.id, public.china_date(now()))',
  leader: 'public.staff_display_name(g.leader_id)',
  version: 'g.version',
};

/** Today's live grids (a grid merged away is retired and left out), or one of them with `where` `g.id = $1`. */
export function gridFeaturesSql(where = 'true'): string {
  return featureCollectionSql({
    id: 'g.id',
    geometry: 'g.boundary',
    properties: GRID_PROPERTIES,
    from: `public.grids g
      join public.communities cm on cm.id = g.community_id
      where g.retired_at is null and ${where}`,
    orderBy: 'g.code',
  });
}

/**
 * The boundaries in force at the end of $1 (a China date), with the version, code and name they
 * had then, including grids merged away since; households counted with that day's assignment.
 */
export function gridsAsOfSql(): string {
  return featureCollectionSql({
    id: 'v.grid_id',
    geometry: 'v.boundary',
    properties: {
      ...GRID_PROPERTIES,
      id: 'v.grid_id',
      code: 'v.code',
      name: 'v.name',
      communityId: 'v.community_id',
      households: 'public.grid_household_count(v.grid_id, $1::date)',
      version: 'v.version',
      retired: 'g.retired_at is not null and g.retired_at < public.china_day_end($1::date)',
    },
    from: `public.grid_versions_at($1::date) v
      join public.grids g on g.id = v.grid_id
      join public.communities cm on cm.id = v.community_id`,
    orderBy: 'v.code',
  });
}

/** The grids the caller sees: today's live ones, or (asOf) those in force at the end of that day. */
export async function gridCollection(tx: Queryable, asOf: string | null): Promise<GridFeatureCollection> {
  const [row] = await tx.query<{ fc: GridFeatureCollection }>(asOf ? gridsAsOfSql() : gridFeaturesSql(), asOf ? [asOf] : []);
  return row!.fc;
}

/** One live grid as a feature, as GET /api/grids lists it. */
export async function gridFeature(tx: Queryable, gridId: number): Promise<Feature<MultiPolygon, GridProperties>> {
  const [row] = await tx.query<{ fc: { features: Feature<MultiPolygon, GridProperties>[] } }>(gridFeaturesSql('g.id = $1'), [gridId]);
  return row!.fc.features[0]!;
}
