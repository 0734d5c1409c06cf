/**
 * The figures behind the map's colours (docs/metrics.md) as the database computes them, read as
 * the caller: for the product's today from the rollups kept current by the database
 * (docs/metrics.md "Rollups"); a closed month's last day from its month-end snapshot; any other
 * date on the fly by the reference functions grid_stats / building_stats. api/routes/stats.ts
 * adds the bands, the ETag and the answer cache.
 */
import type { BuildingStats as BuildingFigures, GridStats as GridFigures } from '../../geo/metrics/coverage.reference';
import type { Queryable } from '../db/database';
import { isClosedMonthEnd, snapshotGridStats } from '../reports/month-snapshots';

const COLUMNS = `households, covered_households as "coveredHouseholds", coverage,
  overdue_households as "overdueHouseholds", at_risk_households as "atRiskHouseholds",
  at_risk_overdue as "atRiskOverdue", open_issues as "openIssues", overdue_issues as "overdueIssues",
  days_since_last_visit as "daysSinceLastVisit", days_since_last_patrol as "daysSinceLastPatrol",
  attention, attention_breakdown as "attentionBreakdown"`;

/**
 * What a request's answer depends on besides its parameters, read as the caller: the
 * statsVersion (today: after making sure the rollups hold today) and the caller's visibility
 * class — the street row-level security scopes them to, and for buildings whether they are the
 * street leader (who alone also sees buildings outside every grid). The answer cache is keyed by
 * both, so it can never hand one street's (or role's) rows to a caller the database would not
 * show them to.
 */
export interface StatsCheck {
  version: number;
  visibility: string;
}
export async function statsCheck(tx: Queryable, kind: StatsKind, asOf: string, today: string): Promise<StatsCheck> {
  const version = asOf === today ? 'public.stats_rollup_ready($1::date)' : 'public.stats_version()';
  const [row] = await tx.query<{ v: number; street: number | null; leader: boolean }>(
    `select ${version} as v, minqing.my_street_id() as street,
       exists (select 1 from minqing.my_staff() me where me.role = 'street_leader') as leader`,
    asOf === today ? [asOf] : [],
  );
  const street = row!.street ?? 'none';
  return { version: Number(row!.v), visibility: kind === 'buildings' ? `${street}:${row!.leader ? 'leader' : 'staff'}` : `${street}` };
}

export type StatsKind = 'grids' | 'buildings';
/** Every grid's figures as of `asOf` that the caller may read, in id order. */
export async function gridFigures(tx: Queryable, asOf: string, today: string): Promise<GridFigures[]> {
  // Today: the rollups; a closed month's last day: its month-end snapshot (street-scoped
  // by row-level security); any other date: the reference. The rollups and the reference
  // hold every street's grids, so they are cut to the grids the caller may read (RLS).
  return asOf === today
    ? // The rollup function is security definer (it reads the whole table); the join with
      // public.grids, under row-level security, keeps the answer to the caller's street as
      // every other date's is (docs/access.md: aggregates are street-scoped).
      tx.query<GridFigures>(
        `select r.grid_id as id, ${COLUMNS} from public.grid_stats_rollup() r
         where r.grid_id in (select g.id from public.grids g) order by r.grid_id`,
      )
    : isClosedMonthEnd(asOf, today)
      ? snapshotGridStats(tx, asOf)
      : tx.query<GridFigures>(
          `select grid_id as id, ${COLUMNS} from public.grid_stats($1::date)
           where grid_id in (select id from public.grids) order by grid_id`,
          [asOf],
        );
}

/** The figures as of `asOf` of the buildings in `bbox` that the caller may read, in id order, with their address. */
export function buildingFigures(
  tx: Queryable,
  bbox: number[],
  asOf: string,
  today: string,
): Promise<(BuildingFigures & { address: string })[]> {
  const source = asOf === today ? 'public.building_stats_rollup()' : 'public.building_stats($5::date)';
  // The join with buildings, read as the caller, is the street scope (row-level security).
  return tx.query<BuildingFigures & { address: string }>(
    `select s.building_id as id, s.grid_id as "gridId", b.address, ${COLUMNS}
     from ${source} s
     join public.buildings b on b.id = s.building_id
     where b.footprint && ST_MakeEnvelope($1, $2, $3, $4, 4326)
     order by s.building_id`,
    asOf === today ? bbox : [...bbox, asOf],
  );
}
