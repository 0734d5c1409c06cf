/**
 * An imported feature's geometry as a MultiPolygon the database can parse, or why not. Files in
 * the wild hold points and lines among outlines, 3-D coordinates, unclosed rings and rings with
 * too few corners; PostGIS's parser throws on the last, and one throw would end the dry run for
 * every feature. Validity (self-intersections and the like) is left to ST_IsValid/ST_MakeValid.
 */
import type { Geometry, MultiPolygon, Position } from 'geojson';

export const POLYGON_DEFECT = {
  NO_GEOMETRY: 'no_geometry',
  NOT_AREAL: 'not_areal',
  BAD_COORDINATE: 'bad_coordinate',
  TOO_FEW_POSITIONS: 'too_few_positions',
} as const;
export type PolygonDefect = (typeof POLYGON_DEFECT)[keyof typeof POLYGON_DEFECT];

export type PolygonResult =
  | { valid: true; geometry: MultiPolygon; repairs: string[] }
  | { valid: false; reason: PolygonDefect; type: string | null };

const finite2 = (p: unknown): p is Position => Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]);

export function featurePolygons(geometry: Geometry | null | undefined): PolygonResult {
  if (!geometry) return { valid: false, reason: POLYGON_DEFECT.NO_GEOMETRY, type: null };
  const polygons: unknown[] = [];
  const collect = (g: Geometry) => {
    if (g.type === 'Polygon') polygons.push(g.coordinates);
    else if (g.type === 'MultiPolygon') polygons.push(...g.coordinates);
    else if (g.type === 'GeometryCollection') g.geometries.forEach(collect);
  };
  collect(geometry);
  if (polygons.length === 0) return { valid: false, reason: POLYGON_DEFECT.NOT_AREAL, type: geometry.type };
  const repairs: string[] = [];
  const out: Position[][][] = [];
  for (const poly of polygons) {
    if (!Array.isArray(poly)) return { valid: false, reason: POLYGON_DEFECT.NOT_AREAL, type: geometry.type };
    const rings: Position[][] = [];
    for (const [r, ring] of poly.entries()) {
      if (!Array.isArray(ring) || !ring.every(finite2)) return { valid: false, reason: POLYGON_DEFECT.BAD_COORDINATE, type: geometry.type };
      const flat = (ring as Position[]).map((p) => [p[0]!, p[1]!]);
      const first = flat[0];
      const last = flat[flat.length - 1];
      if (first && last && (first[0] !== last[0] || first[1] !== last[1])) {
        flat.push([first[0]!, first[1]!]);
        repairs.push('closed an unclosed ring');
      }
      if (flat.length < 4) {
        if (r === 0) return { valid: false, reason: POLYGON_DEFECT.TOO_FEW_POSITIONS, type: geometry.type };
        repairs.push('dropped a hole with fewer than 3 corners');
        continue;
      }
      rings.push(flat);
    }
    out.push(rings);
  }
  return { valid: true, geometry: { type: 'MultiPolygon', coordinates: out }, repairs };
}
