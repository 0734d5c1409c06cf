/**
 * What coordinate system an imported file is in. A shapefile's .prj says it (read by proj4 in
 * the api, which reprojects); GeoJSON and KML are WGS84 by definition, but files in the wild
 * carry projected metres, or latitude first. From the numbers alone: all within lon/lat ranges
 * → EPSG:4326; |x| ≤ 90 < |y| ≤ 180 in every position → swapped; anything beyond → projected
 * and unknown, which cannot be imported without a .prj.
 */
import type { Position } from 'geojson';

export const CRS_GUESS = {
  WGS84: 'wgs84',
  SWAPPED: 'swapped',
  PROJECTED_UNKNOWN: 'projected_unknown',
  EMPTY: 'empty',
} as const;
export type CrsGuess = (typeof CRS_GUESS)[keyof typeof CRS_GUESS];

export interface Extent {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function extentOf(positions: Iterable<Position>): Extent | null {
  let e: Extent | null = null;
  for (const p of positions) {
    const x = p[0]!;
    const y = p[1]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (!e) e = { minX: x, minY: y, maxX: x, maxY: y };
    else {
      if (x < e.minX) e.minX = x;
      if (y < e.minY) e.minY = y;
      if (x > e.maxX) e.maxX = x;
      if (y > e.maxY) e.maxY = y;
    }
  }
  return e;
}

export function guessCrs(extent: Extent | null): CrsGuess {
  if (!extent) return CRS_GUESS.EMPTY;
  const inLon = (v: number) => v >= -180 && v <= 180;
  const inLat = (v: number) => v >= -90 && v <= 90;
  if (inLon(extent.minX) && inLon(extent.maxX) && inLat(extent.minY) && inLat(extent.maxY)) {
    // Latitude-first data inside China reads as lon 18–54, "lat" 73–135: caught by the ranges
    // below only when "lat" > 90. Chinese data with x in 18–54 and y in 73–90 is both in range
    // and plausible nowhere else a street would be, so it is treated as swapped too.
    if (extent.minX >= 3 && extent.maxX <= 54 && extent.minY >= 73 && extent.maxY <= 90) return CRS_GUESS.SWAPPED;
    return CRS_GUESS.WGS84;
  }
  if (inLat(extent.minX) && inLat(extent.maxX) && inLon(extent.minY) && inLon(extent.maxY)) return CRS_GUESS.SWAPPED;
  return CRS_GUESS.PROJECTED_UNKNOWN;
}

/** The human name in a .prj's WKT: PROJCS["CGCS2000_3_Degree_GK_CM_114E",…] → that name. */
export function prjName(wkt: string): string | null {
  const m = /^\s*(PROJCS|GEOGCS|PROJCRS|GEOGCRS|GEODCRS)\s*\[\s*"([^"]+)"/i.exec(wkt);
  return m ? m[2]! : null;
}

/** Whether a .prj describes geographic lon/lat (no projection): then no reprojection is needed. */
export function prjIsGeographic(wkt: string): boolean {
  return /^\s*(GEOGCS|GEOGCRS|GEODCRS)\b/i.test(wkt);
}
