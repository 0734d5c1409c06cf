/**
 * A grid's mop-up list: the households whose visit is overdue, and how many visits lift the grid's
 * coverage into the next better band. Where households live is for the grid's own people, so the
 * database's grid_access decides who reads it.
 */
import type { HouseholdCategory } from '../../geo/domain/household';
import { type BandId, METRIC_SPECS } from '../../geo/metrics/legend';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

export interface OverdueHousehold {
  householdId: number;
  buildingId: number;
  address: string;
  unit: string | null;
  room: string;
  categories: HouseholdCategory[];
  atRisk: boolean;
  lastVisit: string | null;
  dueDate: string;
  daysOverdue: number;
}

/** Visits to uncovered households needed to lift coverage into the next better band, or null at the top. */
export function visitsToNextBand(households: number, covered: number): { band: BandId; visits: number } | null {
  if (households === 0) return null;
  const [good, fair, poor] = METRIC_SPECS.coverage.thresholds;
  const coverage = covered / households;
  const next =
    coverage < poor
      ? { band: 'poor' as const, t: poor }
      : coverage < fair
        ? { band: 'fair' as const, t: fair }
        : coverage < good
          ? { band: 'good' as const, t: good }
          : null;
  if (!next) return null;
  // A tiny epsilon absorbs binary noise (0.95 × 300 = 284.99999…).
  return { band: next.band, visits: Math.ceil(next.t * households - covered - 1e-9) };
}

/** The grid's overdue households on `asOf`, with its coverage; null when the caller sees no such grid. */
export async function gridOverdue(tx: Queryable, id: number, asOf: string) {
  const [grid] = await tx.query<{ id: number; name: string; households: number; covered: number }>(
    // The grid's name on asOf: a past date's list is headed as that day's map names the grid.
    `select g.id, coalesce(v.name, g.name) as name, s.households, s.covered_households as covered
     from public.grids g cross join public.grid_visit_counts(g.id, $2::date) s
     left join public.grid_versions_at($2::date) v on v.grid_id = g.id
     where g.id = $1`,
    [id, asOf],
  );
  if (!grid) return null;
  const [{ access }] = (await tx.query<{ access: string }>('select minqing.grid_access($1) as access', [id])) as [{ access: string }];
  if (access === 'none') {
    throw new ApiError(
      403,
      'forbidden',
      `The mop-up list of grid ${id} says where its households live; it is for the grid's team, its community staff and the street leader.`,
    );
  }
  const households = await tx.query<OverdueHousehold>(
    `select household_id as "householdId", building_id as "buildingId", address, unit, room,
            categories::text[] as categories, at_risk as "atRisk", last_visit::text as "lastVisit",
            due_date::text as "dueDate", days_overdue as "daysOverdue"
     from public.grid_overdue_households($1, $2::date)`,
    [id, asOf],
  );
  return { grid, households };
}
