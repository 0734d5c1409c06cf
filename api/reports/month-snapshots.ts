/**
 * Month-end snapshots (supabase/migrations/*_metrics.sql, docs/metrics.md "Month-end
 * snapshots"): a closed month's grid figures, computed once by the database and read as rows.
 * The database deletes a snapshot in the same transaction as any change dated on or before its
 * month end, so what is read here is always what the reference functions would compute.
 */
import { monthBounds } from '../../geo/domain/period.validation';
import type { GridStats as GridFigures } from '../../geo/metrics/coverage.reference';
import type { Queryable } from '../db/database';

/** True when `asOf` is the last day of its month and that month is over on `today`. */
export function isClosedMonthEnd(asOf: string, today: string): boolean {
  return asOf < today && monthBounds(asOf.slice(0, 7)).to === asOf;
}

export const SNAPSHOT_GRID_COLUMNS = `grid_id as id, households, covered_households as "coveredHouseholds", coverage,
  overdue_households as "overdueHouseholds", at_risk_households as "atRiskHouseholds",
  at_risk_overdue as "atRiskOverdue", open_issues as "openIssues", overdue_issues as "overdueIssues",
  days_since_last_visit as "daysSinceLastVisit", days_since_last_patrol as "daysSinceLastPatrol",
  attention, attention_breakdown as "attentionBreakdown"`;

export interface SnapshotRow extends GridFigures {
  listed: boolean;
  visits: { due: number; done: number; onTime: number };
  issues: { registered: number; closed: number; closedOnTime: number; rated: number; satisfied: number };
  patrol: { daysMet: number; daysJudged: number };
}

/** Stores the month end if it is not stored (the first read pays for it), as the database owner. */
async function ensure(tx: Queryable, monthEnd: string): Promise<void> {
  await tx.query('select public.month_snapshot_ready($1::date)', [monthEnd]);
}

/** grid_stats(monthEnd)'s rows from the snapshot, as the caller (row-level security: their street). */
export async function snapshotGridStats(tx: Queryable, monthEnd: string): Promise<GridFigures[]> {
  await ensure(tx, monthEnd);
  return tx.query<GridFigures>(
    `select ${SNAPSHOT_GRID_COLUMNS} from public.grid_month_snapshots where month_end = $1::date and listed order by grid_id`,
    [monthEnd],
  );
}

/** Every stored row of the month end: the grid figures and the month report's per-grid counts. */
export async function snapshotMonth(tx: Queryable, monthEnd: string): Promise<SnapshotRow[]> {
  await ensure(tx, monthEnd);
  const rows = await tx.query<GridFigures & Record<string, number> & { listed: boolean }>(
    `select ${SNAPSHOT_GRID_COLUMNS}, listed, visits_due, visits_done, visits_on_time, issues_registered, issues_closed,
       issues_closed_on_time, issues_rated, issues_satisfied, patrol_days_met, patrol_days_judged
     from public.grid_month_snapshots where month_end = $1::date order by grid_id`,
    [monthEnd],
  );
  return rows.map((r) => {
    const {
      visits_due,
      visits_done,
      visits_on_time,
      issues_registered,
      issues_closed,
      issues_closed_on_time,
      issues_rated,
      issues_satisfied,
      patrol_days_met,
      patrol_days_judged,
      ...grid
    } = r;
    return {
      ...(grid as GridFigures & { listed: boolean }),
      visits: { due: visits_due!, done: visits_done!, onTime: visits_on_time! },
      issues: {
        registered: issues_registered!,
        closed: issues_closed!,
        closedOnTime: issues_closed_on_time!,
        rated: issues_rated!,
        satisfied: issues_satisfied!,
      },
      patrol: { daysMet: patrol_days_met!, daysJudged: patrol_days_judged! },
    };
  });
}

export interface SnapshotDrift {
  gridId: number;
  metric: string;
  snapshotValue: unknown;
  referenceValue: unknown;
}

/** Every stored figure of the month end that differs from the reference functions (owner only). */
export async function snapshotDrift(db: Queryable, monthEnd: string): Promise<SnapshotDrift[]> {
  return db.query<SnapshotDrift>(
    `select grid_id as "gridId", metric, snapshot_value as "snapshotValue", reference_value as "referenceValue"
     from minqing.month_snapshot_drift($1::date)`,
    [monthEnd],
  );
}

/** The month ends stored now (owner only). */
export async function storedMonthEnds(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ d: string }>(`select month_end::text as d from minqing.month_snapshot_state order by month_end`);
  return rows.map((r) => r.d);
}
