/**
 * Mapbox Vector Tiles of grids and buildings (geometry and `id` only; the colours come from the
 * stats endpoints through feature-state). PostgreSQL encodes with ST_AsMVT. The embedded
 * PGlite's PostGIS is built without protobuf (no ST_AsMVT, no ST_AsMVTGeom), so there SQL clips
 * and snaps the shapes in tile coordinates (ST_ClipByBox2D, ST_Affine, ST_SnapToGrid) and JS
 * encodes them with vt-pbf. Both read as the caller, so row-level security decides the shapes.
 */
import vtpbf, { type GeojsonVtFeature } from 'vt-pbf';
import { type DisplayCrs, tileDisplayShift } from '../../geo/geometry/display-crs';
import type { Queryable } from '../db/database';

export const TILE_LAYERS = {
  // A grid merged into its neighbour is retired, not deleted (docs/boundaries.md): not on today's map.
  // From z8 (a whole district, ~25 km, in a fraction of one tile) so a leader zoomed out still sees
  // every grid coloured; below z14 each zoom is simplified by SIMPLIFY_UNITS of its own tile units,
  // so a z8 grid is a handful of vertices (all 2,100 of a district: one 67 KB tile).
  grids: { table: 'public.grids', geom: 'boundary', minzoom: 8, maxzoom: 14, where: 't.retired_at is null' },
  buildings: { table: 'public.buildings', geom: 'footprint', minzoom: 15, maxzoom: 16, where: 'true' },
} as const;
export type TileLayer = keyof typeof TILE_LAYERS;

export const EXTENT = 4096;
/** Tile units of margin around the tile, so strokes at tile edges join up. */
export const BUFFER = 64;
/** Below this zoom grid outlines are simplified (by SIMPLIFY tile units) before snapping. */
export const SIMPLIFY_BELOW_ZOOM = 14;
const SIMPLIFY_UNITS = 2;

export interface TileRequest {
  layer: TileLayer;
  z: number;
  x: number;
  y: number;
  /** Grids only: the boundaries in force at the end of this China date (retired grids included), not today's. */
  asOf?: string;
  /** The basemap's coordinate system; gcj02 shifts the shapes for display (geo/geometry/display-crs.ts). */
  crs?: DisplayCrs;
}

/** The SQL text and its parameters: $1..$3 are z, x, y; the rest depend on the request. */
interface TileQuery {
  sql: string;
  params: unknown[];
}

/**
 * The rows a tile is cut from, as `t(id, geom)`. A past date reads the boundary history
 * (grid_versions_at, security definer) joined to public.grids, so row-level security still
 * decides which grids the caller sees.
 */
function shapes(t: TileRequest, params: unknown[]): string {
  if (t.layer === 'grids' && t.asOf) {
    params.push(t.asOf);
    return `(select v.grid_id as id, v.boundary as geom
             from public.grid_versions_at($${params.length}::date) v join public.grids g on g.id = v.grid_id) t`;
  }
  const { table, geom, where } = TILE_LAYERS[t.layer];
  return `(select t.id, t.${geom} as geom from ${table} t where ${where}) t`;
}

/**
 * The shape in Web Mercator, simplified below SIMPLIFY_BELOW_ZOOM, and moved by the tile's
 * display shift for a GCJ-02 basemap (one affine map per tile, computed here, not per vertex).
 */
function mercator(t: TileRequest, params: unknown[]): string {
  const g = `ST_Transform(t.geom, 3857)`;
  const simplified = t.z < SIMPLIFY_BELOW_ZOOM ? `ST_SimplifyPreserveTopology(${g}, ${SIMPLIFY_UNITS} * b.w / ${EXTENT})` : g;
  if (t.crs !== 'gcj02') return simplified;
  const s = tileDisplayShift(t.z, t.x, t.y);
  const at = params.push(s.a, s.b, s.d, s.e, s.xoff, s.yoff) - 5;
  return `ST_Affine(${simplified}, $${at}::float8, $${at + 1}::float8, $${at + 2}::float8, $${at + 3}::float8, $${at + 4}::float8, $${at + 5}::float8)`;
}

/** Where the tile's shapes come from: for a shifted tile, the box the shift moves onto the tile. */
function searchBox(t: TileRequest, params: unknown[]): string {
  if (t.crs !== 'gcj02') return 'b.e4326';
  const [dx, dy] = tileDisplayShift(t.z, t.x, t.y).centre;
  const at = params.push(-dx, -dy) - 1;
  // The buffer (about 1.5 % of the tile, ≥ 9 m at z16) covers the shift's change across the tile.
  return `ST_Transform(ST_Translate(ST_Expand(b.e, b.w * ${BUFFER} / ${EXTENT}), $${at}::float8, $${at + 1}::float8), 4326)`;
}

const BOUNDS = `with b as (
    select e, ST_Transform(e, 4326) as e4326, ST_XMin(e) as x0, ST_YMax(e) as y1, ST_XMax(e) - ST_XMin(e) as w
    from (select ST_TileEnvelope($1::int, $2::int, $3::int) as e) env
  )`;

/**
 * Buildings: the box's candidates by the spatial index, fetched by id. Read as the caller, the
 * policy on public.buildings would otherwise come before the non-leakproof `&&` and the query
 * would scan every building (supabase/migrations/20261129000600_building_tiles_by_index.sql).
 */
function candidates(t: TileRequest, box: string): string {
  // The box as a scalar subquery of `b`: uncorrelated, so computed once and the ids joined, not
  // the function called again for every building.
  return t.layer === 'buildings' ? ` and t.id in (select minqing.tile_building_ids((select ${box} from b)))` : '';
}

/** The pieces both encoders share: the parameters, the shapes, their Mercator geometry and the box searched. */
function tileParts(t: TileRequest) {
  const params: unknown[] = [t.z, t.x, t.y];
  const from = shapes(t, params);
  const geom = mercator(t, params);
  const box = searchBox(t, params);
  return { params, from, geom, box };
}

/** The tile as ST_AsMVT encodes it (PostgreSQL). */
export function mvtQuery(t: TileRequest): TileQuery {
  const { params, from, geom, box } = tileParts(t);
  return {
    sql: `${BOUNDS}
  select ST_AsMVT(q, '${t.layer}', ${EXTENT}, 'geom', 'fid') as tile from (
    select t.id, t.id as fid, ST_AsMVTGeom(${geom}, b.e, ${EXTENT}, ${BUFFER}, true) as geom
    from ${from}, b where t.geom && ${box}${candidates(t, box)}
  ) q where q.geom is not null`,
    params,
  };
}

/** The tile's shapes in tile coordinates as GeoJSON text, for vt-pbf (PGlite). */
export function clippedQuery(t: TileRequest): TileQuery {
  const { params, from, geom, box } = tileParts(t);
  return {
    sql: `${BOUNDS}
  select q.id, ST_AsGeoJSON(q.g) as g from (
    select t.id, ST_SnapToGrid(ST_Affine(
        ST_ClipByBox2D(${geom}, ST_Expand(b.e, b.w * ${BUFFER} / ${EXTENT})),
        ${EXTENT} / b.w, 0, 0, -${EXTENT} / b.w, -b.x0 * ${EXTENT} / b.w, b.y1 * ${EXTENT} / b.w), 1) as g
    from ${from}, b where t.geom && ${box}${candidates(t, box)}
  ) q where not ST_IsEmpty(q.g) and ST_Dimension(q.g) = 2
  order by q.id`,
    params,
  };
}

type Ring = Array<[number, number]>;

/** Twice the surveyor's-formula area; MVT wants exterior rings positive, holes negative. */
function area2(ring: Ring): number {
  let s = 0;
  for (let i = 0; i + 1 < ring.length; i++) s += ring[i]![0] * ring[i + 1]![1] - ring[i + 1]![0] * ring[i]![1];
  return s;
}

function orient(ring: Ring, exterior: boolean): Ring {
  const a = area2(ring);
  return (exterior ? a < 0 : a > 0) ? [...ring].reverse() : ring;
}

function polygonsOf(geojson: { type: string; coordinates?: unknown; geometries?: unknown[] }): Ring[][] {
  if (geojson.type === 'Polygon') return [geojson.coordinates as Ring[]];
  if (geojson.type === 'MultiPolygon') return geojson.coordinates as Ring[][];
  if (geojson.type === 'GeometryCollection') return (geojson.geometries as (typeof geojson)[]).flatMap(polygonsOf);
  return [];
}

/** Encodes clipped rows (clippedQuery) as one MVT layer. */
export function encodeTile(layer: TileLayer, rows: Array<{ id: number; g: string }>): Uint8Array {
  const features: GeojsonVtFeature[] = [];
  for (const row of rows) {
    const rings: Ring[] = [];
    for (const polygon of polygonsOf(JSON.parse(row.g))) {
      polygon.forEach((ring, i) => {
        // A ring snapped to fewer than 3 distinct points has no area left at this zoom.
        if (ring.length >= 4 && area2(ring) !== 0) rings.push(orient(ring, i === 0));
      });
    }
    if (rings.length > 0) features.push({ type: 3, geometry: rings, tags: { id: row.id }, id: row.id });
  }
  if (features.length === 0) return new Uint8Array(0);
  return vtpbf.fromGeojsonVt({ [layer]: features.length ? { features } : { features: [] } }, { version: 2, extent: EXTENT });
}

/** One tile, encoded by the database when it can and by vt-pbf when it cannot. */
export async function renderTile(tx: Queryable, kind: 'pglite' | 'postgres', t: TileRequest): Promise<Uint8Array> {
  if (t.z < TILE_LAYERS[t.layer].minzoom) return new Uint8Array(0);
  if (kind === 'postgres') {
    const q = mvtQuery(t);
    const [row] = await tx.query<{ tile: Uint8Array | null }>(q.sql, q.params);
    return row?.tile ? new Uint8Array(row.tile) : new Uint8Array(0);
  }
  const q = clippedQuery(t);
  return encodeTile(t.layer, await tx.query<{ id: number; g: string }>(q.sql, q.params));
}
