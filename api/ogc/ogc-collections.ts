/**
 * The OGC API – Features collections (api/routes/ogc.ts) as the database serves them: each
 * collection's rows, its extent, a page of its features and one feature, as GeoJSON built by
 * the database. Every statement runs as the caller, so row-level security decides what the
 * layers hold, as everywhere else.
 */
import type { Queryable } from '../db/database';

export interface CollectionSpec {
  title: string;
  description: string;
  /** Rows of the collection as (id, geom, properties jsonb), visible to the caller. $1 is today. */
  source: string;
  /** The table alone, for the extent (no statistics computed). */
  table: string;
  /** Run in the request's transaction before `source`, with the same first parameter. */
  ready?: string;
}

export const COLLECTIONS: Record<'grids' | 'buildings', CollectionSpec> = {
  grids: {
    title: '网格 Grids',
    description:
      "The street's grids with their statistics as of today: households, visit coverage, overdue households, open and overdue issues, attention score.",
    source: `select g.id, g.boundary as geom, jsonb_build_object(
        'code', g.code, 'name', g.name, 'communityId', g.community_id, 'version', g.version,
        'households', coalesce(s.households, 0), 'coverage', s.coverage, 'overdueHouseholds', s.overdue_households,
        'atRiskOverdue', s.at_risk_overdue, 'openIssues', s.open_issues, 'overdueIssues', s.overdue_issues,
        'attention', s.attention, 'asOf', $1::text) as props
      from public.grids g left join public.grid_stats_rollup() s on s.grid_id = g.id`,
    // Today's figures from the rollups, as /api/stats/grids serves them (built first if the day changed).
    ready: 'select public.stats_rollup_ready($1::date)',
    table: 'select boundary as geom from public.grids',
  },
  buildings: {
    title: '楼栋 Buildings',
    description: 'Building footprints with their address, grid and current households.',
    source: `select b.id, b.footprint as geom, jsonb_build_object(
        'address', b.address, 'name', b.name, 'floors', b.floors, 'gridId', b.grid_id,
        'households', coalesce(c.households, 0), 'asOf', $1::text) as props
      from public.buildings b left join public.building_household_counts($1::date) c on c.building_id = b.id`,
    table: 'select footprint as geom from public.buildings',
  },
};
export type CollectionId = keyof typeof COLLECTIONS;

/** A row of a collection's `source` (as s) as a GeoJSON Feature, seven decimals (about a centimetre). */
const FEATURE = `json_build_object('type', 'Feature', 'id', s.id, 'geometry', ST_AsGeoJSON(s.geom, 7)::json, 'properties', s.props) as feature`;

/** The collection's bounding box [minLon, minLat, maxLon, maxLat] over what the caller may see; null when empty. */
export async function collectionExtent(tx: Queryable, id: CollectionId): Promise<number[] | null> {
  const [row] = await tx.query<{ box: number[] | null }>(
    `select case when e is null then null else json_build_array(ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)) end as box
     from (select ST_Extent(geom) as e from (${COLLECTIONS[id].table}) s) x`,
  );
  return row?.box ?? null;
}

/** A page of the collection's features (in id order) within `bbox` if given, and how many match in all. */
export async function collectionItems(
  tx: Queryable,
  id: CollectionId,
  page: { bbox?: number[] | undefined; limit: number; offset: number },
  today: string,
): Promise<{ matched: number; features: unknown[] }> {
  const { bbox, limit, offset } = page;
  const where = bbox
    ? 'where s.geom && ST_MakeEnvelope($2, $3, $4, $5, 4326) and ST_Intersects(s.geom, ST_MakeEnvelope($2, $3, $4, $5, 4326))'
    : '';
  const params: unknown[] = [today, ...(bbox ?? [])];
  if (COLLECTIONS[id].ready) await tx.query(COLLECTIONS[id].ready!, [today]);
  const [{ n }] = (await tx.query<{ n: number }>(`select count(*)::int as n from (${COLLECTIONS[id].source}) s ${where}`, params)) as [
    { n: number },
  ];
  const rows = await tx.query<{ feature: unknown }>(
    `select ${FEATURE}
     from (${COLLECTIONS[id].source}) s ${where} order by s.id limit ${limit} offset ${offset}`,
    params,
  );
  return { matched: n, features: rows.map((r) => r.feature) };
}

/** One feature of the collection as GeoJSON, if the caller may see it. */
export async function collectionFeature(
  tx: Queryable,
  id: CollectionId,
  featureId: number,
  today: string,
): Promise<Record<string, unknown> | undefined> {
  if (COLLECTIONS[id].ready) await tx.query(COLLECTIONS[id].ready!, [today]);
  const [row] = await tx.query<{ feature: Record<string, unknown> }>(
    `select ${FEATURE}
     from (${COLLECTIONS[id].source}) s where s.id = $2`,
    [today, featureId],
  );
  return row?.feature;
}
