/**
 * Drawing our WGS84 shapes over a GCJ-02 basemap (AMap/高德, Tencent), whose streets are offset by
 * a few hundred metres from the true positions (geo/import/gcj02.ts). The shift is for display
 * only: what is stored, computed and sent back to the server stays WGS84.
 *
 * GeoJSON overlays (labels, pins, the boundary editor) move every vertex with wgs84ToGcj02.
 * Vector tiles move as a whole, by the offset at the tile's centre and its first-order change
 * (tileDisplayShift, one ST_Affine in SQL): no per-vertex work in the database, and an error
 * below the tile's own coordinate grid from z14 (tileShiftError).
 */
import { gcj02ToWgs84, mapPositions, wgs84ToGcj02 } from '../import/gcj02';

/** The coordinate system the basemap is drawn in; our overlays follow it on screen. */
export const DISPLAY_CRS = ['wgs84', 'gcj02'] as const;
export type DisplayCrs = (typeof DISPLAY_CRS)[number];

/** Web Mercator's sphere radius (EPSG:3857), metres. */
const R = 6378137;

export function lonLatToMercator([lon, lat]: readonly [number, number]): [number, number] {
  return [(R * lon * Math.PI) / 180, R * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))];
}

/** [lon, lat] of a point given as a fraction (fx, fy in [0, 1]) across slippy-map tile z/x/y. */
export function tilePoint(z: number, x: number, y: number, fx = 0.5, fy = 0.5): [number, number] {
  const n = 2 ** z;
  const lon = ((x + fx) / n) * 360 - 180;
  const lat = (Math.atan(Math.sinh(Math.PI * (1 - (2 * (y + fy)) / n))) * 180) / Math.PI;
  return [lon, lat];
}

/** The GCJ-02 display offset at a point, in Web Mercator metres [dx, dy]. */
export function displayOffsetAt(p: readonly [number, number]): [number, number] {
  const [x0, y0] = lonLatToMercator(p);
  const [x1, y1] = lonLatToMercator(wgs84ToGcj02(p));
  return [x1 - x0, y1 - y0];
}

/**
 * The affine map a GCJ-02 tile applies to all its shapes, in Web Mercator metres:
 * x' = a·x + b·y + xoff, y' = d·x + e·y + yoff (PostGIS ST_Affine's 2-D coefficients) — the
 * offset at the tile's centre plus its first-order change across the tile. A bare translation
 * by the centre's offset errs by up to ~4.5 m across a z13 tile and ~1.7 m across a z14 one
 * (the offset has terms of period 1/3°); the first-order map brings that to ~1.7 m at z13,
 * ~0.4 m at z14 (below the z14 tile's 0.6 m grid) and ~3 cm at z16.
 */
export interface TileShift {
  a: number;
  b: number;
  d: number;
  e: number;
  xoff: number;
  yoff: number;
  /** The offset at the tile's centre, Mercator metres: where the tile's search box moves from. */
  centre: [number, number];
}

export function tileDisplayShift(z: number, x: number, y: number): TileShift {
  const c = lonLatToMercator(tilePoint(z, x, y));
  const o = displayOffsetAt(tilePoint(z, x, y));
  const [east, west, north, south] = [
    [1, 0.5],
    [0, 0.5],
    [0.5, 0],
    [0.5, 1],
  ].map(([fx, fy]) => tilePoint(z, x, y, fx!, fy!));
  const dx = lonLatToMercator(east!)[0] - lonLatToMercator(west!)[0];
  const dy = lonLatToMercator(north!)[1] - lonLatToMercator(south!)[1];
  const [oe, ow, on, os] = [east!, west!, north!, south!].map(displayOffsetAt) as [number, number][];
  const j = [
    [(oe![0] - ow![0]) / dx, (on![0] - os![0]) / dy],
    [(oe![1] - ow![1]) / dx, (on![1] - os![1]) / dy],
  ] as const;
  return {
    a: 1 + j[0][0],
    b: j[0][1],
    d: j[1][0],
    e: 1 + j[1][1],
    xoff: o[0] - j[0][0] * c[0] - j[0][1] * c[1],
    yoff: o[1] - j[1][0] * c[0] - j[1][1] * c[1],
    centre: o,
  };
}

/** Applies a tile's shift to a point in Mercator metres. */
export function applyTileShift(s: TileShift, [x, y]: readonly [number, number]): [number, number] {
  return [s.a * x + s.b * y + s.xoff, s.d * x + s.e * y + s.yoff];
}

/**
 * The largest ground distance (metres) between the tile's shift and the exact per-vertex one,
 * sampled on a lattice over the tile: the error of drawing a tile shifted.
 */
export function tileShiftError(z: number, x: number, y: number, steps = 8): number {
  const s = tileDisplayShift(z, x, y);
  let worst = 0;
  for (let i = 0; i <= steps; i++) {
    for (let j = 0; j <= steps; j++) {
      const p = tilePoint(z, x, y, i / steps, j / steps);
      const m = lonLatToMercator(p);
      const exact = lonLatToMercator(wgs84ToGcj02(p));
      const [sx, sy] = applyTileShift(s, m);
      // Mercator metres are 1 / cos(lat) ground metres.
      worst = Math.max(worst, Math.hypot(exact[0] - sx, exact[1] - sy) * Math.cos((p[1] * Math.PI) / 180));
    }
  }
  return worst;
}

/** A GeoJSON object (feature, collection or geometry) as it is drawn over a basemap in `crs`. */
export function toDisplay<T>(geojson: T, crs: DisplayCrs): T {
  return crs === 'wgs84' ? geojson : mapCoordinates(geojson, wgs84ToGcj02);
}

/** A position picked on the screen (in the basemap's `crs`) as the WGS84 position it stands for. */
export function fromDisplayPoint(p: readonly [number, number], crs: DisplayCrs): [number, number] {
  return crs === 'wgs84' ? [p[0], p[1]] : gcj02ToWgs84(p);
}

/** A GeoJSON object drawn on the screen (in `crs`) back in WGS84, e.g. an edited boundary. */
export function fromDisplay<T>(geojson: T, crs: DisplayCrs): T {
  return crs === 'wgs84' ? geojson : mapCoordinates(geojson, gcj02ToWgs84);
}

type Fn = (p: [number, number]) => [number, number];

function mapCoordinates<T>(value: T, fn: Fn): T {
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  if (o.type === 'FeatureCollection') return { ...o, features: (o.features as unknown[]).map((f) => mapCoordinates(f, fn)) } as T;
  if (o.type === 'Feature') return { ...o, geometry: mapCoordinates(o.geometry, fn) } as T;
  if (o.type === 'GeometryCollection') return { ...o, geometries: (o.geometries as unknown[]).map((g) => mapCoordinates(g, fn)) } as T;
  if ('coordinates' in o) return { ...o, coordinates: mapPositions(o.coordinates, fn) } as T;
  return value;
}
