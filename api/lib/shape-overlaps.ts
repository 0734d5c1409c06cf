/**
 * Pairs of shapes checked together (an import's features, a drawn boundary) that share more
 * than the overlap tolerance, in PostGIS: the one query the grid and community checks both ask.
 * `$1` is a JSON array of `{i, t, g}` (key, target id, GeoJSON geometry as text).
 */
import { OVERLAP_TOLERANCE_M2 } from '../../geo/geometry/grid-boundary.validation';
import type { Queryable } from '../db/database';

export const SHAPES_INPUT = `input as materialized (
  select (e ->> 'i')::int as i, (e ->> 't')::int as target, ST_SetSRID(ST_GeomFromGeoJSON(e ->> 'g'), 4326) as g
  from jsonb_array_elements($1::jsonb) e)`;

/** Each overlapping pair `a < b` with its shared area, ordered by the later shape. */
export function overlapsAmong(tx: Queryable, shapesJson: string) {
  return tx.query<{ a: number; b: number; areaM2: number }>(
    `with ${SHAPES_INPUT}
     select x.i as a, y.i as b, ST_Area(ST_Intersection(x.g, y.g)::geography) as "areaM2"
     from input x join input y on x.i < y.i and ST_Intersects(x.g, y.g)
     where ST_Area(ST_Intersection(x.g, y.g)::geography) > ${OVERLAP_TOLERANCE_M2} order by y.i, x.i`,
    [shapesJson],
  );
}
