/**
 * The TypeScript reference implementation of docs/metrics.md. Pure: no I/O, no clock, no host
 * time zone. The SQL in supabase/migrations/*_metrics.sql is what the API serves;
 * tests/db/metrics.property.test.ts checks on random datasets that both give the same numbers.
 *
 * Dates are 'YYYY-MM-DD' strings handled as UTC epoch days; a timestamp falls on its date in
 * China (UTC+8, no daylight saving).
 */
import type { HouseholdCategory, VisitMethod, VisitResult } from '../domain/household';
import { DEFAULT_POLICY, type PolicySettings } from '../domain/visit-policy';

export interface MetricsDataset {
  grids: { id: number; communityId: number }[];
  buildings: { id: number; gridId: number | null }[];
  households: {
    id: number;
    buildingId: number;
    categories: HouseholdCategory[];
    /** YYYY-MM-DD */
    movedIn: string;
    /** YYYY-MM-DD */
    movedOut: string | null;
  }[];
  /** visitedAt: ISO timestamp with offset. */
  visits: { householdId: number; visitedAt: string; method: VisitMethod; result: VisitResult }[];
  patrols: { gridId: number; startedAt: string; endedAt: string | null }[];
  /** cancelledAt: the earliest `cancelled` event of the issue, if any. */
  issues: {
    gridId: number;
    buildingId: number | null;
    receivedAt: string;
    dueAt: string;
    closedAt: string | null;
    cancelledAt: string | null;
  }[];
  policies: { communityId: number | null; validFrom: string; settings: PolicySettings }[];
}

/** Each term's points: weight × term × 100, rounded to one decimal. */
export interface AttentionBreakdown {
  coverageGap: number;
  atRiskOverdue: number;
  overdueIssues: number;
  patrolGap: number;
}

export interface AreaStats {
  households: number;
  coveredHouseholds: number;
  coverage: number | null;
  overdueHouseholds: number;
  atRiskHouseholds: number;
  atRiskOverdue: number;
  openIssues: number;
  overdueIssues: number;
  daysSinceLastVisit: number | null;
  daysSinceLastPatrol: number | null;
  attention: number;
  attentionBreakdown: AttentionBreakdown;
}
export interface GridStats extends AreaStats {
  id: number;
}
export interface BuildingStats extends AreaStats {
  id: number;
  gridId: number | null;
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** Epoch day (days since 1970-01-01) of a 'YYYY-MM-DD' date; throws on anything else. */
export function epochDay(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`expected a date YYYY-MM-DD, got ${JSON.stringify(date)}`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new RangeError(`not a calendar date: ${date}`);
  }
  return ms / DAY_MS;
}

/** 'YYYY-MM-DD' of an epoch day. */
export function fromEpochDay(day: number): string {
  if (!Number.isInteger(day)) throw new RangeError(`expected a whole epoch day, got ${day}`);
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The calendar date in China (UTC+8) on which an ISO timestamp with offset falls. */
export function chinaDate(isoTimestamp: string): string {
  // Without an explicit offset Date.parse would read the host's local time: refuse that.
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(isoTimestamp.trim())) {
    throw new RangeError(`expected a timestamp with an offset, got ${JSON.stringify(isoTimestamp)}`);
  }
  const ms = Date.parse(isoTimestamp);
  if (Number.isNaN(ms)) throw new RangeError(`not a timestamp: ${JSON.stringify(isoTimestamp)}`);
  return new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** date + n days. */
export function addDays(date: string, n: number): string {
  return fromEpochDay(epochDay(date) + n);
}

/** b − a in days (positive when b is later). */
export function daysBetween(a: string, b: string): number {
  return epochDay(b) - epochDay(a);
}

// ---------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------

function latestValid<P extends { validFrom: string }>(rows: readonly P[], asOf: string): P | undefined {
  let best: P | undefined;
  for (const r of rows) {
    if (r.validFrom <= asOf && (best === undefined || r.validFrom > best.validFrom)) best = r;
  }
  return best;
}

/**
 * The policy in force for community `communityId` (null: no community, e.g. a building outside
 * every grid) at `asOf`: the community's latest row valid by then, else the street-wide one's,
 * else DEFAULT_POLICY.
 */
export function policyInForce(
  policies: readonly { communityId: number | null; validFrom: string; settings: PolicySettings }[],
  communityId: number | null,
  asOf: string,
): PolicySettings {
  epochDay(asOf); // validates the format, so the string comparisons below are date comparisons
  const own =
    communityId === null
      ? undefined
      : latestValid(
          policies.filter((p) => p.communityId === communityId),
          asOf,
        );
  if (own) return own.settings;
  const street = latestValid(
    policies.filter((p) => p.communityId === null),
    asOf,
  );
  return street ? street.settings : DEFAULT_POLICY;
}

// ---------------------------------------------------------------------------------------------
// Attention
// ---------------------------------------------------------------------------------------------

/**
 * Rounds to one decimal, halves up, as docs/metrics.md says: floor(10x + 0.5) / 10 — of the exact
 * value. Floating point can land an exact half a hair below it (0.85 × 0.75 × 100 is
 * 63.74999999999999 in IEEE doubles, 63.75 exactly), and which side depends on the order of
 * operations; the 1e-9 absorbs that error (≈1e-13 here) and is far below the gap between two
 * different exact values (rationals with small denominators), so the result is the rounding of the
 * exact value whatever the evaluation order.
 */
export const ROUNDING_EPSILON = 1e-9;
export function roundTo1(x: number): number {
  return Math.floor(x * 10 + 0.5 + ROUNDING_EPSILON) / 10;
}

export interface AttentionInput {
  households: number;
  coverage: number | null;
  atRiskHouseholds: number;
  atRiskOverdue: number;
  overdueIssues: number;
  daysSinceLastPatrol: number | null;
}

/** The four terms' points (weight × term × 100) and their sum, unrounded. */
export function attentionPoints(s: AttentionInput, attention: PolicySettings['attention']): AttentionBreakdown & { total: number } {
  const w = attention.weights;
  const coverageGap = s.coverage === null ? 0 : 1 - s.coverage;
  const atRiskOverdue = s.atRiskHouseholds > 0 ? s.atRiskOverdue / s.atRiskHouseholds : 0;
  const overdueIssues = s.households > 0 ? Math.min(1, (s.overdueIssues * 100) / s.households / attention.overdueIssuesPer100Cap) : 0;
  const patrolGap = s.daysSinceLastPatrol === null ? 1 : Math.min(1, s.daysSinceLastPatrol / attention.patrolGapDaysCap);
  const points = {
    coverageGap: w.coverageGap * coverageGap * 100,
    atRiskOverdue: w.atRiskOverdue * atRiskOverdue * 100,
    overdueIssues: w.overdueIssues * overdueIssues * 100,
    patrolGap: w.patrolGap * patrolGap * 100,
  };
  return { ...points, total: points.coverageGap + points.atRiskOverdue + points.overdueIssues + points.patrolGap };
}

// ---------------------------------------------------------------------------------------------
// Stats
// ---------------------------------------------------------------------------------------------

interface HouseholdState {
  covered: boolean;
  overdue: boolean;
  atRisk: boolean;
  /** Epoch day of the last qualifying visit, or null. */
  last: number | null;
}

interface IssueState {
  open: boolean;
  overdue: boolean;
}

function householdState(
  h: MetricsDataset['households'][number],
  visits: readonly MetricsDataset['visits'][number][],
  policy: PolicySettings,
  d: number,
): HouseholdState | null {
  const movedIn = epochDay(h.movedIn);
  if (!(movedIn <= d && (h.movedOut === null || epochDay(h.movedOut) > d))) return null;
  const interval = Math.min(...h.categories.map((c) => policy.intervals[c]));
  let last: number | null = null;
  for (const v of visits) {
    if (!policy.countedMethods.includes(v.method)) continue;
    if (v.result !== 'met' && !policy.notHomeCounts) continue;
    const day = epochDay(chinaDate(v.visitedAt));
    if (day > d) continue;
    if (last === null || day > last) last = day;
  }
  const covered = last !== null && last > d - interval;
  const due = (last ?? movedIn) + interval;
  return {
    covered,
    overdue: !covered && due < d,
    atRisk: h.categories.some((c) => policy.atRisk.includes(c)),
    last,
  };
}

function issueState(i: MetricsDataset['issues'][number], d: number): IssueState {
  const day = (t: string) => epochDay(chinaDate(t));
  const open = day(i.receivedAt) <= d && (i.closedAt === null || day(i.closedAt) > d) && (i.cancelledAt === null || day(i.cancelledAt) > d);
  return { open, overdue: open && day(i.dueAt) < d };
}

function areaStats(
  households: readonly HouseholdState[],
  issues: readonly IssueState[],
  daysSinceLastPatrol: number | null,
  policy: PolicySettings,
  d: number,
): AreaStats {
  const n = households.length;
  const covered = households.filter((h) => h.covered).length;
  const atRisk = households.filter((h) => h.atRisk);
  const lasts = households.flatMap((h) => (h.last === null ? [] : [h.last]));
  const coverage = n === 0 ? null : covered / n;
  const base = {
    households: n,
    coveredHouseholds: covered,
    coverage,
    overdueHouseholds: households.filter((h) => h.overdue).length,
    atRiskHouseholds: atRisk.length,
    atRiskOverdue: atRisk.filter((h) => h.overdue).length,
    openIssues: issues.filter((i) => i.open).length,
    overdueIssues: issues.filter((i) => i.overdue).length,
    daysSinceLastVisit: lasts.length === 0 ? null : d - Math.max(...lasts),
    daysSinceLastPatrol,
  };
  const p = attentionPoints(base, policy.attention);
  return {
    ...base,
    attention: roundTo1(p.total),
    attentionBreakdown: {
      coverageGap: roundTo1(p.coverageGap),
      atRiskOverdue: roundTo1(p.atRiskOverdue),
      overdueIssues: roundTo1(p.overdueIssues),
      patrolGap: roundTo1(p.patrolGap),
    },
  };
}

function groupBy<T, K>(rows: readonly T[], key: (row: T) => K): Map<K, T[]> {
  const map = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = map.get(k);
    if (list) list.push(r);
    else map.set(k, [r]);
  }
  return map;
}

/** Stats of every grid and every building at `asOf` (YYYY-MM-DD), each list sorted by id. */
export function computeStats(data: MetricsDataset, asOf: string): { grids: GridStats[]; buildings: BuildingStats[] } {
  const d = epochDay(asOf);
  const gridById = new Map(data.grids.map((g) => [g.id, g]));
  const communityOfGrid = (gridId: number | null) => (gridId === null ? null : (gridById.get(gridId)?.communityId ?? null));
  const buildingById = new Map(data.buildings.map((b) => [b.id, b]));
  const policyCache = new Map<number | null, PolicySettings>();
  const policyOf = (communityId: number | null) => {
    let p = policyCache.get(communityId);
    if (!p) policyCache.set(communityId, (p = policyInForce(data.policies, communityId, asOf)));
    return p;
  };

  const visitsByHousehold = groupBy(data.visits, (v) => v.householdId);
  const householdsByBuilding = new Map<number, HouseholdState[]>();
  for (const h of data.households) {
    const building = buildingById.get(h.buildingId);
    if (!building) throw new Error(`household ${h.id} lives in unknown building ${h.buildingId}`);
    const state = householdState(h, visitsByHousehold.get(h.id) ?? [], policyOf(communityOfGrid(building.gridId)), d);
    if (!state) continue;
    const list = householdsByBuilding.get(h.buildingId);
    if (list) list.push(state);
    else householdsByBuilding.set(h.buildingId, [state]);
  }

  const issuesByGrid = new Map<number, IssueState[]>();
  const issuesByBuilding = new Map<number, IssueState[]>();
  for (const i of data.issues) {
    const s = issueState(i, d);
    (issuesByGrid.get(i.gridId) ?? issuesByGrid.set(i.gridId, []).get(i.gridId)!).push(s);
    if (i.buildingId !== null) (issuesByBuilding.get(i.buildingId) ?? issuesByBuilding.set(i.buildingId, []).get(i.buildingId)!).push(s);
  }

  // The daily rule: a day counts when the grid's finished patrols started that day (China
  // time) add up to patrolMinMinutes — two 15-minute rounds meet a 30-minute rule.
  const patrolDays = new Map<number, number | null>();
  for (const g of data.grids) {
    const minMinutes = policyOf(g.communityId).patrolMinMinutes;
    const minutesByDay = new Map<number, number>();
    for (const p of data.patrols) {
      if (p.gridId !== g.id || p.endedAt === null) continue;
      const day = epochDay(chinaDate(p.startedAt));
      if (day > d) continue;
      minutesByDay.set(day, (minutesByDay.get(day) ?? 0) + (Date.parse(p.endedAt) - Date.parse(p.startedAt)) / 60_000);
    }
    let latest: number | null = null;
    for (const [day, minutes] of minutesByDay) {
      if (minutes >= minMinutes && (latest === null || day > latest)) latest = day;
    }
    patrolDays.set(g.id, latest === null ? null : d - latest);
  }

  const buildingsByGrid = groupBy(data.buildings, (b) => b.gridId);
  const grids: GridStats[] = [...data.grids]
    .sort((a, b) => a.id - b.id)
    .map((g) => ({
      id: g.id,
      ...areaStats(
        (buildingsByGrid.get(g.id) ?? []).flatMap((b) => householdsByBuilding.get(b.id) ?? []),
        issuesByGrid.get(g.id) ?? [],
        patrolDays.get(g.id) ?? null,
        policyOf(g.communityId),
        d,
      ),
    }));
  const buildings: BuildingStats[] = [...data.buildings]
    .sort((a, b) => a.id - b.id)
    .map((b) => ({
      id: b.id,
      gridId: b.gridId,
      ...areaStats(
        householdsByBuilding.get(b.id) ?? [],
        issuesByBuilding.get(b.id) ?? [],
        b.gridId === null ? null : (patrolDays.get(b.gridId) ?? null),
        policyOf(communityOfGrid(b.gridId)),
        d,
      ),
    }));
  return { grids, buildings };
}
