/**
 * The statistics rollups' maintenance from the outside (supabase/migrations/*_stats_rollups.sql):
 * a full rebuild, and the drift check that compares them with the reference functions
 * grid_stats / building_stats at the rollups' date. Used by `npm run stats:rebuild`, the tests
 * and the benchmark; runs as the database owner (the functions are not granted to API callers).
 */
import type { Queryable } from './database';

export interface Drift {
  kind: 'grid' | 'building';
  id: number;
  metric: string;
  rollupValue: unknown;
  referenceValue: unknown;
}

/** Every figure where the rollups differ from the reference at their date (empty when exact). */
export async function statsDrift(db: Queryable): Promise<Drift[]> {
  return db.query<Drift>(
    `select kind, id, metric, rollup_value as "rollupValue", reference_value as "referenceValue" from minqing.stats_drift()`,
  );
}

/** Rebuilds every rollup for asOf; returns the new statsVersion. */
export async function rebuildStats(db: Queryable, asOf: string): Promise<number> {
  const [row] = await db.query<{ v: number }>('select minqing.stats_rebuild($1::date) as v', [asOf]);
  return Number(row!.v);
}

/** The date the rollups hold (null before the first build). */
export async function rollupDate(db: Queryable): Promise<string | null> {
  const [row] = await db.query<{ as_of: string | null }>('select as_of from minqing.stats_state');
  return row?.as_of ?? null;
}

export function formatDrift(drift: Drift[], limit = 50): string {
  const lines = drift.slice(0, limit).map(
    (d) => `  ${d.kind} ${d.id}  ${d.metric}: rollup ${JSON.stringify(d.rollupValue)}, reference ${JSON.stringify(d.referenceValue)}`,
  );
  if (drift.length > limit) lines.push(`  … and ${drift.length - limit} more`);
  return lines.join('\n');
}
