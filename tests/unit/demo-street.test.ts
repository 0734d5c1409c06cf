import {
  area,
  bbox,
  booleanClockwise,
  booleanIntersects,
  booleanPointInPolygon,
  feature,
  featureCollection,
  intersect,
  multiLineString,
  multiPolygon,
  pointOnFeature,
  union,
} from '@turf/turf';
import type { MultiPolygon } from 'geojson';
import { describe, expect, it } from 'vitest';
import type { DemoStreet } from '../../geo/demo/demo-street.types';
import { generateDemoStreet } from '../../geo/demo/street.generator';
import type { IssueStatus } from '../../geo/domain/issue';
import { formatRegNo } from '../../geo/domain/issue';
import { DEFAULT_ISSUE_DUE_DAYS, requiredIntervalDays } from '../../geo/domain/visit-policy';

const TODAY = '2026-11-15';
const YEAR_AGO = '2025-11-15';
const street = generateDemoStreet({ today: TODAY });

const day = (iso: string) => Date.parse(`${iso.slice(0, 10)}T00:00:00Z`) / 86_400_000;
/** Minutes since the epoch of a `…+08:00` timestamp, to compare and subtract times. */
const minutes = (iso: string) => Date.parse(iso) / 60_000;
const TODAY_END = minutes(`${TODAY}T23:59:59+08:00`);

const gridOfBuilding = new Map(street.buildings.map((b) => [b.id, b.gridId]));
const householdById = new Map(street.households.map((h) => [h.id, h]));
const current = (h: DemoStreet['households'][number], d: number) => day(h.movedIn) <= d && (h.movedOut === null || day(h.movedOut) > d);

/** Coverage per grid at day d: current households with a 'met' visit in (d − interval, d]. */
function coverage(s: DemoStreet, d: number): Map<number, number> {
  const met = new Map<number, number[]>();
  for (const v of s.visits) {
    if (v.result !== 'met') continue;
    const list = met.get(v.householdId) ?? [];
    list.push(day(v.visitedAt));
    met.set(v.householdId, list);
  }
  const tally = new Map<number, [number, number]>();
  for (const h of s.households) {
    if (!current(h, d)) continue;
    const g = gridOfBuilding.get(h.buildingId) as number;
    const t = tally.get(g) ?? [0, 0];
    const interval = requiredIntervalDays(h.categories);
    if ((met.get(h.id) ?? []).some((x) => x > d - interval && x <= d)) t[0]++;
    t[1]++;
    tally.set(g, t);
  }
  return new Map([...tally].map(([g, [covered, all]]) => [g, covered / all]));
}

const polygon = (g: MultiPolygon) => feature(g);

describe('demo street generator', () => {
  it('is deterministic, pure, and depends on the seed', () => {
    const realRandom = Math.random;
    const realNow = Date.now;
    // geo/ is shared with the browser: the generator must not reach for a clock or Math.random.
    Math.random = () => {
      throw new Error('Math.random used');
    };
    Date.now = () => {
      throw new Error('Date.now used');
    };
    let again: DemoStreet;
    try {
      again = generateDemoStreet({ today: TODAY, seed: 20261122, communities: 3, months: 12 });
    } finally {
      Math.random = realRandom;
      Date.now = realNow;
    }
    expect(street.seed).toBe(20261122);
    expect(street.demo).toBe(true);
    expect(JSON.stringify(again) === JSON.stringify(street)).toBe(true);
    const other = generateDemoStreet({ today: TODAY, seed: 7 });
    expect(JSON.stringify(other.grids.map((g) => g.boundary))).not.toBe(JSON.stringify(street.grids.map((g) => g.boundary)));
    expect(other.households.map((h) => h.headName)).not.toEqual(street.households.map((h) => h.headName));
  });

  it('has the size of a real street', () => {
    expect(street.communities).toHaveLength(3);
    expect(street.grids.length).toBeGreaterThanOrEqual(15);
    expect(street.grids.length).toBeLessThanOrEqual(20);
    expect(street.buildings.length).toBeGreaterThanOrEqual(400);
    expect(street.buildings.length).toBeLessThanOrEqual(700);
    const today = day(TODAY);
    const currentCount = street.households.filter((h) => current(h, today)).length;
    expect(currentCount).toBeGreaterThan(4500);
    expect(currentCount).toBeLessThan(5600);
    expect(street.issues.length).toBeGreaterThan(300);
    expect(street.issues.length).toBeLessThan(500);
    expect(street.visits.length).toBeGreaterThan((20 * currentCount) / 5);
    expect(street.patrols.length).toBeGreaterThan(street.grids.length * 150);
    // Ids are 1..n per entity, in order.
    for (const rows of [
      street.communities,
      street.grids,
      street.buildings,
      street.households,
      street.staff,
      street.visits,
      street.patrols,
      street.issues,
    ]) {
      expect(rows.every((r, i) => r.id === i + 1)).toBe(true);
    }
    const [lon, lat] = pointOnFeature(polygon(street.street.boundary)).geometry.coordinates as [number, number];
    expect(Math.abs(lon - 115.91)).toBeLessThan(0.03);
    expect(Math.abs(lat - 28.63)).toBeLessThan(0.03);
    const km2 = area(polygon(street.street.boundary)) / 1e6;
    // ~1.7 km × 1.2 km: blocks of ~135 m, dense enough to read as an old-town street.
    expect(km2).toBeGreaterThan(1.5);
    expect(km2).toBeLessThan(3);
  });

  it('codes nest street → community → grid', () => {
    expect(street.street.code).toMatch(/^\d{9}$/);
    for (const c of street.communities) expect(c.code).toMatch(new RegExp(`^${street.street.code}\\d{3}$`));
    const communityCode = new Map(street.communities.map((c) => [c.id, c.code]));
    for (const g of street.grids) expect(g.code).toMatch(new RegExp(`^${communityCode.get(g.communityId)}\\d{3}$`));
    expect(new Set(street.grids.map((g) => g.code)).size).toBe(street.grids.length);
  });

  it('grids tile each community and communities tile the street exactly', () => {
    const check = (parts: MultiPolygon[], whole: MultiPolygon) => {
      for (const p of [...parts, whole]) {
        const ring = p.coordinates[0]?.[0] ?? [];
        expect(ring[0]).toEqual(ring[ring.length - 1]);
        expect(booleanClockwise(ring as [number, number][])).toBe(false);
      }
      for (let i = 0; i < parts.length; i++) {
        for (let j = i + 1; j < parts.length; j++) {
          const overlap = intersect(featureCollection([polygon(parts[i] as MultiPolygon), polygon(parts[j] as MultiPolygon)]));
          expect(overlap ? area(overlap) : 0).toBeLessThan(1);
        }
      }
      const merged = union(featureCollection(parts.map(polygon)));
      expect(merged).not.toBeNull();
      const wholeArea = area(polygon(whole));
      expect(Math.abs(area(merged!) - wholeArea) / wholeArea).toBeLessThan(1e-4);
    };
    for (const c of street.communities) {
      check(
        street.grids.filter((g) => g.communityId === c.id).map((g) => g.boundary),
        c.boundary,
      );
    }
    check(
      street.communities.map((c) => c.boundary),
      street.street.boundary,
    );
  });

  it('draws named roads between the blocks, never through a building, and along every grid edge', () => {
    expect(street.roads.length).toBeGreaterThanOrEqual(10);
    expect(new Set(street.roads.map((r) => r.name)).size).toBe(street.roads.length);
    expect(street.roads.some((r) => r.kind === 'primary')).toBe(true);
    const crossings = street.roads.flatMap((r) =>
      street.buildings
        .filter((b) => booleanIntersects(multiLineString(r.geometry.coordinates), multiPolygon(b.footprint.coordinates)))
        .map((b) => `${r.name} × ${b.address}`),
    );
    expect(crossings).toEqual([]);
    // Grid boundaries follow roads: every grid vertex lies on a road.
    const roadVertices = new Set(street.roads.flatMap((r) => r.geometry.coordinates.flat().map((p) => p.join(','))));
    const gridVertices = street.grids.flatMap((g) => g.boundary.coordinates.flat(2).map((p) => p.join(',')));
    expect(gridVertices.filter((v) => !roadVertices.has(v))).toEqual([]);
  });

  it('puts every building in exactly its own grid, without overlaps', () => {
    for (const b of street.buildings) {
      const p = pointOnFeature(polygon(b.footprint));
      const containing = street.grids.filter((g) => booleanPointInPolygon(p, g.boundary)).map((g) => g.id);
      expect(containing, b.address).toEqual([b.gridId]);
    }
    // Sweep over west edges so only footprints whose boxes overlap are intersected.
    const boxes = street.buildings.map((b) => ({ b, box: bbox(b.footprint) })).sort((x, y) => x.box[0] - y.box[0]);
    for (let i = 0; i < boxes.length; i++) {
      const a = boxes[i]!;
      for (let j = i + 1; j < boxes.length && boxes[j]!.box[0] <= a.box[2]; j++) {
        const c = boxes[j]!;
        if (c.box[1] > a.box[3] || c.box[3] < a.box[1]) continue;
        const overlap = intersect(featureCollection([polygon(a.b.footprint), polygon(c.b.footprint)]));
        expect(overlap ? area(overlap) : 0, `${a.b.address} / ${c.b.address}`).toBeLessThan(0.01);
      }
    }
    expect(new Set(street.buildings.map((b) => b.address)).size).toBe(street.buildings.length);
    const nonResidential = street.buildings.filter((b) => !street.households.some((h) => h.buildingId === b.id));
    expect(nonResidential.length).toBeGreaterThanOrEqual(3);
    expect(nonResidential.some((b) => b.name?.includes('党群服务中心'))).toBe(true);
  });

  it('houses 200–300 current households per grid, with a believable mix', () => {
    const today = day(TODAY);
    const perGrid = new Map<number, number>();
    for (const h of street.households) {
      if (current(h, today)) perGrid.set(gridOfBuilding.get(h.buildingId)!, (perGrid.get(gridOfBuilding.get(h.buildingId)!) ?? 0) + 1);
      expect(h.phone).toMatch(/^1[358]\d{9}$/);
      expect(h.members).toBeGreaterThanOrEqual(1);
      expect(h.members).toBeLessThanOrEqual(5);
      expect(h.categories.length).toBeGreaterThanOrEqual(1);
      if (h.categories.length > 1) expect(h.categories).not.toContain('ordinary');
      if (h.movedOut !== null) {
        expect(h.movedOut >= h.movedIn).toBe(true);
        expect(h.movedOut <= TODAY).toBe(true);
      }
      expect(h.movedIn <= TODAY).toBe(true);
    }
    for (const g of street.grids) {
      expect(perGrid.get(g.id), g.name).toBeGreaterThanOrEqual(200);
      expect(perGrid.get(g.id), g.name).toBeLessThanOrEqual(300);
    }
    const share = (pred: (h: DemoStreet['households'][number]) => boolean) =>
      street.households.filter(pred).length / street.households.length;
    expect(share((h) => h.categories.length === 1 && h.categories[0] === 'ordinary')).toBeGreaterThan(0.5);
    expect(share((h) => h.categories.includes('elderly'))).toBeGreaterThan(0.1);
    expect(share((h) => h.categories.length === 2)).toBeGreaterThan(0.02);
    const movedOut = share((h) => h.movedOut !== null);
    expect(movedOut).toBeGreaterThan(0.015);
    expect(movedOut).toBeLessThan(0.05);
    expect(share((h) => h.classification === 'key_attention')).toBeLessThan(0.05);
  });

  it('staffs the street with the demo accounts', () => {
    const byEmail = new Map(street.staff.map((s) => [s.email, s]));
    expect(byEmail.get('street@demo.local')?.role).toBe('street_leader');
    expect(byEmail.get('presenter@demo.local')).toMatchObject({ role: 'presenter', communityId: null });
    expect(byEmail.get('community@demo.local')).toMatchObject({ role: 'community_staff', communityId: 1 });
    expect(byEmail.get('grid01@demo.local')?.id).toBe(street.grids[0]!.leaderId);
    expect(byEmail.get('grid02@demo.local')?.id).toBe(street.grids[1]!.leaderId);
    expect(byEmail.get('member01@demo.local')).toMatchObject({ role: 'grid_member' });
    expect(byEmail.get('member01@demo.local')?.gridIds).toContain(1);
    expect(new Set(street.staff.map((s) => s.email)).size).toBe(street.staff.length);
    for (const g of street.grids) {
      const leader = street.staff.find((s) => s.id === g.leaderId);
      expect(leader).toMatchObject({ role: 'grid_leader', communityId: g.communityId, gridIds: [g.id] });
      const members = street.staff.filter((s) => s.role === 'grid_member' && s.gridIds.includes(g.id));
      expect(members.length, g.name).toBeGreaterThanOrEqual(1);
      expect(members.length, g.name).toBeLessThanOrEqual(2);
    }
    expect(street.staff.some((s) => s.role === 'grid_member' && s.gridIds.length === 2)).toBe(true);
    for (const c of street.communities) {
      expect(street.staff.filter((s) => s.role === 'community_staff' && s.communityId === c.id).length).toBeGreaterThanOrEqual(1);
    }
  });

  it('visits only current households, in daytime, by their grid team, never after today', () => {
    const team = new Map<number, Set<number>>();
    for (const s of street.staff) for (const g of s.gridIds) team.set(g, (team.get(g) ?? new Set()).add(s.id));
    // 50 000 visits: collect what is wrong and assert once, so the test stays fast.
    const wrong: string[] = [];
    let last = '';
    for (const v of street.visits) {
      const h = householdById.get(v.householdId)!;
      const date = v.visitedAt.slice(0, 10);
      const hour = Number(v.visitedAt.slice(11, 13));
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\+08:00$/.test(v.visitedAt)) wrong.push(`${v.id} format`);
      if (minutes(v.visitedAt) > TODAY_END) wrong.push(`${v.id} after today`);
      if (date < h.movedIn) wrong.push(`${v.id} before moving in`);
      if (h.movedOut !== null && date > h.movedOut) wrong.push(`${v.id} after moving out`);
      if (hour < 8 || hour >= 18) wrong.push(`${v.id} at night`);
      if (!team.get(gridOfBuilding.get(h.buildingId)!)?.has(v.visitorId)) wrong.push(`${v.id} by an outsider`);
      if (v.visitedAt < last) wrong.push(`${v.id} out of time order`);
      last = v.visitedAt;
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    const notHome = street.visits.filter((v) => v.result === 'not_home').length / street.visits.length;
    expect(notHome).toBeGreaterThan(0.04);
    expect(notHome).toBeLessThan(0.12);
    for (const p of street.patrols) {
      expect(minutes(p.endedAt)).toBeGreaterThan(minutes(p.startedAt));
      expect(minutes(p.endedAt)).toBeLessThanOrEqual(TODAY_END);
      expect(p.startedAt.slice(0, 10) > YEAR_AGO).toBe(true);
      expect(street.grids[p.gridId - 1]!.leaderId).toBe(p.staffId);
    }
  });

  it('numbers issues by month without gaps and keeps their history consistent', () => {
    const seq = new Map<string, number>();
    const next: Record<IssueStatus, IssueStatus[]> = {
      registered: ['accepted', 'cancelled'],
      accepted: ['in_progress', 'cancelled'],
      in_progress: ['resolved'],
      resolved: ['closed'],
      closed: [],
      cancelled: [],
    };
    const sorted = [...street.issues].sort((a, b) => minutes(a.receivedAt) - minutes(b.receivedAt) || a.id - b.id);
    for (const i of sorted) {
      const [y, m] = [Number(i.receivedAt.slice(0, 4)), Number(i.receivedAt.slice(5, 7))];
      const n = (seq.get(`${y}${m}`) ?? 0) + 1;
      seq.set(`${y}${m}`, n);
      expect(i.regNo).toMatch(/^\d{4}(0[1-9]|1[0-2])\d{3}$/);
      expect(i.regNo).toBe(formatRegNo(y, m, n));

      expect(i.events[0]).toMatchObject({ from: null, to: 'registered', at: i.receivedAt });
      for (let k = 1; k < i.events.length; k++) {
        const [prev, cur] = [i.events[k - 1]!, i.events[k]!];
        expect(cur.from).toBe(prev.to);
        expect(next[prev.to]).toContain(cur.to);
        expect(minutes(cur.at)).toBeGreaterThan(minutes(prev.at));
      }
      const lastEvent = i.events[i.events.length - 1]!;
      expect(minutes(lastEvent.at)).toBeLessThanOrEqual(TODAY_END);
      expect(i.status).toBe(lastEvent.to);
      expect(i.closedAt).toBe(i.status === 'closed' ? lastEvent.at : null);
      if (i.status !== 'closed') expect(i.evaluation).toBe('not_rated');
      expect(minutes(i.dueAt) - minutes(i.receivedAt)).toBe(DEFAULT_ISSUE_DUE_DAYS[i.complexity] * 1440);

      const grid = street.grids[i.gridId - 1]!;
      expect(booleanPointInPolygon(i.location, grid.boundary)).toBe(true);
      if (i.buildingId !== null) expect(gridOfBuilding.get(i.buildingId)).toBe(i.gridId);
      if (i.householdId !== null) {
        const h = householdById.get(i.householdId)!;
        expect(h.buildingId).toBe(i.buildingId);
        expect(current(h, day(i.receivedAt))).toBe(true);
      }
      expect(i.reporter.name.length).toBeGreaterThan(1);
      expect(i.reporter.contact).toMatch(/^1[358]\d{9}$/);
    }
    // Old matters are mostly closed; some are still open at today.
    const old = street.issues.filter((i) => day(i.receivedAt) < day(TODAY) - 90);
    expect(old.filter((i) => i.status === 'closed').length / old.length).toBeGreaterThan(0.8);
    expect(street.issues.some((i) => i.status === 'cancelled')).toBe(true);
    expect(new Set(street.issues.map((i) => i.tier))).toEqual(new Set(['on_spot', 'community', 'escalated']));
  });

  it('shows diligent and neglected grids, and a picture that changed over the year', () => {
    const now = coverage(street, day(TODAY));
    const before = coverage(street, day(YEAR_AGO));
    const neglectedNow = [...now].filter(([, c]) => c < 0.7).map(([g]) => g);
    const diligentNow = [...now].filter(([, c]) => c >= 0.9).map(([g]) => g);
    const neglectedBefore = [...before].filter(([, c]) => c < 0.7).map(([g]) => g);
    expect(neglectedNow.length).toBeGreaterThanOrEqual(2);
    expect(diligentNow.length).toBeGreaterThanOrEqual(10);
    expect(neglectedBefore.length).toBeGreaterThanOrEqual(1);
    expect(neglectedBefore.sort()).not.toEqual(neglectedNow.sort());
    // A neglected grid also leaves more matters open past their due date.
    const overdue = (g: number) =>
      street.issues.filter((i) => i.gridId === g && i.status !== 'closed' && i.status !== 'cancelled' && i.dueAt < `${TODAY}T00:00`).length;
    const mean = (gs: number[]) => gs.reduce((s, g) => s + overdue(g), 0) / gs.length;
    expect(mean(neglectedNow)).toBeGreaterThan(mean(diligentNow));
  });

  it('scales with the number of communities', () => {
    const small = generateDemoStreet({ today: TODAY, communities: 1, months: 6 });
    expect(small.communities).toHaveLength(1);
    expect(small.grids.length).toBeGreaterThanOrEqual(4);
    expect(small.visits.every((v) => minutes(v.visitedAt) <= TODAY_END)).toBe(true);
    const big = generateDemoStreet({ today: TODAY, communities: 6 });
    expect(big.grids.length).toBeGreaterThan(street.grids.length * 1.6);
    const merged = union(featureCollection(big.communities.map((c) => polygon(c.boundary))));
    const whole = area(polygon(big.street.boundary));
    expect(Math.abs(area(merged!) - whole) / whole).toBeLessThan(1e-4);
  });
});
