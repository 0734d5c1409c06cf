/**
 * Where to put a polygon's label. The centroid of an L-shaped or crescent grid can fall outside
 * it (or inside a neighbour), which would put one grid's name on another; the centre of mass is
 * kept when it lies inside, otherwise turf's point-on-feature, which always does.
 */
import { booleanPointInPolygon, centerOfMass, pointOnFeature } from '@turf/turf';
import type { Feature, FeatureCollection, MultiPolygon, Point, Polygon } from 'geojson';

export function labelPoint(feature: Feature<Polygon | MultiPolygon>): Point {
  const centre = centerOfMass(feature);
  if (booleanPointInPolygon(centre, feature)) return centre.geometry;
  return pointOnFeature(feature).geometry;
}

export function labelPoints<P extends Record<string, unknown>>(
  fc: FeatureCollection<Polygon | MultiPolygon, P>,
): FeatureCollection<Point, P> {
  return {
    type: 'FeatureCollection',
    features: fc.features.map((f) => ({ type: 'Feature', id: f.id, properties: f.properties, geometry: labelPoint(f) })),
  };
}
