/**
 * Builds GeoJSON in PostgreSQL, one round trip and no per-row JS: the database already holds the
 * geometry and ST_AsGeoJSON is faster than any client-side serialiser. 7 decimals ≈ 1 cm.
 */
export interface FeatureSql {
  /** SQL expression for the feature id (also promoted to properties.id by the caller's props). */
  id: string;
  geometry: string;
  /** Pairs of 'jsonKey', sqlExpr for json_build_object. */
  properties: Record<string, string>;
  /** FROM … [JOIN …] [WHERE …], without the word FROM. */
  from: string;
  orderBy: string;
}

/** A query returning one row `{ fc }` with a FeatureCollection (empty when nothing matches). */
export function featureCollectionSql(f: FeatureSql): string {
  const props = Object.entries(f.properties)
    .map(([key, expr]) => `'${key}', ${expr}`)
    .join(', ');
  return `
    select json_build_object(
      'type', 'FeatureCollection',
      'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', ${f.id},
        'geometry', ST_AsGeoJSON(${f.geometry}, 7)::json,
        'properties', json_build_object(${props})
      ) order by ${f.orderBy}), '[]'::json)
    ) as fc
    from ${f.from}`;
}
