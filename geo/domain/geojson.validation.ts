/**
 * GeoJSON geometries sent from phones in the street (visit points, patrol tracks), checked
 * before they reach PostGIS so that a swapped lat/lon or a garbled fix is a 400 naming the
 * field, not a database error. WGS84 only (RFC 7946), like every geometry in the schema.
 */
import { z } from 'zod';

const position = z
  .tuple([z.number().finite(), z.number().finite()], { error: 'a position is [longitude, latitude] in degrees' })
  .rest(z.number().finite())
  .superRefine(([lon, lat], ctx) => {
    if (lon < -180 || lon > 180) ctx.addIssue({ code: 'custom', path: [0], message: `longitude ${lon} is outside -180..180` });
    if (lat < -90 || lat > 90) ctx.addIssue({ code: 'custom', path: [1], message: `latitude ${lat} is outside -90..90` });
  });

export const pointSchema = z.object({ type: z.literal('Point'), coordinates: position }).strict();
export type PointInput = z.infer<typeof pointSchema>;

/** A patrol track: two fixes at least; a day's walk at one fix every few seconds stays well under the cap. */
export const lineStringSchema = z
  .object({ type: z.literal('LineString'), coordinates: z.array(position).min(2, 'a track needs at least 2 positions').max(20_000) })
  .strict();
export type LineStringInput = z.infer<typeof lineStringSchema>;
