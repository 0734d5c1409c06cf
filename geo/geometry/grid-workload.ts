/**
 * A grid's workload for boundary checks: households × the visits each requires per month under
 * the policy (issue 5: "households × required visits per month from the policy"), and the policy's
 * household range as the validator takes it.
 */
import type { HouseholdCategory } from '../domain/household';
import { DEFAULT_POLICY, type PolicySettings, requiredIntervalDays } from '../domain/visit-policy';
import type { BoundaryPolicy } from './grid-boundary.validation';

/** Mean days in a month (365.25 / 12, rounded as planning tables do). */
export const DAYS_PER_MONTH = 30.44;

/** Visits a month one household needs: a month over the interval of its strictest category. */
export function requiredVisitsPerMonth(
  categories: readonly HouseholdCategory[],
  policy: Pick<PolicySettings, 'intervals'> = DEFAULT_POLICY,
): number {
  return DAYS_PER_MONTH / requiredIntervalDays(categories, policy.intervals);
}

/** The validator's policy from a stored visit policy (which has no workload range yet). */
export function boundaryPolicy(policy: Pick<PolicySettings, 'gridHouseholds'>): BoundaryPolicy {
  return { householdsMin: policy.gridHouseholds.min, householdsMax: policy.gridHouseholds.max };
}
