/**
 * GeoJSON geometries sent from phones in the street (visit points, patrol tracks), checked
 * before they reach PostGIS so that a swapped lat/lon or a garbled fix is a 400 naming the
 * field, not a database error. WGS84 only (RFC 7946), like every geometry in the schema.
 */
import { z } from 'zod';

const position = z
  .tuple([z.number().finite(), z.number().finite()], { error: 'a position is [longitude, latitude] in degrees' })
  .rest(z.number().finite())
  .superRefine((p, ctx) => {
    const [lon, lat] = p;
    if (lon < -180 || lon > 180) ctx.addIssue({ code: 'custom', path: [0], message: `longitude ${lon} is outside -180..180` });
    if (lat < -90 || lat > 90) ctx.addIssue({ code: 'custom', path: [1], message: `latitude ${lat} is outside -90..90` });
    if (p.length > 3)
      ctx.addIssue({ code: 'custom', path: [3], message: `a position has ${p.length} numbers; at most 3 (longitude, latitude, altitude)` });
  })
  // Stored geometry is 2D: an altitude is dropped here, so that a mix of 2D and 3D positions
  // (which PostGIS refuses) cannot reach the database.
  .transform(([lon, lat]): [number, number] => [lon, lat]);

export const pointSchema = z.object({ type: z.literal('Point'), coordinates: position }).strict();
export type PointInput = z.infer<typeof pointSchema>;

/** A patrol track: two fixes at least; a day's walk at one fix every few seconds stays well under the cap. */
export const lineStringSchema = z
  .object({ type: z.literal('LineString'), coordinates: z.array(position).min(2, 'a track needs at least 2 positions').max(20_000) })
  .strict();
export type LineStringInput = z.infer<typeof lineStringSchema>;

/**
 * A drawn area: Polygon or MultiPolygon with positions in range. Ring closure, self-intersection
 * and the like are the boundary validator's business (they get problems on the map, not a 400).
 * The cap keeps a hostile body away from the validator's self-intersection check, whose time
 * grows with the square of the vertices (about 1 s at 10,000); a real grid has a few hundred.
 */
export const MAX_AREA_VERTICES = 10_000;
const ring = z.array(position).min(1, 'a ring needs positions');
export const arealSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('Polygon'), coordinates: z.array(ring).min(1, 'a polygon needs an outer ring') }).strict(),
    z
      .object({ type: z.literal('MultiPolygon'), coordinates: z.array(z.array(ring).min(1)).min(1, 'a multipolygon needs a polygon') })
      .strict(),
  ])
  .superRefine((g, ctx) => {
    const rings = g.type === 'Polygon' ? g.coordinates : g.coordinates.flat();
    const vertices = rings.reduce((n, r) => n + r.length, 0);
    if (vertices > MAX_AREA_VERTICES) {
      ctx.addIssue({
        code: 'custom',
        path: ['coordinates'],
        message: `${vertices} vertices; at most ${MAX_AREA_VERTICES} are accepted (simplify the shape first)`,
      });
    }
  });
export type ArealInput = z.infer<typeof arealSchema>;
