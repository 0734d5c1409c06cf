/**
 * Mapbox Vector Tiles of grids and buildings (geometry and `id` only; the colours come from the
 * stats endpoints through feature-state). PostgreSQL encodes with ST_AsMVT. The embedded
 * PGlite's PostGIS is built without protobuf (no ST_AsMVT, no ST_AsMVTGeom), so there SQL clips
 * and snaps the shapes in tile coordinates (ST_ClipByBox2D, ST_Affine, ST_SnapToGrid) and JS
 * encodes them with vt-pbf. Both read as the caller, so row-level security decides the shapes.
 */
import vtpbf, { type GeojsonVtFeature } from 'vt-pbf';
import type { Queryable } from '../db/database';

export const TILE_LAYERS = {
  // A grid merged into its neighbour is retired, not deleted (docs/boundaries.md): not on today's map.
  grids: { table: 'public.grids', geom: 'boundary', minzoom: 11, maxzoom: 14, where: 't.retired_at is null' },
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
}

/** The shape in Web Mercator, simplified below SIMPLIFY_BELOW_ZOOM ($4 = tile width in metres). */
function mercator(t: TileRequest): string {
  const { geom } = TILE_LAYERS[t.layer];
  const g = `ST_Transform(t.${geom}, 3857)`;
  return t.z < SIMPLIFY_BELOW_ZOOM ? `ST_SimplifyPreserveTopology(${g}, ${SIMPLIFY_UNITS} * b.w / ${EXTENT})` : g;
}

const BOUNDS = `with b as (
    select e, ST_Transform(e, 4326) as e4326, ST_XMin(e) as x0, ST_YMax(e) as y1, ST_XMax(e) - ST_XMin(e) as w
    from (select ST_TileEnvelope($1, $2, $3) as e) env
  )`;

/** The tile as ST_AsMVT encodes it (PostgreSQL). */
export function mvtSql(t: TileRequest): string {
  const { table, geom, where } = TILE_LAYERS[t.layer];
  return `${BOUNDS}
  select ST_AsMVT(q, '${t.layer}', ${EXTENT}, 'geom', 'fid') as tile from (
    select t.id, t.id as fid, ST_AsMVTGeom(${mercator(t)}, b.e, ${EXTENT}, ${BUFFER}, true) as geom
    from ${table} t, b where t.${geom} && b.e4326 and ${where}
  ) q where q.geom is not null`;
}

/** The tile's shapes in tile coordinates as GeoJSON text, for vt-pbf (PGlite). */
export function clippedSql(t: TileRequest): string {
  const { table, geom, where } = TILE_LAYERS[t.layer];
  return `${BOUNDS}
  select q.id, ST_AsGeoJSON(q.g) as g from (
    select t.id, ST_SnapToGrid(ST_Affine(
        ST_ClipByBox2D(${mercator(t)}, ST_Expand(b.e, b.w * ${BUFFER} / ${EXTENT})),
        ${EXTENT} / b.w, 0, 0, -${EXTENT} / b.w, -b.x0 * ${EXTENT} / b.w, b.y1 * ${EXTENT} / b.w), 1) as g
    from ${table} t, b where t.${geom} && b.e4326 and ${where}
  ) q where not ST_IsEmpty(q.g) and ST_Dimension(q.g) = 2
  order by q.id`;
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

/** Encodes clipped rows (clippedSql) as one MVT layer. */
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
  const params = [t.z, t.x, t.y];
  if (kind === 'postgres') {
    const [row] = await tx.query<{ tile: Uint8Array | null }>(mvtSql(t), params);
    return row?.tile ? new Uint8Array(row.tile) : new Uint8Array(0);
  }
  return encodeTile(t.layer, await tx.query<{ id: number; g: string }>(clippedSql(t), params));
}
