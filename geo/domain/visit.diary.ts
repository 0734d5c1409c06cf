/**
 * A worker's diary (民情日记) for a day or a month: the tallies a grid member reports by the
 * 15th and 20th (002 篇一) and a cadre's monthly quota is judged on (000 第五篇, 003).
 */
import { VISIT_METHODS, VISIT_RESULTS, type VisitMethod, type VisitResult } from './household';

export interface DiaryTally {
  total: number;
  byMethod: Record<VisitMethod, number>;
  byResult: Record<VisitResult, number>;
  /** Visits whose GPS point was far from the building, awaiting review. */
  flagged: number;
  /** Distinct households visited: two calls to the same door are one household. */
  households: number;
}

const zeros = <K extends string>(keys: readonly K[]) => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

export function tallyDiary(
  visits: readonly { householdId: number; method: VisitMethod; result: VisitResult; flaggedForReview: boolean }[],
): DiaryTally {
  const tally: DiaryTally = {
    total: visits.length,
    byMethod: zeros(VISIT_METHODS),
    byResult: zeros(VISIT_RESULTS),
    flagged: 0,
    households: 0,
  };
  for (const v of visits) {
    tally.byMethod[v.method] += 1;
    tally.byResult[v.result] += 1;
    if (v.flaggedForReview) tally.flagged += 1;
  }
  tally.households = new Set(visits.map((v) => v.householdId)).size;
  return tally;
}
