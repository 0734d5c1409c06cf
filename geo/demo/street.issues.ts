/**
 * 民情民意事项 of the demo street: registered by the grid team or the community, handled in tiers
 * (on the spot / community / street), due in 7, 15 or 30 days, and followed through accepted →
 * in progress → resolved → closed with the resident's evaluation. Each issue's whole life is
 * simulated from its grid team's diligence and then cut at today, so old issues are closed,
 * recent ones still open, and a neglected grid piles up open overdue matters by itself.
 */
import type { Point } from 'geojson';
import type { IssueCategory, IssueComplexity, IssueEvaluation, IssueStatus, IssueTier } from '../domain/issue';
import { formatRegNo } from '../domain/issue';
import { DEFAULT_ISSUE_DUE_DAYS } from '../domain/visit-policy';
import type { DemoIssue, DemoIssueEvent } from './demo-street.types';
import { EVENT_NOTES, ISSUE_TEMPLATES, WORK_UNITS } from './names';
import type { Rng } from './random';
import type { BuildingInfo } from './street.buildings';
import { type Diligence, diligenceAt } from './street.diligence';
import { cellCorners, cellPoint, type StreetLayout, toLonLat } from './street.layout';
import { type HouseholdInfo, type PhoneBook, personName, type StaffPlan } from './street.people';
import { dayOfMinute, isoTime, MINUTES_PER_DAY, minuteOfDay, yearMonth } from './street.time';

/** ~400 issues a year for the 19-grid demo street: about 0.05 per grid and day before the grids' own factors. */
const ISSUES_PER_GRID_DAY = 0.05;
/** formatRegNo allows 999 a month; keep the expected count well below on very large streets. */
const MAX_EXPECTED_PER_MONTH = 650;

const CATEGORY_WEIGHTS: readonly (readonly [IssueCategory, number])[] = [
  ['sanitation', 0.2],
  ['public_facility', 0.2],
  ['dispute', 0.15],
  ['livelihood', 0.15],
  ['safety_hazard', 0.08],
  ['fire_hazard', 0.06],
  ['suggestion', 0.08],
  ['appeal', 0.04],
  ['other', 0.04],
];

/** Ordinary / complex / major shares: petitions are rarely simple, questions about benefits are. */
const COMPLEXITY: Readonly<Record<IssueCategory, readonly [number, number, number]>> = {
  sanitation: [0.72, 0.23, 0.05],
  public_facility: [0.68, 0.26, 0.06],
  dispute: [0.55, 0.35, 0.1],
  livelihood: [0.7, 0.25, 0.05],
  safety_hazard: [0.5, 0.35, 0.15],
  fire_hazard: [0.55, 0.33, 0.12],
  appeal: [0.2, 0.45, 0.35],
  suggestion: [0.65, 0.3, 0.05],
  other: [0.75, 0.2, 0.05],
};

/** 分类分层处理: simple matters stay with the grid, major ones go to the street. */
const TIER: Readonly<Record<IssueComplexity, readonly (readonly [IssueTier, number])[]>> = {
  ordinary: [
    ['on_spot', 0.85],
    ['community', 0.15],
  ],
  complex: [
    ['on_spot', 0.3],
    ['community', 0.6],
    ['escalated', 0.1],
  ],
  major: [
    ['community', 0.45],
    ['escalated', 0.55],
  ],
};

/** Categories a household raises about itself (so the issue links the household). */
const ABOUT_A_HOUSEHOLD: ReadonlySet<IssueCategory> = new Set(['dispute', 'livelihood', 'appeal', 'suggestion']);

export interface IssueContext {
  layout: StreetLayout;
  buildings: readonly BuildingInfo[];
  households: readonly HouseholdInfo[];
  staff: StaffPlan;
  diligence: readonly Diligence[];
  start: number;
  today: number;
  phones: PhoneBook;
}

/** Events happen in office hours: a late-evening step moves to the next morning. */
function officeHours(rng: Rng, t: number): number {
  const m = minuteOfDay(t);
  const day = dayOfMinute(t);
  if (m < 8 * 60 + 30) return day * MINUTES_PER_DAY + 8 * 60 + 30 + rng.int(0, 90);
  if (m > 18 * 60) return (day + 1) * MINUTES_PER_DAY + 8 * 60 + 30 + rng.int(0, 120);
  return t;
}

interface Step {
  at: number;
  actorId: number;
  to: IssueStatus;
  note: string;
}

export function generateIssues(rng: Rng, ctx: IssueContext): DemoIssue[] {
  const { layout, buildings, staff } = ctx;
  const residential = new Map<number, number[]>();
  const householdsOf = new Map<number, HouseholdInfo[]>();
  buildings.forEach((b, i) => {
    if (b.estate === null) return;
    residential.set(b.grid, [...(residential.get(b.grid) ?? []), i]);
  });
  for (const h of ctx.households) householdsOf.set(h.building, [...(householdsOf.get(h.building) ?? []), h]);
  const gridCount = layout.grids.length;
  const rate = Math.min(ISSUES_PER_GRID_DAY, MAX_EXPECTED_PER_MONTH / (31 * gridCount));
  const todayEnd = (ctx.today + 1) * MINUTES_PER_DAY - 1;

  const drafts: (Omit<DemoIssue, 'id' | 'regNo'> & { at: number; grid: number })[] = [];
  layout.grids.forEach((grid, gi) => {
    const dil = ctx.diligence[gi] as Diligence;
    const anchors = residential.get(gi) ?? [];
    if (anchors.length === 0) return;
    // Old-town grids with many 平房 report more; a neglected grid's residents complain more.
    const lowrise = anchors.filter((i) => buildings[i]?.kind === 'lowrise').length / anchors.length;
    const gridRate = rate * (0.8 + 0.5 * lowrise) * (dil.after < 0.5 ? 1.15 : 1);
    const team = staff.teamOf[gi] as number[];
    const leader = staff.leaderOf[gi] as number;
    const communityStaff = staff.communityStaffOf[grid.community] as number[];
    for (let day = ctx.start + 1; day <= ctx.today; day++) {
      if (!rng.chance(gridRate)) continue;
      const received = day * MINUTES_PER_DAY + rng.int(8 * 60, 19 * 60 + 30);
      const d = diligenceAt(dil, day);
      const category = rng.weighted(CATEGORY_WEIGHTS);
      const [po, pc, pm] = COMPLEXITY[category];
      const complexity = rng.weighted<IssueComplexity>([
        ['ordinary', po],
        ['complex', pc],
        ['major', pm],
      ]);
      const tier = rng.weighted(TIER[complexity]);

      // Where: an estate building of the grid anchors the wording and, usually, the point.
      const bi = rng.pick(anchors);
      const b = buildings[bi] as BuildingInfo;
      const template = rng.pick(ISSUE_TEMPLATES[category]);
      const aboutRoad = template.startsWith('{road}');
      const description = template
        .replace('{place}', b.row.name ?? b.row.address)
        .replace('{estate}', b.estate ?? b.row.address)
        .replace('{road}', b.road);
      const linked = !aboutRoad && rng.chance(0.8);
      let location: Point;
      if (linked || (!aboutRoad && rng.chance(0.5))) {
        // Within 5 m of the footprint's centre: footprints sit ≥12 m inside their block.
        const [ox, oy] = [rng.float(-5, 5), rng.float(-5, 5)];
        location = { type: 'Point', coordinates: toLonLat(b.centre[0] + ox, b.centre[1] + oy) };
      } else {
        const [x, y] = cellPoint(cellCorners(layout.lattice, b.cell), rng.float(0.1, 0.9), rng.float(0.1, 0.9));
        location = { type: 'Point', coordinates: toLonLat(x, y) };
      }
      const residents = (householdsOf.get(bi) ?? []).filter((h) => h.movedIn <= day && (h.movedOut === null || h.movedOut > day));
      const household = linked && ABOUT_A_HOUSEHOLD.has(category) && residents.length > 0 && rng.chance(0.6) ? rng.pick(residents) : null;
      const reporter = household
        ? {
            name: household.row.headName,
            address: `${b.row.address}${household.row.unit ?? ''}${household.row.room}室`,
            workUnit: rng.chance(0.4) ? rng.pick(WORK_UNITS) : null,
            contact: household.row.phone,
          }
        : {
            name: personName(rng, rng.pick(['old', 'middle', 'middle', 'young'] as const)),
            address: `${b.row.address}${b.units > 1 ? `${rng.int(1, b.units)}单元` : ''}${rng.int(1, b.row.floors)}0${rng.int(1, Math.max(1, b.perFloor))}室`,
            workUnit: rng.chance(0.4) ? rng.pick(WORK_UNITS) : null,
            contact: ctx.phones.next(),
          };

      // Who does what: the grid registers (or the community, for walk-ins), the tier's level handles.
      const registrar = tier === 'community' && rng.chance(0.5) ? rng.pick(communityStaff) : rng.pick(team);
      const handler = tier === 'on_spot' ? leader : tier === 'community' ? rng.pick(communityStaff) : staff.streetLeaderId;
      const dueDays = DEFAULT_ISSUE_DUE_DAYS[complexity];
      const steps: Step[] = [{ at: received, actorId: registrar, to: 'registered', note: rng.pick(EVENT_NOTES.registered[tier]) }];
      const push = (at: number, actorId: number, to: IssueStatus, note: string) => {
        const prev = (steps[steps.length - 1] as Step).at;
        steps.push({ at: Math.max(officeHours(rng, at), prev + rng.int(1, 20)), actorId, to, note });
      };
      let evaluation: IssueEvaluation = 'not_rated';
      const cancelled = rng.chance(0.04);
      if (cancelled && rng.chance(0.5)) {
        push(received + rng.int(60, MINUTES_PER_DAY), registrar, 'cancelled', rng.pick(EVENT_NOTES.cancelled.registered));
      } else {
        push(
          received + (rng.chance(d) ? rng.int(10, 8 * 60) : rng.int(4 * 60, 5 * MINUTES_PER_DAY)),
          handler,
          'accepted',
          rng.pick(EVENT_NOTES.accepted[tier]),
        );
        const accepted = (steps[steps.length - 1] as Step).at;
        if (cancelled) {
          push(accepted + rng.int(60, 3 * MINUTES_PER_DAY), handler, 'cancelled', rng.pick(EVENT_NOTES.cancelled.accepted));
        } else {
          // A slack team lets some matters stall for good: these become the open overdue ones.
          const stall = rng.chance(0.02 + 0.45 * (1 - d) ** 1.5);
          const stallAtAccepted = stall && rng.chance(0.4);
          if (!stallAtAccepted) {
            push(
              accepted + rng.int(30, rng.chance(d) ? MINUTES_PER_DAY : 4 * MINUTES_PER_DAY),
              handler,
              'in_progress',
              rng.pick(EVENT_NOTES.in_progress),
            );
          }
          if (!stall) {
            const late = rng.chance(0.05 + 0.5 * (1 - d));
            const fraction = late ? rng.float(1.05, 1.8) : rng.float(0.15, 0.9);
            push(received + Math.round(fraction * dueDays * MINUTES_PER_DAY), handler, 'resolved', rng.pick(EVENT_NOTES.resolved));
            const resolved = (steps[steps.length - 1] as Step).at;
            evaluation = rng.weighted<IssueEvaluation>([
              ['satisfied', 0.64 - (1 - d) * 0.2],
              ['basically_satisfied', 0.22],
              ['dissatisfied', 0.04 + (1 - d) * 0.2],
              ['not_rated', 0.1],
            ]);
            push(resolved + rng.int(4 * 60, 5 * MINUTES_PER_DAY), registrar, 'closed', rng.pick(EVENT_NOTES.closed[evaluation]));
          }
        }
      }
      // The simulation runs past today; the record holds only what has happened by today.
      const happened = steps.filter((s) => s.at <= todayEnd);
      const events: DemoIssueEvent[] = happened.map((s, i) => ({
        at: isoTime(s.at),
        actorId: s.actorId,
        from: i === 0 ? null : (happened[i - 1] as Step).to,
        to: s.to,
        note: s.note,
      }));
      const last = happened[happened.length - 1] as Step;
      const closed = last.to === 'closed';
      drafts.push({
        at: received,
        grid: gi,
        category,
        description,
        location,
        gridId: gi + 1,
        buildingId: linked ? b.row.id : null,
        householdId: household ? household.row.id : null,
        reporter,
        complexity,
        tier,
        status: last.to,
        receivedAt: isoTime(received),
        dueAt: isoTime(received + dueDays * MINUTES_PER_DAY),
        closedAt: closed ? isoTime(last.at) : null,
        // Residents rate a matter when it is closed with them (监督评议); until then it is unrated.
        evaluation: closed ? evaluation : 'not_rated',
        events,
      });
    }
  });

  // Registration numbers follow the order of receipt, gap-free within each month (001).
  drafts.sort((a, b) => a.at - b.at || a.grid - b.grid);
  const seq = new Map<string, number>();
  return drafts.map(({ at, grid: _grid, ...issue }, i) => {
    const { year, month } = yearMonth(dayOfMinute(at));
    const key = `${year}-${month}`;
    const n = (seq.get(key) ?? 0) + 1;
    seq.set(key, n);
    return { id: i + 1, regNo: formatRegNo(year, month, n), ...issue };
  });
}
