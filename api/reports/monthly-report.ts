/**
 * The month report of the 民情分析会 (docs/metrics.md "Month report"): every figure as of the
 * month's last day, its change from the previous month, the grid ranking, issues by category and
 * tier, the hard cases, last month's decisions and a 12-month trend. Built inside the caller's
 * transaction, so row-level security scopes it; the aggregate functions return counts only, so
 * the presenter gets all of it and no personal field exists to leak.
 */
import { ISSUE_CATEGORIES, ISSUE_TIERS, type IssueCategory, type IssueTier } from '../../geo/domain/issue';
import { monthBounds } from '../../geo/domain/period.validation';
import type { GridStats as GridFigures } from '../../geo/metrics/coverage.reference';
import { type BandOrNone, bandOf, type LegendMetric, legend, METRICS, type MetricId, type Thresholds } from '../../geo/metrics/legend';
import { KPIS, type KpiId, type KpiValues } from '../../geo/report/kpis';
import type { Queryable } from '../db/database';
import { bandThresholds } from '../lib/band-thresholds';
import { isClosedMonthEnd, snapshotMonth } from './month-snapshots';

/** A matter open this many days or more is a long-open case on the report. */
export const LONG_OPEN_DAYS = 30;
/** Months in the trend, the report's own included. */
export const TREND_MONTHS = 12;

const GRID_COLUMNS = `grid_id as id, households, covered_households as "coveredHouseholds", coverage,
  overdue_households as "overdueHouseholds", at_risk_households as "atRiskHouseholds",
  at_risk_overdue as "atRiskOverdue", open_issues as "openIssues", overdue_issues as "overdueIssues",
  days_since_last_visit as "daysSinceLastVisit", days_since_last_patrol as "daysSinceLastPatrol",
  attention, attention_breakdown as "attentionBreakdown"`;

/**
 * THE one place the report reads grid figures for a date: the same function, columns and bands
 * as GET /api/stats/grids, so the report equals the map for the month's last day.
 */
export async function gridFiguresAt(tx: Queryable, asOf: string): Promise<Array<GridFigures & { bands: Record<MetricId, BandOrNone> }>> {
  const rows = await tx.query<GridFigures>(`select ${GRID_COLUMNS} from public.grid_stats($1::date)`, [asOf]);
  const thresholds: Thresholds = await bandThresholds(tx, asOf);
  return rows.map((r) => ({
    ...r,
    bands: Object.fromEntries(METRICS.map((m) => [m, bandOf(m, r[m], thresholds)])) as Record<MetricId, BandOrNone>,
  }));
}

export interface ReportGrid extends GridFigures {
  bands: Record<MetricId, BandOrNone>;
  code: string;
  name: string;
  communityId: number;
  /** 1 = most in need of attention. */
  rank: number;
  visits: { due: number; done: number; onTime: number };
  issues: { registered: number; closed: number; closedOnTime: number; rated: number; satisfied: number };
  patrol: { daysMet: number; daysJudged: number };
  /** The same grid at the previous month's end (the split view). */
  previous: { coverage: number | null; coverageBand: BandOrNone; attention: number | null };
}

/**
 * A grid as it was at the previous month's end. A boundary change in the month leaves that map
 * with other grids than this month's: a split's new grid did not exist yet, a merged one still did.
 */
export interface PreviousGrid {
  id: number;
  code: string;
  name: string;
  coverage: number | null;
  coverageBand: BandOrNone;
}

export interface ReportCase {
  regNo: string;
  gridId: number;
  gridName: string;
  category: IssueCategory;
  tier: IssueTier;
  receivedOn: string;
  dueOn: string;
  daysOpen: number;
  overdue: boolean;
}

export interface ReportAction {
  id: number;
  meetingId: number;
  meetingHeldOn: string;
  gridId: number;
  gridName: string;
  decision: string;
  ownerId: number;
  ownerName: string | null;
  dueOn: string;
  done: boolean;
  doneOn: string | null;
}

export interface MonthlyReport {
  month: string;
  /** The month's last day, or today for the running month. */
  asOf: string;
  complete: boolean;
  previousMonth: string;
  previousAsOf: string;
  generatedAt: string;
  scope: { streetId: number; streetName: string; communityId: number | null; communityName: string | null };
  kpis: Record<KpiId, { value: number | null; previous: number | null; change: number | null }>;
  /** The coverage legend in force at asOf (GET /api/legend's), for the map slides and the PDF. */
  coverageLegend: LegendMetric;
  /** Every grid of the scope, most in need of attention first. */
  grids: ReportGrid[];
  /** Every grid of the scope at previousAsOf (those `grid_stats` listed then), by id: the last-month map. */
  previousGrids: PreviousGrid[];
  /** The scope's totals of the grid figures (sums; coverage from the summed counts). */
  totals: {
    households: number;
    coveredHouseholds: number;
    overdueHouseholds: number;
    atRiskHouseholds: number;
    atRiskOverdue: number;
    openIssues: number;
    overdueIssues: number;
  };
  issues: {
    byCategory: Array<{ category: IssueCategory; registered: number }>;
    byTier: Array<{ tier: IssueTier; registered: number }>;
    escalated: ReportCase[];
    longOpen: ReportCase[];
  };
  /** Decisions of the meetings that reviewed the previous month, and whether each was done. */
  previousActions: ReportAction[];
  /** Decisions of the meetings that reviewed this month (the slides' closing action list). */
  actions: ReportAction[];
  trend: Array<{ month: string; asOf: string } & KpiValues>;
}

/** The month before `month` (YYYY-MM). */
export function previousMonthOf(month: string, back = 1): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 - back, 1));
  return d.toISOString().slice(0, 7);
}

const share = (num: number, den: number) => (den > 0 ? num / den : null);

interface GridMonth {
  asOf: string;
  grids: Map<number, GridFigures & { bands: Record<MetricId, BandOrNone> }>;
  visits: Map<number, { due: number; done: number; onTime: number }>;
  issues: Map<number, { registered: number; closed: number; closedOnTime: number; rated: number; satisfied: number }>;
  patrol: Map<number, { daysMet: number; daysJudged: number }>;
}
interface MonthFigures extends GridMonth {
  kpis: KpiValues;
}

/**
 * Per-grid figures of a month: a closed month's from its month-end snapshot (stored by the
 * database at the first read, deleted by any change dated on or before its end, so never
 * stale), the running month's computed now.
 */
async function gridMonth(tx: Queryable, month: string, today: string): Promise<GridMonth> {
  const { from, to } = monthBounds(month);
  const asOf = to < today ? to : today;
  const thresholds: Thresholds = await bandThresholds(tx, asOf);
  const withBands = <T extends GridFigures>(r: T) => ({
    ...r,
    bands: Object.fromEntries(METRICS.map((m) => [m, bandOf(m, r[m], thresholds)])) as Record<MetricId, BandOrNone>,
  });
  if (isClosedMonthEnd(to, today)) {
    const rows = await snapshotMonth(tx, to);
    return {
      asOf,
      grids: new Map(rows.filter((r) => r.listed).map(({ listed: _l, visits: _v, issues: _i, patrol: _p, ...g }) => [g.id, withBands(g)])),
      visits: new Map(rows.map((r) => [r.id, r.visits])),
      issues: new Map(rows.map((r) => [r.id, r.issues])),
      patrol: new Map(rows.map((r) => [r.id, r.patrol])),
    };
  }
  const byGrid = <T extends { gridId: number }>(rows: T[]) => new Map(rows.map((r) => [r.gridId, r]));
  return {
    asOf,
    grids: new Map((await gridFiguresAt(tx, asOf)).map((g) => [g.id, g])),
    visits: byGrid(
      await tx.query<{ gridId: number; due: number; done: number; onTime: number }>(
        `select grid_id as "gridId", due, done, on_time as "onTime" from public.report_visit_timeliness($1::date, $2::date)`,
        [from, asOf],
      ),
    ),
    issues: byGrid(
      await tx.query<{ gridId: number; registered: number; closed: number; closedOnTime: number; rated: number; satisfied: number }>(
        `select grid_id as "gridId", registered, closed, closed_on_time as "closedOnTime", rated, satisfied
         from public.issue_indicators($1::date, $2::date)`,
        [from, asOf],
      ),
    ),
    patrol: byGrid(
      await tx.query<{ gridId: number; daysMet: number; daysJudged: number }>(
        `select grid_id as "gridId", days_met as "daysMet", days_judged as "daysJudged" from public.report_patrol_days($1::date, $2::date, $3::date)`,
        [from, to, asOf],
      ),
    ),
  };
}

async function monthFigures(tx: Queryable, month: string, today: string, gridIds: Set<number>): Promise<MonthFigures> {
  const all = await gridMonth(tx, month, today);
  const only = <T>(m: Map<number, T>) => new Map([...m].filter(([id]) => gridIds.has(id)));
  const grids = only(all.grids);
  const visits = only(all.visits);
  const issues = only(all.issues);
  const patrol = only(all.patrol);
  const asOf = all.asOf;
  const sum = <T>(m: Map<number, T>, f: (v: T) => number) => [...m.values()].reduce((s, v) => s + f(v), 0);
  const households = sum(grids, (g) => g.households);
  const due = sum(visits, (v) => v.due);
  const registered = sum(issues, (i) => i.registered);
  const closed = sum(issues, (i) => i.closed);
  const kpis: KpiValues = {
    coverage: share(
      sum(grids, (g) => g.coveredHouseholds),
      households,
    ),
    overdueHouseholds: sum(grids, (g) => g.overdueHouseholds),
    atRiskOverdue: sum(grids, (g) => g.atRiskOverdue),
    visitsDue: due,
    visitsDone: sum(visits, (v) => v.done),
    onTimeVisitRate: share(
      sum(visits, (v) => v.onTime),
      due,
    ),
    issuesRegistered: registered,
    issuesClosed: closed,
    overdueIssues: sum(grids, (g) => g.overdueIssues),
    closureRate: share(closed, registered),
    onTimeClosureRate: share(
      sum(issues, (i) => i.closedOnTime),
      closed,
    ),
    satisfactionRate: share(
      sum(issues, (i) => i.satisfied),
      sum(issues, (i) => i.rated),
    ),
    patrolCompliance: share(
      sum(patrol, (p) => p.daysMet),
      sum(patrol, (p) => p.daysJudged),
    ),
  };
  return { asOf, grids, visits, issues, patrol, kpis };
}

export interface ReportRequest {
  month: string;
  communityId: number | null;
  today: string;
  now?: Date;
  /** Months in the trend (TREND_MONTHS); exports that do not draw it may ask for fewer. */
  trendMonths?: number;
}

/** Builds the report in the caller's transaction; null when the community is not in the caller's street. */
export async function buildMonthlyReport(tx: Queryable, req: ReportRequest): Promise<MonthlyReport | null> {
  const [street] = await tx.query<{ id: number; name: string }>(
    'select s.id, s.name from public.streets s where s.id = minqing.my_street_id()',
  );
  if (!street) return null;
  let community: { id: number; name: string } | undefined;
  if (req.communityId !== null) {
    [community] = await tx.query<{ id: number; name: string }>('select id, name from public.communities where id = $1 and street_id = $2', [
      req.communityId,
      street.id,
    ]);
    if (!community) return null;
  }
  const gridRows = await tx.query<{ id: number; code: string; name: string; communityId: number }>(
    `select g.id, g.code, g.name, g.community_id as "communityId" from public.grids g
     join public.communities c on c.id = g.community_id
     where c.street_id = $1 and ($2::int is null or g.community_id = $2) order by g.id`,
    [street.id, community?.id ?? null],
  );
  const gridIds = new Set(gridRows.map((g) => g.id));
  const scope = { gridIds };

  // Grids are named as they were at the report's date: a code or name changed since (a new grid
  // version, 20261129000100_grid_codes.sql) leaves a past month's report as it was printed.
  const labelsAt = async (asOf: string) => {
    const rows = await tx.query<{ id: number; code: string; name: string }>(
      'select v.grid_id as id, v.code, v.name from public.grid_versions_at($1::date) v where v.grid_id = any ($2::int[])',
      [asOf, [...gridIds]],
    );
    const thenById = new Map(rows.map((l) => [l.id, l]));
    return new Map(gridRows.map((g) => [g.id, { ...g, ...thenById.get(g.id) }]));
  };
  const current = await monthFigures(tx, req.month, req.today, gridIds);
  const gridInfo = await labelsAt(current.asOf);
  const previousMonth = previousMonthOf(req.month);
  const previous = await monthFigures(tx, previousMonth, req.today, gridIds);
  const previousInfo = await labelsAt(previous.asOf);
  const previousGrids: PreviousGrid[] = [...previous.grids.values()]
    .sort((a, b) => a.id - b.id)
    .map((g) => ({
      id: g.id,
      code: previousInfo.get(g.id)!.code,
      name: previousInfo.get(g.id)!.name,
      coverage: g.coverage,
      coverageBand: g.bands.coverage,
    }));

  const zeroIssues = { registered: 0, closed: 0, closedOnTime: 0, rated: 0, satisfied: 0 };
  const grids: ReportGrid[] = [...current.grids.values()]
    .sort((a, b) => b.attention - a.attention || (a.coverage ?? 1) - (b.coverage ?? 1) || a.id - b.id)
    .map((g, i) => {
      const info = gridInfo.get(g.id)!;
      return {
        ...g,
        code: info.code,
        name: info.name,
        communityId: info.communityId,
        rank: i + 1,
        visits: current.visits.get(g.id) ?? { due: 0, done: 0, onTime: 0 },
        issues: current.issues.get(g.id) ?? zeroIssues,
        patrol: current.patrol.get(g.id) ?? { daysMet: 0, daysJudged: 0 },
        previous: {
          coverage: previous.grids.get(g.id)?.coverage ?? null,
          coverageBand: previous.grids.get(g.id)?.bands.coverage ?? 'none',
          attention: previous.grids.get(g.id)?.attention ?? null,
        },
      };
    });
  const total = (f: (g: ReportGrid) => number) => grids.reduce((s, g) => s + f(g), 0);

  const kpis = Object.fromEntries(
    KPIS.map((k) => {
      const value = current.kpis[k];
      const prev = previous.kpis[k];
      return [k, { value, previous: prev, change: value !== null && prev !== null ? value - prev : null }];
    }),
  ) as MonthlyReport['kpis'];

  const { from, to } = monthBounds(req.month);
  const counts = (
    await tx.query<{ gridId: number; category: IssueCategory; tier: IssueTier; registered: number }>(
      `select grid_id as "gridId", category::text as category, tier::text as tier, registered
       from public.report_issue_counts($1::date, $2::date)`,
      [from, current.asOf],
    )
  ).filter((r) => scope.gridIds.has(r.gridId));
  const byCategory = ISSUE_CATEGORIES.map((category) => ({
    category,
    registered: counts.filter((r) => r.category === category).reduce((s, r) => s + r.registered, 0),
  }));
  const byTier = ISSUE_TIERS.map((tier) => ({
    tier,
    registered: counts.filter((r) => r.tier === tier).reduce((s, r) => s + r.registered, 0),
  }));
  const cases = (
    await tx.query<Omit<ReportCase, 'gridName'>>(
      `select reg_no as "regNo", grid_id as "gridId", category::text as category, tier::text as tier,
         received_on::text as "receivedOn", due_on::text as "dueOn", days_open as "daysOpen", overdue
       from public.report_issue_cases($1::date, $2)`,
      [current.asOf, LONG_OPEN_DAYS],
    )
  )
    .filter((c) => scope.gridIds.has(c.gridId))
    .map((c) => ({ ...c, gridName: gridInfo.get(c.gridId)!.name }));

  const actionsOf = async (month: string) =>
    (
      await tx.query<Omit<ReportAction, 'gridName'>>(
        `select a.id, a.meeting_id as "meetingId", m.held_on::text as "meetingHeldOn", a.grid_id as "gridId", a.decision,
           a.owner_id as "ownerId", public.staff_display_name(a.owner_id) as "ownerName", a.due_on::text as "dueOn",
           a.done, a.done_on::text as "doneOn"
         from public.meeting_actions a join public.meetings m on m.id = a.meeting_id
         where m.month = $1 and ($2::int is null or m.community_id = $2)
         order by m.held_on, a.id`,
        [month, community?.id ?? null],
      )
    )
      .filter((a) => gridIds.has(a.gridId))
      .map((a) => ({ ...a, gridName: gridInfo.get(a.gridId)!.name }));
  const previousActions = await actionsOf(previousMonth);
  const actions = await actionsOf(req.month);

  // The trend reuses the two months already computed; each earlier month costs one pass.
  const trendMonths = req.trendMonths ?? TREND_MONTHS;
  const trend: MonthlyReport['trend'] = [];
  for (let back = trendMonths - 1; back >= 0; back--) {
    const m = previousMonthOf(req.month, back);
    const figures = back === 0 ? current : back === 1 ? previous : await monthFigures(tx, m, req.today, gridIds);
    trend.push({ month: m, asOf: figures.asOf, ...figures.kpis });
  }

  return {
    month: req.month,
    asOf: current.asOf,
    complete: to < req.today,
    previousMonth,
    previousAsOf: previous.asOf,
    generatedAt: (req.now ?? new Date()).toISOString(),
    scope: { streetId: street.id, streetName: street.name, communityId: community?.id ?? null, communityName: community?.name ?? null },
    kpis,
    coverageLegend: legend(await bandThresholds(tx, current.asOf)).find((m) => m.id === 'coverage')!,
    grids,
    previousGrids,
    totals: {
      households: total((g) => g.households),
      coveredHouseholds: total((g) => g.coveredHouseholds),
      overdueHouseholds: total((g) => g.overdueHouseholds),
      atRiskHouseholds: total((g) => g.atRiskHouseholds),
      atRiskOverdue: total((g) => g.atRiskOverdue),
      openIssues: total((g) => g.openIssues),
      overdueIssues: total((g) => g.overdueIssues),
    },
    issues: {
      byCategory,
      byTier,
      escalated: cases.filter((c) => c.tier === 'escalated'),
      longOpen: cases.filter((c) => c.tier !== 'escalated'),
    },
    previousActions,
    actions,
    trend,
  };
}
