/**
 * Field work: household visits (民情日记) and grid leaders' patrols.
 *
 * Visits are simulated per household as a renewal process: after a visit that met the family the
 * next one is due within the household's required interval (the strictest of its categories);
 * a diligent team comes back in time, a neglectful one late. Coverage — a 'met' visit within the
 * interval — then follows from diligence without being forced.
 *
 * History starts one interval before the window for each household (e.g. 182 days earlier for an
 * ordinary family), so that coverage on the window's first day is as meaningful as today's.
 */
import type { LineString, Point, Position } from 'geojson';
import type { VisitMethod, VisitResult } from '../domain/household';
import type { DemoPatrol, DemoVisit } from './demo-street.types';
import { VISIT_ACTIONS, VISIT_METHOD_PREFIX, VISIT_NOT_HOME, VISIT_PHONE_NOT_REACHED, VISIT_REQUESTS, VISIT_SITUATIONS } from './names';
import type { Rng } from './random';
import type { BuildingInfo } from './street.buildings';
import { type Diligence, diligenceAt } from './street.diligence';
import { cellCorners, cellPoint, type Metres, type StreetLayout, toLonLat, vertexId } from './street.layout';
import type { HouseholdInfo, StaffPlan } from './street.people';
import { isoTime, isWeekend, MINUTES_PER_DAY, weekday } from './street.time';

export interface ActivityWindow {
  /** First day of the window (today − months); visits reach one interval further back. */
  start: number;
  today: number;
}

/** Days to the next visit after one that met the family. */
function gapDays(rng: Rng, interval: number, d: number): number {
  if (rng.chance(d)) return Math.max(1, interval * rng.float(0.55, 0.95));
  return interval * rng.float(1.3, 1.3 + 3 * (1 - d));
}

/**
 * A scheduled visit that crosses the day the team changed: an improving team sweeps overdue
 * households within a month; a declining one lets the visit slip by a neglectful gap.
 */
function acrossChange(rng: Rng, dil: Diligence, from: number, next: number, interval: number): number {
  if (dil.change === null || from >= dil.change || next <= dil.change) return next;
  if (dil.after > dil.before) return Math.min(next, dil.change + rng.float(0, 30));
  return Math.max(next, dil.change + rng.next() * gapDays(rng, interval, dil.after));
}

/** Working hours with a lunch break: grid workers call in the morning or mid-afternoon. */
function daytimeMinute(rng: Rng): number {
  return rng.chance(0.55) ? rng.int(8 * 60 + 30, 11 * 60 + 45) : rng.int(14 * 60 + 30, 17 * 60 + 50);
}

/** A point within `radius` metres (uniform in the disc, by rejection — no trigonometry). */
function offset(rng: Rng, radius: number): Metres {
  for (;;) {
    const x = rng.float(-1, 1);
    const y = rng.float(-1, 1);
    if (x * x + y * y <= 1) return [x * radius, y * radius];
  }
}

function visitLocation(rng: Rng, method: VisitMethod, centre: Metres): Point | null {
  if (method === 'phone' || method === 'video' || rng.chance(0.05)) return null;
  let dx: number;
  let dy: number;
  if (rng.chance(0.03)) {
    // GPS drift or a note written up elsewhere: far enough for the review flag.
    const [ux, uy] = offset(rng, 1);
    const len = Math.sqrt(ux * ux + uy * uy) || 1;
    const r = rng.float(110, 260);
    [dx, dy] = [(ux / len) * r, (uy / len) * r];
  } else {
    [dx, dy] = offset(rng, 8);
  }
  return { type: 'Point', coordinates: toLonLat(centre[0] + dx, centre[1] + dy) };
}

/** Notes are drawn from a few thousand combinations; sharing the strings spares a big street's memory. */
const noteCache = new Map<string, string>();

function visitNote(rng: Rng, h: HouseholdInfo, method: VisitMethod, result: VisitResult): string {
  let key: string;
  if (result === 'not_home') {
    key = rng.pick(method === 'phone' ? VISIT_PHONE_NOT_REACHED : VISIT_NOT_HOME);
  } else {
    const main = h.row.categories[0] ?? 'ordinary';
    key = VISIT_METHOD_PREFIX[method] + rng.pick(VISIT_SITUATIONS[main]);
    if (rng.chance(0.35)) key += `，${rng.pick(VISIT_REQUESTS)}，${rng.pick(VISIT_ACTIONS)}`;
  }
  let note = noteCache.get(key);
  if (note === undefined) {
    note = `${key}。`;
    noteCache.set(key, note);
  }
  return note;
}

function durationOf(rng: Rng, method: VisitMethod, result: VisitResult): number {
  if (result === 'not_home') return method === 'phone' ? 1 : rng.int(2, 5);
  switch (method) {
    case 'in_person':
      return Math.round(Math.min(60, Math.max(5, rng.normal(20, 8))));
    case 'phone':
      return rng.int(3, 15);
    case 'video':
      return rng.int(5, 20);
    case 'third_party':
      return rng.int(5, 15);
  }
}

export function generateVisits(
  rng: Rng,
  households: readonly HouseholdInfo[],
  buildings: readonly BuildingInfo[],
  staff: StaffPlan,
  diligence: readonly Diligence[],
  win: ActivityWindow,
): DemoVisit[] {
  // Bucketed by day so that ordering a million visits by time needs only small per-day sorts.
  const firstDay = win.start - Math.max(...households.map((h) => h.interval), 0);
  const byDay: { minutes: number[]; visits: DemoVisit[] }[] = Array.from({ length: win.today - firstDay + 1 }, () => ({
    minutes: [],
    visits: [],
  }));
  for (const h of households) {
    const dil = diligence[h.grid] as Diligence;
    const team = staff.teamOf[h.grid] as number[];
    const centre = (buildings[h.building] as BuildingInfo).centre;
    const I = h.interval;
    const historyStart = win.start - I;
    // "Never after moving out": the last possible visit is the day before.
    const last = h.movedOut === null ? win.today : h.movedOut - 1;
    if (last < Math.max(h.movedIn, historyStart)) continue;
    let t: number;
    if (h.movedIn > historyStart) {
      // Newcomers get a first visit soon after moving in from a diligent team (九必报: 新迁入).
      const d = diligenceAt(dil, h.movedIn);
      t = h.movedIn + (rng.chance(d) ? rng.float(1, Math.min(21, I * 0.9)) : rng.float(0.8 * I, 2 * I));
    } else {
      // A random phase in the visiting cycle, as if the history had always been running.
      t = historyStart + rng.next() * gapDays(rng, I, diligenceAt(dil, historyStart));
    }
    t = acrossChange(rng, dil, Math.max(historyStart, h.movedIn), t, I);
    for (;;) {
      let day = Math.floor(t);
      // Routine visits avoid weekends; weekly and fortnightly ones cannot wait for Monday.
      if (I >= 30 && isWeekend(day) && rng.chance(0.85)) day += weekday(day) === 6 ? 2 : 1;
      if (day > last) break;
      const d = diligenceAt(dil, day);
      // A slack team phones more and calls in less.
      const r = rng.next();
      const pPerson = 0.78 - (1 - d) * 0.15;
      const pPhone = 0.13 + (1 - d) * 0.15;
      const method: VisitMethod =
        r < pPerson ? 'in_person' : r < pPerson + pPhone ? 'phone' : r < pPerson + pPhone + 0.045 ? 'video' : 'third_party';
      const result: VisitResult = method !== 'third_party' && rng.chance(method === 'phone' ? 0.06 : 0.085) ? 'not_home' : 'met';
      const visitor = team.length > 1 && rng.chance(0.7) ? rng.pick(team.slice(1)) : (team[0] as number);
      const bucket = byDay[day - firstDay] as { minutes: number[]; visits: DemoVisit[] };
      const minute = daytimeMinute(rng);
      bucket.minutes.push(minute);
      bucket.visits.push({
        id: 0,
        householdId: h.row.id,
        visitorId: visitor,
        visitedAt: isoTime(day * MINUTES_PER_DAY + minute),
        method,
        result,
        durationMin: durationOf(rng, method, result),
        notes: visitNote(rng, h, method, result),
        location: visitLocation(rng, method, centre),
      });
      // After a missed call a diligent worker comes back within days; a neglectful one whenever.
      const next = result === 'met' ? day + gapDays(rng, I, d) : day + (rng.chance(d) ? rng.float(1, 5) : gapDays(rng, I, d) * 0.5);
      t = acrossChange(rng, dil, day, next, I);
    }
  }
  // Ids in time order. Within a day the key is minute × 2²² + arrival index: a numeric sort of
  // a typed array is much faster than comparing timestamps, and visits at the same minute keep
  // household order.
  const visits: DemoVisit[] = [];
  for (const { minutes, visits: dayVisits } of byDay) {
    const keys = Float64Array.from(minutes, (m, i) => m * 4_194_304 + i).sort();
    for (const key of keys) {
      const v = dayVisits[key % 4_194_304] as DemoVisit;
      v.id = visits.length + 1;
      visits.push(v);
    }
  }
  return visits;
}

/** A walk through the grid: inside a block, across a road into the next block, and so on. */
function patrolTrack(rng: Rng, layout: StreetLayout, cells: readonly number[]): LineString {
  const lat = layout.lattice;
  const inGrid = new Set(cells);
  const interior = (cell: number): Position => {
    const [x, y] = cellPoint(cellCorners(lat, cell), rng.float(0.15, 0.85), rng.float(0.15, 0.85));
    return toLonLat(x, y);
  };
  const along = (a: number, b: number): Position => {
    const f = rng.float(0.3, 0.7);
    const x = (lat.xs[a] as number) * (1 - f) + (lat.xs[b] as number) * f;
    const y = (lat.ys[a] as number) * (1 - f) + (lat.ys[b] as number) * f;
    return toLonLat(x, y);
  };
  let cell = rng.pick(cells);
  const points: Position[] = [interior(cell)];
  const legs = rng.int(2, 4);
  for (let k = 0; k < legs; k++) {
    const cx = cell % lat.nx;
    const cy = Math.floor(cell / lat.nx);
    // Each step crosses the road between two blocks of the same grid at a point on it, so the
    // track never cuts a corner outside the grid.
    const steps: [number, number, number][] = [];
    if (cx + 1 < lat.nx && inGrid.has(cell + 1)) steps.push([cell + 1, vertexId(lat, cx + 1, cy), vertexId(lat, cx + 1, cy + 1)]);
    if (cx > 0 && inGrid.has(cell - 1)) steps.push([cell - 1, vertexId(lat, cx, cy), vertexId(lat, cx, cy + 1)]);
    if (inGrid.has(cell + lat.nx)) steps.push([cell + lat.nx, vertexId(lat, cx, cy + 1), vertexId(lat, cx + 1, cy + 1)]);
    if (inGrid.has(cell - lat.nx)) steps.push([cell - lat.nx, vertexId(lat, cx, cy), vertexId(lat, cx + 1, cy)]);
    if (steps.length === 0) {
      points.push(interior(cell));
      continue;
    }
    const [to, a, b] = rng.pick(steps);
    points.push(along(a, b), interior(to));
    cell = to;
  }
  return { type: 'LineString', coordinates: points };
}

export function generatePatrols(
  rng: Rng,
  layout: StreetLayout,
  staff: StaffPlan,
  diligence: readonly Diligence[],
  win: ActivityWindow,
): DemoPatrol[] {
  const drafts: { at: number; p: Omit<DemoPatrol, 'id'> }[] = [];
  layout.grids.forEach((grid, gi) => {
    const dil = diligence[gi] as Diligence;
    for (let day = win.start + 1; day <= win.today; day++) {
      const d = diligenceAt(dil, day);
      // 000 第一篇: the leader walks the grid every day; weekends and a slack team skip days.
      const p = isWeekend(day) ? 0.15 + 0.35 * d : 0.1 + 0.85 * d;
      if (!rng.chance(p)) continue;
      const start = day * MINUTES_PER_DAY + (rng.chance(0.5) ? rng.int(8 * 60, 10 * 60 + 30) : rng.int(14 * 60 + 30, 16 * 60 + 30));
      // Half an hour is the rule; a slack team's walks are more often cut short.
      const minutes = rng.chance(0.05 + 0.35 * (1 - d)) ? rng.int(10, 29) : rng.int(30, 90);
      drafts.push({
        at: start,
        p: {
          gridId: gi + 1,
          staffId: staff.leaderOf[gi] as number,
          startedAt: isoTime(start),
          endedAt: isoTime(start + minutes),
          track: rng.chance(0.92) ? patrolTrack(rng, layout, grid.cells) : null,
        },
      });
    }
  });
  drafts.sort((a, b) => a.at - b.at || a.p.gridId - b.p.gridId);
  return drafts.map((x, i) => ({ id: i + 1, ...x.p }));
}
