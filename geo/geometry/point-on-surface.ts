/**
 * The point PostGIS's ST_PointOnSurface returns for a polygon, computed in TypeScript so that the
 * web editor and the server assign a building to the same grid (the database puts a building in
 * the grid that covers ST_PointOnSurface(footprint)).
 *
 * turf.pointOnFeature is not that point: it returns the bounding-box centre when that lies inside
 * the shape, otherwise the nearest *vertex* — a point on the footprint's outline, not inside it.
 * For a building wholly inside one grid any inside point gives the same grid; for a building that
 * a grid edge crosses, the two can fall on opposite sides, and the preview would promise an
 * assignment the database then does not make.
 *
 * This is a port of GEOS's InteriorPointArea (GEOS ≥ 3.8, which PostGIS calls), in planar
 * lon/lat like PostGIS on geometry(4326): per polygon, a horizontal scan line half-way between
 * the two vertex latitudes nearest the middle of its extent, the widest interior section on
 * it, and that section's midpoint; of several polygons, the one with the widest section. The
 * arithmetic follows GEOS step by step, so the result is the same double, not merely close.
 */
import type { MultiPolygon, Polygon, Position } from 'geojson';

const avg = (a: number, b: number) => (a + b) / 2;

function scanLineY(rings: readonly Position[][]): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const ring of rings) {
    for (const p of ring) {
      const y = p[1] as number;
      if (y < lo) lo = y;
      if (y > hi) hi = y;
    }
  }
  const centre = avg(lo, hi);
  for (const ring of rings) {
    for (const p of ring) {
      const y = p[1] as number;
      if (y <= centre) {
        if (y > lo) lo = y;
      } else if (y < hi) {
        hi = y;
      }
    }
  }
  return avg(hi, lo);
}

function crossingX(p0: Position, p1: Position, y: number): number {
  const x0 = p0[0] as number;
  const x1 = p1[0] as number;
  if (x0 === x1) return x0;
  const m = ((p1[1] as number) - (p0[1] as number)) / (x1 - x0);
  return x0 + (y - (p0[1] as number)) / m;
}

/** The widest interior section of one polygon on its scan line: [width, point]. */
function polygonInteriorPoint(rings: readonly Position[][]): [number, Position] | null {
  const first = rings[0]?.[0];
  if (!first) return null;
  const y = scanLineY(rings);
  const crossings: number[] = [];
  for (const ring of rings) {
    for (let i = 1; i < ring.length; i++) {
      const p0 = ring[i - 1] as Position;
      const p1 = ring[i] as Position;
      const y0 = p0[1] as number;
      const y1 = p1[1] as number;
      if ((y0 > y && y1 > y) || (y0 < y && y1 < y)) continue;
      // Horizontal edges never count; an edge ending exactly on the line counts once.
      if (y0 === y1) continue;
      if (y0 === y && y1 < y) continue;
      if (y1 === y && y0 < y) continue;
      crossings.push(crossingX(p0, p1, y));
    }
  }
  // A zero-area polygon has no crossings: GEOS then answers its first vertex.
  let width = 0;
  let point: Position = [first[0] as number, first[1] as number];
  crossings.sort((a, b) => a - b);
  for (let i = 0; i + 1 < crossings.length; i += 2) {
    const w = (crossings[i + 1] as number) - (crossings[i] as number);
    if (w > width) {
      width = w;
      point = [avg(crossings[i] as number, crossings[i + 1] as number), y];
    }
  }
  return [width, point];
}

/** ST_PointOnSurface of a (Multi)Polygon as [lon, lat]; null for an empty geometry. */
export function pointOnSurface(geometry: Polygon | MultiPolygon): Position | null {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  let best: [number, Position] | null = null;
  for (const rings of polygons) {
    const candidate = polygonInteriorPoint(rings);
    if (candidate && (!best || candidate[0] > best[0])) best = candidate;
  }
  return best ? best[1] : null;
}
