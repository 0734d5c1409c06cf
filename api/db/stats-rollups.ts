/**
 * The statistics rollups' maintenance from the outside (supabase/migrations/*_metrics.sql):
 * a full rebuild, and the drift check that compares them with the reference functions
 * grid_stats / building_stats at the rollups' date. Used by `npm run stats:rebuild`, the tests
 * and the benchmark; runs as the database owner (the functions are not granted to API callers).
 */
import type { Database, Queryable } from './database';

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

/**
 * After a full rebuild, off the request path: a rebuild deletes and rewrites every rollup row, so
 * the tables hold a dead copy of each and statistics of the old rows. Until autovacuum gets to
 * them (minutes later, at a district, while requests run) reads and the next visits' updates pay
 * for both. VACUUM cannot run inside a transaction, so this is a statement of its own.
 */
export async function settleRollups(db: Queryable): Promise<void> {
  await db.query('vacuum (analyze) minqing.household_rollup, minqing.grid_rollup, minqing.building_rollup');
}

/** The date the rollups hold (null before the first build). */
export async function rollupDate(db: Queryable): Promise<string | null> {
  const [row] = await db.query<{ as_of: string | null }>('select as_of from minqing.stats_state');
  return row?.as_of ?? null;
}

export function formatDrift(drift: Drift[], limit = 50): string {
  const lines = drift
    .slice(0, limit)
    .map((d) => `  ${d.kind} ${d.id}  ${d.metric}: rollup ${JSON.stringify(d.rollupValue)}, reference ${JSON.stringify(d.referenceValue)}`);
  if (drift.length > limit) lines.push(`  … and ${drift.length - limit} more`);
  return lines.join('\n');
}

/** The last day of each of the `months` months before `today`'s month, oldest first. */
export function closedMonthEnds(today: string, months: number): string[] {
  const [y, m] = today.split('-').map(Number) as [number, number];
  return Array.from({ length: months }, (_, i) => new Date(Date.UTC(y, m - 1 - (months - 1 - i), 0)).toISOString().slice(0, 10));
}

/**
 * Stores the month-end snapshots of the `months` closed months before `today` (those a month
 * report's trend reads), computing only those not stored; returns the month ends computed.
 * Runs as the database owner; the API computes the same lazily at first read.
 */
export async function warmMonthSnapshots(db: Queryable, today: string, months = 12): Promise<string[]> {
  const stored = new Set((await db.query<{ d: string }>('select month_end::text as d from minqing.month_snapshot_state')).map((r) => r.d));
  const computed: string[] = [];
  for (const end of closedMonthEnds(today, months)) {
    if (stored.has(end)) continue;
    await db.query('select public.month_snapshot_ready($1::date)', [end]);
    computed.push(end);
  }
  return computed;
}

/** Deletes one stored month-end snapshot (a drifted one: the next warm-up stores it afresh). */
export async function dropMonthSnapshot(db: Database, monthEnd: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('delete from minqing.month_snapshot_state where month_end = $1::date', [monthEnd]);
    await tx.query('delete from public.grid_month_snapshots where month_end = $1::date', [monthEnd]);
  });
}
