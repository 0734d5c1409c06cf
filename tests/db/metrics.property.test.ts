/**
 * The map's numbers are computed twice: in SQL (public.grid_stats / public.building_stats, what the
 * API serves) and in TypeScript (geo/metrics/coverage.reference.ts, a direct reading of
 * docs/metrics.md). Here fast-check generates small random streets, inserts each into an empty
 * migrated database inside a transaction that is rolled back, and requires both to give the same
 * numbers for every grid and building, at several as-of dates.
 *
 * Reproduce a failure with what fast-check prints: FC_SEED=<seed> FC_PATH=<path> npx vitest run <this file>;
 * FC_RUNS=<n> runs more streets (60 by default).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import type { Database, Queryable } from '../../api/db/database';
import {
  HOUSEHOLD_CATEGORIES,
  type HouseholdCategory,
  VISIT_METHODS,
  VISIT_RESULTS,
  type VisitMethod,
  type VisitResult,
} from '../../geo/domain/household';
import { DEFAULT_POLICY, type PolicySettings, policySettingsSchema } from '../../geo/domain/visit-policy';
import {
  type AreaStats,
  attentionPoints,
  computeStats,
  epochDay,
  fromEpochDay,
  type MetricsDataset,
  policyInForce,
} from '../../geo/metrics/coverage.reference';
import { inRolledBackTransaction } from '../support/databases';
import { describeEachDatabase, describeEachMigratedDatabase } from '../support/each-database';
import { DEMO_TODAY } from '../support/fixtures';

const NUM_RUNS = Number(process.env.FC_RUNS ?? 60);
/** Replays a failure: FC_SEED=<seed> FC_PATH=<path> as fast-check printed them. */
const FC_REPLAY = {
  ...(process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) }),
  ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }),
};

// =============================================================================================
// Generated datasets. Days are offsets from the dataset's own as-of date D0; times are minutes
// of the day in China (UTC+8), so boundaries (D − I, midnight) are hit on purpose.
// =============================================================================================

interface GenTime {
  day: number;
  minute: number;
}
interface GenVisit {
  /** 'edge' k: on D0 − I + k, I being the household's interval under the policy in force at D0. */
  when: { edge: number } | { offset: number };
  minute: number;
  method: VisitMethod;
  result: VisitResult;
  /** Written as UTC ('…Z') rather than '+08:00'. */
  zulu: boolean;
}
interface GenHousehold {
  categories: HouseholdCategory[];
  movedIn: number;
  movedOut: number | null;
  visits: GenVisit[];
}
interface GenBuilding {
  households: GenHousehold[];
}
interface GenPatrol {
  start: GenTime;
  durationSec: number | null;
}
interface GenGrid {
  community: number;
  buildings: GenBuilding[];
  patrols: GenPatrol[];
}
interface GenIssue {
  grid: number;
  building: number | null;
  received: GenTime;
  due: GenTime;
  closed: GenTime | null;
  cancelled: GenTime[];
  /** Other status changes, which must not count as cancelling. */
  noise: { at: GenTime; to: 'accepted' | 'in_progress' | 'resolved' }[];
}
interface GenPolicy {
  validFrom: number;
  settings: PolicySettings;
}
interface GenDataset {
  d0: number;
  asOfDeltas: number[];
  communities: number;
  grids: GenGrid[];
  outside: GenBuilding[];
  issues: GenIssue[];
  streetPolicies: GenPolicy[];
  overrides: { community: number; after: number; settings: PolicySettings }[];
  timezone: string;
}

const minuteArb = fc.oneof(fc.constantFrom(0, 1, 479, 960, 1438, 1439), fc.integer({ min: 0, max: 1439 }));
const timeArb = (min: number, max: number) => fc.record({ day: fc.integer({ min, max }), minute: minuteArb });

const intervalsArb: fc.Arbitrary<PolicySettings['intervals']> = fc.oneof(
  fc.constant({ ...DEFAULT_POLICY.intervals }),
  fc.record(
    Object.fromEntries(HOUSEHOLD_CATEGORIES.map((c) => [c, fc.integer({ min: 1, max: 30 })])) as Record<
      HouseholdCategory,
      fc.Arbitrary<number>
    >,
  ),
);

/** Four weights in steps of 0.05 adding up to 1. */
const weightsArb = fc
  .tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }))
  .map(([a, b, c]) => {
    const [x, y, z] = [a, b, c].sort((p, q) => p - q) as [number, number, number];
    return { coverageGap: x / 20, atRiskOverdue: (y - x) / 20, overdueIssues: (z - y) / 20, patrolGap: (20 - z) / 20 };
  });

const settingsArb: fc.Arbitrary<PolicySettings> = fc
  .record({
    intervals: intervalsArb,
    atRisk: fc.subarray([...HOUSEHOLD_CATEGORIES]),
    countedMethods: fc.subarray([...VISIT_METHODS], { minLength: 1 }),
    notHomeCounts: fc.boolean(),
    weights: weightsArb,
    overdueIssuesPer100Cap: fc.oneof(fc.constantFrom(0.5, 2, 12.5, 100), fc.integer({ min: 1, max: 60 })),
    patrolGapDaysCap: fc.integer({ min: 1, max: 20 }),
    patrolMinMinutes: fc.oneof(fc.constantFrom(30, 25, 35), fc.integer({ min: 1, max: 60 })),
  })
  .map((s) =>
    policySettingsSchema.parse({
      intervals: s.intervals,
      atRisk: s.atRisk,
      countedMethods: s.countedMethods,
      notHomeCounts: s.notHomeCounts,
      issueDueDays: { ...DEFAULT_POLICY.issueDueDays },
      attention: { weights: s.weights, overdueIssuesPer100Cap: s.overdueIssuesPer100Cap, patrolGapDaysCap: s.patrolGapDaysCap },
      patrolMinMinutes: s.patrolMinMinutes,
      gridHouseholds: { ...DEFAULT_POLICY.gridHouseholds },
    }),
  );

const visitArb: fc.Arbitrary<GenVisit> = fc.record({
  when: fc.oneof(
    fc.record({ edge: fc.integer({ min: -1, max: 1 }) }),
    fc.record({ offset: fc.oneof(fc.integer({ min: -40, max: 3 }), fc.constantFrom(0, 1, 2)) }),
  ),
  minute: minuteArb,
  method: fc.constantFrom(...VISIT_METHODS),
  result: fc.constantFrom(...VISIT_RESULTS),
  zulu: fc.boolean(),
});

const householdArb: fc.Arbitrary<GenHousehold> = fc
  .record({
    categories: fc.uniqueArray(fc.constantFrom(...HOUSEHOLD_CATEGORIES), { minLength: 1, maxLength: 3 }),
    movedIn: fc.oneof(fc.integer({ min: -60, max: 3 }), fc.constantFrom(-400, 0)),
    movedOut: fc.option(fc.integer({ min: -10, max: 10 }), { freq: 3 }),
    visits: fc.array(visitArb, { maxLength: 6 }),
  })
  .map((h) => ({ ...h, movedOut: h.movedOut === null ? null : Math.max(h.movedOut, h.movedIn) }));

const buildingArb: fc.Arbitrary<GenBuilding> = fc.record({ households: fc.array(householdArb, { maxLength: 8 }) });

const patrolArb: fc.Arbitrary<GenPatrol> = fc.record({
  start: timeArb(-20, 2),
  durationSec: fc.option(fc.oneof(fc.constantFrom(1800, 1799, 1801, 1500, 2100), fc.integer({ min: 1200, max: 2400 })), { freq: 6 }),
});

const issueArb: fc.Arbitrary<GenIssue> = fc.record({
  grid: fc.nat(),
  building: fc.option(fc.nat(), { freq: 2 }),
  received: timeArb(-30, 2),
  due: timeArb(-6, 6),
  closed: fc.option(timeArb(-10, 5), { freq: 2 }),
  cancelled: fc.array(timeArb(-10, 5), { maxLength: 2 }),
  noise: fc.array(
    fc.record({ at: timeArb(-10, 5), to: fc.constantFrom('accepted' as const, 'in_progress' as const, 'resolved' as const) }),
    {
      maxLength: 2,
    },
  ),
});

const datasetArb: fc.Arbitrary<GenDataset> = fc.record({
  // Around 2026, including a leap day and a new year.
  d0: fc.oneof(
    fc.integer({ min: epochDay('2025-10-01'), max: epochDay('2027-03-01') }),
    fc.constantFrom(epochDay('2028-02-29'), epochDay('2027-01-01'), epochDay(DEMO_TODAY)),
  ),
  asOfDeltas: fc.uniqueArray(fc.integer({ min: -15, max: 15 }), { maxLength: 2 }),
  communities: fc.integer({ min: 1, max: 2 }),
  grids: fc.array(
    fc.record({
      community: fc.nat(),
      buildings: fc.array(buildingArb, { maxLength: 6 }),
      patrols: fc.array(patrolArb, { maxLength: 4 }),
    }),
    { minLength: 1, maxLength: 4 },
  ),
  outside: fc.array(buildingArb, { maxLength: 2 }),
  issues: fc.array(issueArb, { maxLength: 8 }),
  streetPolicies: fc.uniqueArray(fc.record({ validFrom: fc.integer({ min: -400, max: 10 }), settings: settingsArb }), {
    minLength: 1,
    maxLength: 2,
    selector: (p) => p.validFrom,
  }),
  overrides: fc.uniqueArray(fc.record({ community: fc.nat(), after: fc.integer({ min: 0, max: 30 }), settings: settingsArb }), {
    maxLength: 2,
    selector: (o) => `${o.community}/${o.after}`,
  }),
  timezone: fc.constantFrom('UTC', 'Asia/Shanghai', 'America/New_York', 'Pacific/Kiritimati'),
});

// =============================================================================================
// From a generated dataset to rows for the database and the reference's input
// =============================================================================================

const STREET_ID = 1;
const STAFF_ID = 1;
const communityId = (k: number) => 5 + k;
const gridId = (k: number) => 11 + 3 * k;

const square = (x: number, y: number, d: number) =>
  `SRID=4326;MULTIPOLYGON(((${x} ${y},${x + d} ${y},${x + d} ${y + d},${x} ${y + d},${x} ${y})))`;
const gridOrigin = (k: number) => ({ x: 115.9 + k * 0.01, y: 28.6 });

const pad2 = (n: number) => String(n).padStart(2, '0');
/** An instant given as a China date + minute of the day, as text with an offset. */
function timestamp(d0: number, t: GenTime, zulu = false): string {
  const day = d0 + t.day;
  if (!zulu) return `${fromEpochDay(day)}T${pad2(Math.floor(t.minute / 60))}:${pad2(t.minute % 60)}:00+08:00`;
  return new Date((day * 1440 + t.minute - 480) * 60_000).toISOString();
}
const instant = (t: GenTime) => t.day * 1440 + t.minute;
const later = (a: GenTime, b: GenTime) => (instant(a) >= instant(b) ? a : b);
const plusMinutes = (t: GenTime, m: number): GenTime => {
  const total = instant(t) + m;
  return { day: Math.floor(total / 1440), minute: total - Math.floor(total / 1440) * 1440 };
};

interface Materialized {
  asOfs: string[];
  timezone: string;
  reference: MetricsDataset;
  /** The grid each building must land in (the trigger decides; we only check). */
  expectedGridOfBuilding: Map<number, number | null>;
  rows: {
    communities: { id: number; wkt: string }[];
    grids: { id: number; communityId: number; wkt: string }[];
    buildings: { id: number; wkt: string }[];
    households: { id: number; buildingId: number; categories: string[]; movedIn: string; movedOut: string | null }[];
    visits: { id: number; householdId: number; visitedAt: string; method: string; result: string }[];
    patrols: { id: number; gridId: number; startedAt: string; endedAt: string | null }[];
    issues: {
      id: number;
      regNo: string;
      gridId: number;
      buildingId: number | null;
      x: number;
      y: number;
      status: string;
      receivedAt: string;
      dueAt: string;
      closedAt: string | null;
    }[];
    events: { id: number; issueId: number; at: string; to: string }[];
    policies: { id: number; communityId: number | null; validFrom: string; settings: PolicySettings }[];
  };
}

function materialize(g: GenDataset): Materialized {
  const d0 = g.d0;
  const asOfs = [...new Set([0, ...g.asOfDeltas])].map((k) => fromEpochDay(d0 + k));
  const communities = Array.from({ length: g.communities }, (_, k) => ({ id: communityId(k), wkt: square(115.8, 28.4, 0.4) }));

  const firstStreet = g.streetPolicies[0]!;
  const policies = [
    ...g.streetPolicies.map((p) => ({ communityId: null, validFrom: fromEpochDay(d0 + p.validFrom), settings: p.settings })),
    ...g.overrides.map((o) => ({
      communityId: communityId(o.community % g.communities),
      validFrom: fromEpochDay(d0 + firstStreet.validFrom + o.after),
      settings: o.settings,
    })),
  ]
    // The table allows one row per (community, valid_from), and the brief 1–3 rows.
    .filter((p, i, all) => all.findIndex((q) => q.communityId === p.communityId && q.validFrom === p.validFrom) === i)
    .slice(0, 3)
    .map((p, i) => ({ id: i + 1, ...p }));

  const grids = g.grids.map((gr, k) => ({
    id: gridId(k),
    communityId: communityId(gr.community % g.communities),
    wkt: square(gridOrigin(k).x, gridOrigin(k).y, 0.01),
  }));

  const buildings: Materialized['rows']['buildings'] = [];
  const households: Materialized['rows']['households'] = [];
  const visits: Materialized['rows']['visits'] = [];
  const expectedGridOfBuilding = new Map<number, number | null>();
  const refBuildings: MetricsDataset['buildings'] = [];
  const refHouseholds: MetricsDataset['households'] = [];
  const refVisits: MetricsDataset['visits'] = [];

  const addBuilding = (b: GenBuilding, wkt: string, grid: { id: number; communityId: number } | null) => {
    const id = 101 + buildings.length;
    buildings.push({ id, wkt });
    expectedGridOfBuilding.set(id, grid?.id ?? null);
    refBuildings.push({ id, gridId: grid?.id ?? null });
    const policy = policyInForce(policies, grid?.communityId ?? null, fromEpochDay(d0));
    for (const h of b.households) {
      const hid = 1001 + households.length;
      const row = {
        id: hid,
        buildingId: id,
        categories: h.categories,
        movedIn: fromEpochDay(d0 + h.movedIn),
        movedOut: h.movedOut === null ? null : fromEpochDay(d0 + h.movedOut),
      };
      households.push(row);
      refHouseholds.push(row);
      const interval = Math.min(...h.categories.map((c) => policy.intervals[c]));
      for (const v of h.visits) {
        const day = 'edge' in v.when ? -interval + v.when.edge : v.when.offset;
        const visitedAt = timestamp(d0, { day, minute: v.minute }, v.zulu);
        visits.push({ id: visits.length + 1, householdId: hid, visitedAt, method: v.method, result: v.result });
        refVisits.push({ householdId: hid, visitedAt, method: v.method, result: v.result });
      }
    }
  };
  g.grids.forEach((gr, k) => {
    const o = gridOrigin(k);
    gr.buildings.forEach((b, j) =>
      addBuilding(b, square(o.x + 0.001 + (j % 3) * 0.003, o.y + 0.002 + Math.floor(j / 3) * 0.004, 0.001), grids[k]!),
    );
  });
  // South of every grid: the trigger finds none, grid_id stays null.
  g.outside.forEach((b, j) => addBuilding(b, square(115.9 + j * 0.003, 28.55, 0.001), null));

  const patrols = g.grids
    .flatMap((gr, k) =>
      gr.patrols.map((p) => ({
        gridId: gridId(k),
        startedAt: timestamp(d0, p.start),
        endedAt: p.durationSec === null ? null : new Date(Date.parse(timestamp(d0, p.start)) + p.durationSec * 1000).toISOString(),
      })),
    )
    .map((p, i) => ({ id: i + 1, ...p }));

  const issues: Materialized['rows']['issues'] = [];
  const events: Materialized['rows']['events'] = [];
  const refIssues: MetricsDataset['issues'] = [];
  g.issues.forEach((gi, i) => {
    const id = i + 1;
    const k = gi.grid % grids.length;
    const grid = grids[k]!;
    const buildingId = gi.building === null || buildings.length === 0 ? null : buildings[gi.building % buildings.length]!.id;
    const received = gi.received;
    const due = later(gi.due, plusMinutes(received, 1)); // due_at > received_at
    const closed = gi.closed === null ? null : later(gi.closed, received);
    const cancelled = gi.cancelled.map((c) => later(c, received));
    const status = closed ? 'closed' : cancelled.length > 0 ? 'cancelled' : 'registered';
    const receivedAt = timestamp(d0, received);
    issues.push({
      id,
      regNo: `202601${String(id).padStart(3, '0')}`,
      gridId: grid.id,
      buildingId,
      x: gridOrigin(k).x + 0.005,
      y: gridOrigin(k).y + 0.005,
      status,
      receivedAt,
      dueAt: timestamp(d0, due),
      closedAt: closed === null ? null : timestamp(d0, closed),
    });
    for (const c of cancelled) events.push({ id: events.length + 1, issueId: id, at: timestamp(d0, c, true), to: 'cancelled' });
    for (const n of gi.noise) events.push({ id: events.length + 1, issueId: id, at: timestamp(d0, later(n.at, received)), to: n.to });
    const firstCancel = cancelled.length === 0 ? null : cancelled.reduce((a, b) => (instant(b) < instant(a) ? b : a));
    refIssues.push({
      gridId: grid.id,
      buildingId,
      receivedAt,
      dueAt: timestamp(d0, due),
      closedAt: closed === null ? null : timestamp(d0, closed),
      cancelledAt: firstCancel === null ? null : timestamp(d0, firstCancel),
    });
  });

  return {
    asOfs,
    timezone: g.timezone,
    expectedGridOfBuilding,
    reference: {
      grids: grids.map((gr) => ({ id: gr.id, communityId: gr.communityId })),
      buildings: refBuildings,
      households: refHouseholds,
      visits: refVisits,
      patrols: patrols.map(({ gridId, startedAt, endedAt }) => ({ gridId, startedAt, endedAt })),
      issues: refIssues,
      policies: policies.map(({ communityId, validFrom, settings }) => ({ communityId, validFrom, settings })),
    },
    rows: { communities, grids, buildings, households, visits, patrols, issues, events, policies },
  };
}

async function insertRows(tx: Queryable, rows: readonly object[], sql: string): Promise<void> {
  if (rows.length > 0) await tx.query(sql, [JSON.stringify(rows)]);
}

/** Inserts a materialized dataset as the owner role, with explicit ids. */
async function insertDataset(tx: Queryable, m: Materialized): Promise<void> {
  const r = m.rows;
  await tx.query(`select set_config('timezone', $1, true)`, [m.timezone]);
  await tx.query(`insert into public.streets (id, code, name, boundary) values ($1, 'prop', 'prop', ST_GeomFromEWKT($2))`, [
    STREET_ID,
    square(115.8, 28.4, 0.4),
  ]);
  await tx.query(`insert into public.staff (id, street_id, name, role) values ($1, $2, 'prop', 'street_leader')`, [STAFF_ID, STREET_ID]);
  await insertRows(
    tx,
    r.communities,
    `insert into public.communities (id, street_id, code, name, boundary)
     select id, ${STREET_ID}, 'c' || id, 'c' || id, ST_GeomFromEWKT(wkt) from jsonb_to_recordset($1::jsonb) as r(id int, wkt text)`,
  );
  await insertRows(
    tx,
    r.grids,
    `insert into public.grids (id, community_id, code, name, boundary)
     select id, "communityId", 'g' || id, 'g' || id, ST_GeomFromEWKT(wkt)
     from jsonb_to_recordset($1::jsonb) as r(id int, "communityId" int, wkt text)`,
  );
  await insertRows(
    tx,
    r.buildings,
    `insert into public.buildings (id, address, footprint)
     select id, 'b' || id, ST_GeomFromEWKT(wkt) from jsonb_to_recordset($1::jsonb) as r(id int, wkt text)`,
  );
  await insertRows(
    tx,
    r.households,
    `insert into public.households (id, building_id, room, head_name, categories, moved_in, moved_out)
     select id, "buildingId", '101', 'h' || id, array(select jsonb_array_elements_text(categories))::public.household_category[],
            "movedIn", "movedOut"
     from jsonb_to_recordset($1::jsonb) as r(id int, "buildingId" int, categories jsonb, "movedIn" date, "movedOut" date)`,
  );
  await insertRows(
    tx,
    r.policies,
    `insert into public.visit_policies (id, street_id, community_id, valid_from, settings)
     select id, ${STREET_ID}, "communityId", "validFrom", settings
     from jsonb_to_recordset($1::jsonb) as r(id int, "communityId" int, "validFrom" date, settings jsonb)`,
  );
  await insertRows(
    tx,
    r.visits,
    `insert into public.visits (id, household_id, visitor_id, visited_at, method, result)
     select id, "householdId", ${STAFF_ID}, "visitedAt", method::public.visit_method, result::public.visit_result
     from jsonb_to_recordset($1::jsonb) as r(id int, "householdId" int, "visitedAt" timestamptz, method text, result text)`,
  );
  await insertRows(
    tx,
    r.patrols,
    `insert into public.patrols (id, grid_id, staff_id, started_at, ended_at)
     select id, "gridId", ${STAFF_ID}, "startedAt", "endedAt"
     from jsonb_to_recordset($1::jsonb) as r(id int, "gridId" int, "startedAt" timestamptz, "endedAt" timestamptz)`,
  );
  await insertRows(
    tx,
    r.issues,
    `insert into public.issues (id, reg_no, category, description, location, grid_id, building_id, complexity, tier, status,
       received_at, due_at, closed_at)
     select id, "regNo", 'other', 'prop', ST_SetSRID(ST_MakePoint(x, y), 4326), "gridId", "buildingId", 'ordinary', 'on_spot',
            status::public.issue_status, "receivedAt", "dueAt", "closedAt"
     from jsonb_to_recordset($1::jsonb) as r(id int, "regNo" text, "gridId" int, "buildingId" int, x float8, y float8,
          status text, "receivedAt" timestamptz, "dueAt" timestamptz, "closedAt" timestamptz)`,
  );
  await insertRows(
    tx,
    r.events,
    `insert into public.issue_events (id, issue_id, at, actor_id, to_status)
     select id, "issueId", at, ${STAFF_ID}, "to"::public.issue_status
     from jsonb_to_recordset($1::jsonb) as r(id int, "issueId" int, at timestamptz, "to" text)`,
  );
}

// =============================================================================================
// Comparing the SQL's rows with the reference's
// =============================================================================================

interface SqlStatsRow {
  grid_id: number | null;
  building_id?: number;
  households: number;
  covered_households: number;
  coverage: number | null;
  overdue_households: number;
  at_risk_households: number;
  at_risk_overdue: number;
  open_issues: number;
  overdue_issues: number;
  days_since_last_visit: number | null;
  days_since_last_patrol: number | null;
  attention: number;
  attention_breakdown: Record<string, unknown>;
}

const SQL_COLUMNS: [keyof AreaStats, keyof SqlStatsRow][] = [
  ['households', 'households'],
  ['coveredHouseholds', 'covered_households'],
  ['coverage', 'coverage'],
  ['overdueHouseholds', 'overdue_households'],
  ['atRiskHouseholds', 'at_risk_households'],
  ['atRiskOverdue', 'at_risk_overdue'],
  ['openIssues', 'open_issues'],
  ['overdueIssues', 'overdue_issues'],
  ['daysSinceLastVisit', 'days_since_last_visit'],
  ['daysSinceLastPatrol', 'days_since_last_patrol'],
  ['attention', 'attention'],
];
const BREAKDOWN_KEYS = ['coverageGap', 'atRiskOverdue', 'overdueIssues', 'patrolGap'] as const;

/** Same as toBeCloseTo(expected, 6) for numbers; exact for null and integers. */
function same(sql: unknown, ref: number | null, digits = 6): boolean {
  if (ref === null || sql === null || sql === undefined) return sql === ref;
  return typeof sql === 'number' && Math.abs(sql - ref) < 10 ** -digits / 2;
}

/**
 * Differences between one SQL row and the reference's stats, as readable lines. Attention
 * differences carry the reference's unrounded points, to tell a rounding-boundary case apart.
 */
function differences(label: string, sql: SqlStatsRow | undefined, ref: AreaStats, policy: PolicySettings): string[] {
  if (!sql) return [`${label}: missing from the SQL result`];
  const out: string[] = [];
  const unrounded = () => {
    const p = attentionPoints(ref, policy.attention);
    const atHalf = [p.total, ...BREAKDOWN_KEYS.map((k) => p[k])].some((x) => Math.abs(((x * 10) % 1) - 0.5) < 1e-6);
    return (
      ` (reference unrounded: total ${p.total}, ${BREAKDOWN_KEYS.map((k) => `${k} ${p[k]}`).join(', ')}` +
      `${atHalf ? '; an exact half: the rounding of a float a hair off x.x5' : ''})`
    );
  };
  for (const [field, column] of SQL_COLUMNS) {
    const ok = field === 'attention' ? same(sql[column], ref.attention, 6) : same(sql[column], ref[field] as number | null);
    if (!ok)
      out.push(
        `${label} ${field}: sql ${JSON.stringify(sql[column])} ≠ reference ${JSON.stringify(ref[field])}${field === 'attention' ? unrounded() : ''}`,
      );
  }
  const breakdown = sql.attention_breakdown ?? {};
  const extra = Object.keys(breakdown).filter((k) => !(BREAKDOWN_KEYS as readonly string[]).includes(k));
  if (extra.length > 0) out.push(`${label} attentionBreakdown: unexpected keys ${extra.join(', ')}`);
  for (const k of BREAKDOWN_KEYS) {
    if (!same(breakdown[k], ref.attentionBreakdown[k])) {
      out.push(
        `${label} attentionBreakdown.${k}: sql ${JSON.stringify(breakdown[k])} ≠ reference ${ref.attentionBreakdown[k]}${unrounded()}`,
      );
    }
  }
  return out;
}

/** known: grid_stats(asOf)'s rows and the reference's figures, when the caller has them already. */
async function compareAt(
  tx: Queryable,
  data: MetricsDataset,
  asOf: string,
  known: { gridRows?: SqlStatsRow[]; ref?: ReturnType<typeof computeStats> } = {},
): Promise<string[]> {
  const ref = known.ref ?? computeStats(data, asOf);
  const gridRows = known.gridRows ?? (await tx.query<SqlStatsRow>('select * from public.grid_stats($1::date)', [asOf]));
  const buildingRows = await tx.query<SqlStatsRow>('select * from public.building_stats($1::date)', [asOf]);
  const out: string[] = [];
  const communityOf = new Map(data.grids.map((g) => [g.id, g.communityId]));
  const policyOfGrid = (gridId: number | null) =>
    policyInForce(data.policies, gridId === null ? null : (communityOf.get(gridId) ?? null), asOf);

  const gridIds = gridRows.map((r) => r.grid_id);
  if (JSON.stringify(gridIds) !== JSON.stringify(ref.grids.map((g) => g.id))) {
    out.push(
      `${asOf} grid ids: sql ${JSON.stringify(gridIds)} ≠ reference ${JSON.stringify(ref.grids.map((g) => g.id))} (one row per grid, by id)`,
    );
  }
  const buildingIds = buildingRows.map((r) => r.building_id);
  if (JSON.stringify(buildingIds) !== JSON.stringify(ref.buildings.map((b) => b.id))) {
    out.push(`${asOf} building ids: sql ${JSON.stringify(buildingIds)} ≠ reference ${JSON.stringify(ref.buildings.map((b) => b.id))}`);
  }
  const gridById = new Map(gridRows.map((r) => [r.grid_id, r]));
  for (const g of ref.grids) out.push(...differences(`${asOf} grid ${g.id}`, gridById.get(g.id), g, policyOfGrid(g.id)));
  const buildingById = new Map(buildingRows.map((r) => [r.building_id, r]));
  for (const b of ref.buildings) {
    const row = buildingById.get(b.id);
    if (row && row.grid_id !== b.gridId) out.push(`${asOf} building ${b.id} gridId: sql ${row.grid_id} ≠ reference ${b.gridId}`);
    out.push(...differences(`${asOf} building ${b.id}`, row, b, policyOfGrid(b.gridId)));
  }
  return out;
}

// =============================================================================================
// The property, on an empty migrated database of each kind
// =============================================================================================

describeEachMigratedDatabase('metrics: SQL = reference on random streets', (_mode, database) => {
  let db: Database;
  beforeAll(() => {
    db = database();
  });

  it(`agrees on every field of every grid and building (${NUM_RUNS} random streets)`, async () => {
    await fc.assert(
      fc.asyncProperty(datasetArb, async (g) => {
        const m = materialize(g);
        const problems = await inRolledBackTransaction(db, async (tx) => {
          await insertDataset(tx, m);
          const assigned = await tx.query<{ id: number; grid_id: number | null }>('select id, grid_id from public.buildings order by id');
          const misplaced = assigned.filter((b) => b.grid_id !== m.expectedGridOfBuilding.get(b.id));
          if (misplaced.length > 0) return [`test setup: buildings landed in unexpected grids: ${JSON.stringify(misplaced)}`];
          const out: string[] = [];
          for (const asOf of m.asOfs) out.push(...(await compareAt(tx, m.reference, asOf)));
          return out;
        });
        expect(problems, `timezone ${m.timezone}, as of ${m.asOfs.join(', ')}`).toEqual([]);
      }),
      // A run cut short by the time limit fails rather than passing on fewer streets.
      { numRuns: NUM_RUNS, interruptAfterTimeLimit: 240_000, markInterruptAsFailure: true, ...FC_REPLAY },
    );
  }, 300_000);

  it('leaves the database empty afterwards (every run was rolled back)', async () => {
    const [row] = await db.query<{ n: number }>(
      `select (select count(*) from public.streets) + (select count(*) from public.households) + (select count(*) from public.visits) as n`,
    );
    expect(row?.n).toBe(0);
  });
});

// =============================================================================================
// The seeded demo street: the story it must tell, and the reference's agreement on real volume
// =============================================================================================

/** Everything the reference needs, read back from a database as the owner. */
async function readDataset(db: Queryable): Promise<MetricsDataset> {
  const iso = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
  return {
    grids: await db.query('select id, community_id as "communityId" from public.grids order by id'),
    buildings: await db.query('select id, grid_id as "gridId" from public.buildings order by id'),
    households: await db.query(
      `select id, building_id as "buildingId", categories::text[] as categories, moved_in as "movedIn", moved_out as "movedOut"
       from public.households order by id`,
    ),
    // In id order everywhere: the same rows read from either database give the same dataset.
    visits: await db.query(
      `select household_id as "householdId", ${iso('visited_at')} as "visitedAt", method::text as method, result::text as result from public.visits order by id`,
    ),
    patrols: await db.query(
      `select grid_id as "gridId", ${iso('started_at')} as "startedAt",
              case when ended_at is null then null else ${iso('ended_at')} end as "endedAt" from public.patrols order by id`,
    ),
    issues: await db.query(
      `select i.grid_id as "gridId", i.building_id as "buildingId", ${iso('i.received_at')} as "receivedAt", ${iso('i.due_at')} as "dueAt",
              case when i.closed_at is null then null else ${iso('i.closed_at')} end as "closedAt",
              (select ${iso('min(e.at)')} from public.issue_events e where e.issue_id = i.id and e.to_status = 'cancelled') as "cancelledAt"
       from public.issues i order by i.id`,
    ),
    policies: await db.query(
      `select community_id as "communityId", valid_from as "validFrom", settings from public.visit_policies order by id`,
    ),
  };
}

const YEAR_AGO = '2025-11-30';

/**
 * The reference's figures for a dataset at a date, computed once per file: both databases hold the
 * same seeded street, and the reference reads only the dataset (~6 s a date on a busy machine).
 * Keyed by the dataset's contents, so a database that held anything else gets its own.
 */
const demoReferences = new Map<string, ReturnType<typeof computeStats>>();
function demoReference(data: MetricsDataset, asOf: string): ReturnType<typeof computeStats> {
  const key = `${asOf} ${createHash('sha256').update(JSON.stringify(data)).digest('hex')}`;
  if (!demoReferences.has(key)) demoReferences.set(key, computeStats(data, asOf));
  return demoReferences.get(key)!;
}

describeEachDatabase('metrics on the demo street', (_mode, db) => {
  // Nothing here writes: grid_stats of a date is computed once and read by every test.
  const computed = new Map<string, Promise<SqlStatsRow[]>>();
  const gridStats = (asOf: string) => {
    if (!computed.has(asOf)) computed.set(asOf, db().query<SqlStatsRow>('select * from public.grid_stats($1::date)', [asOf]));
    return computed.get(asOf)!;
  };

  it('has coverage × households = covered households in every grid, today and a year ago', async () => {
    for (const asOf of [DEMO_TODAY, YEAR_AGO]) {
      const rows = await gridStats(asOf);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        if (r.households === 0) expect(r.coverage).toBeNull();
        else expect(Math.abs(r.coverage! * r.households - r.covered_households), `${asOf} grid ${r.grid_id}`).toBeLessThan(1e-9);
      }
    }
  });

  it('shows a few neglected grids among many well-kept ones, and a different picture a year ago', async () => {
    const low = (rows: Awaited<ReturnType<typeof gridStats>>) =>
      rows
        .filter((r) => r.coverage !== null && r.coverage < 0.7)
        .map((r) => r.grid_id!)
        .sort((a, b) => a - b);
    const today = await gridStats(DEMO_TODAY);
    const before = await gridStats(YEAR_AGO);
    const summary = (rows: typeof today) => rows.map((r) => `${r.grid_id}:${r.coverage?.toFixed(3)}`).join(' ');
    expect(low(today).length, summary(today)).toBeGreaterThanOrEqual(2);
    expect(today.filter((r) => r.coverage !== null && r.coverage >= 0.9).length, summary(today)).toBeGreaterThanOrEqual(10);
    expect(low(today), `today ${summary(today)}\na year ago ${summary(before)}`).not.toEqual(low(before));
  });

  it('gives the same numbers as the reference for every grid and building', async () => {
    const data = await readDataset(db());
    const problems: string[] = [];
    for (const asOf of [DEMO_TODAY, YEAR_AGO]) {
      problems.push(...(await compareAt(db(), data, asOf, { gridRows: await gridStats(asOf), ref: demoReference(data, asOf) })));
    }
    expect(problems.slice(0, 30), `${problems.length} differences`).toEqual([]);
  });
});
