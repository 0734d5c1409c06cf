/**
 * A deterministic demo district (or city): several demo streets side by side, for the benchmark's
 * large tiers. The street generator stops at 100 communities because one street's year of visits
 * must fit in memory at once; a district of 600,000 households does not, so it is produced one
 * street at a time (a generator function) and the caller loads each street and lets it go.
 *
 * Street k is `generateDemoStreet` with its own seed, shifted in space onto its own cell of a
 * square arrangement, with every id offset past the streets before it and its codes, names and
 * e-mail addresses made distinct, so the streets load into one database with no collisions.
 * Pure like the street generator: the same options give the same district everywhere.
 */
import type { Position } from 'geojson';
import { formatRegNo } from '../domain/issue';
import type { DemoIssue, DemoStreet } from './demo-street.types';
import { chineseNumber } from './names';
import { DEFAULT_DEMO_SEED, generateDemoStreet } from './street.generator';
import { round7 } from './street.layout';

export interface DemoDistrictOptions {
  /** The generator's "today", as for a street. */
  today: string;
  /** Streets in the district (1..999: a street's code has three digits). */
  streets: number;
  /** Communities per street (1..100, the street generator's range); ~6 grids each. */
  communitiesPerStreet: number;
  /** Seed of the first street; street k uses seed + k. */
  seed?: number;
  months?: number;
}

/** 360102 is 东湖区; each street appends its three digits, as the demo street does with 001. */
const DISTRICT_CODE = '360102';
/** formatRegNo's three digits: a month holds at most 999 registrations across the district. */
export const MAX_ISSUES_PER_MONTH = 999;
/** Gap between neighbouring streets, as a share of a street's extent: no shape of one touches another. */
const SPACING = 1.25;

interface Offsets {
  community: number;
  grid: number;
  building: number;
  household: number;
  staff: number;
  visit: number;
  patrol: number;
  issue: number;
  road: number;
}

const ZERO: Offsets = { community: 0, grid: 0, building: 0, household: 0, staff: 0, visit: 0, patrol: 0, issue: 0, road: 0 };

function checkOptions(o: DemoDistrictOptions): void {
  if (!Number.isInteger(o.streets) || o.streets < 1 || o.streets > 999) {
    throw new RangeError(`streets must be an integer 1..999, got ${o.streets}`);
  }
  if (!Number.isInteger(o.communitiesPerStreet) || o.communitiesPerStreet < 1 || o.communitiesPerStreet > 100) {
    throw new RangeError(`communitiesPerStreet must be an integer 1..100, got ${o.communitiesPerStreet}`);
  }
}

/** Moves every position of a GeoJSON coordinate tree by (dx, dy) degrees, rounded as the generator rounds. */
function shift<T>(coords: T, dx: number, dy: number): T {
  const c = coords as unknown as unknown[];
  if (typeof c[0] === 'number') {
    const p = c as Position;
    return [round7((p[0] as number) + dx), round7((p[1] as number) + dy)] as unknown as T;
  }
  return c.map((x) => shift(x, dx, dy)) as unknown as T;
}

function moved<G extends { coordinates: unknown }>(g: G, dx: number, dy: number): G;
function moved<G extends { coordinates: unknown }>(g: G | null, dx: number, dy: number): G | null;
function moved<G extends { coordinates: unknown }>(g: G | null, dx: number, dy: number): G | null {
  return g === null ? null : { ...g, coordinates: shift(g.coordinates, dx, dy) };
}

/** [west, south, east, north] of a street's outline. */
function extent(s: DemoStreet): [number, number, number, number] {
  const b: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of s.street.boundary.coordinates) {
    for (const p of poly[0] ?? []) {
      b[0] = Math.min(b[0], p[0] as number);
      b[1] = Math.min(b[1], p[1] as number);
      b[2] = Math.max(b[2], p[0] as number);
      b[3] = Math.max(b[3], p[1] as number);
    }
  }
  return b;
}

const pad3 = (n: number) => String(n).padStart(3, '0');

/**
 * Street k (0-based) of the district, moved and renumbered. Street 0 keeps the demo street's name,
 * codes and e-mail addresses (the demo accounts sign in as its staff); the others get their own.
 */
function place(s: DemoStreet, k: number, off: Offsets, dx: number, dy: number, issueCount: Map<string, number>): DemoStreet {
  const code = DISTRICT_CODE + pad3(k + 1);
  const recode = (c: string) => code + c.slice(code.length);
  const email = (e: string) => (k === 0 ? e : `s${pad3(k + 1)}.${e}`);
  const streetId = k + 1;
  // The register numbers restart per month across the whole district; a month's 1,000th and later
  // registrations have no valid number, so they are left out (the first streets keep all theirs).
  const issues: DemoIssue[] = [];
  for (const i of s.issues) {
    const month = i.regNo.slice(0, 6);
    const n = (issueCount.get(month) ?? 0) + 1;
    if (n > MAX_ISSUES_PER_MONTH) continue;
    issueCount.set(month, n);
    issues.push({
      ...i,
      id: off.issue + issues.length + 1,
      regNo: formatRegNo(Number(month.slice(0, 4)), Number(month.slice(4, 6)), n),
      location: moved(i.location, dx, dy),
      gridId: i.gridId + off.grid,
      buildingId: i.buildingId === null ? null : i.buildingId + off.building,
      householdId: i.householdId === null ? null : i.householdId + off.household,
      events: i.events.map((e) => ({ ...e, actorId: e.actorId + off.staff })),
    });
  }
  return {
    ...s,
    street: {
      id: streetId,
      code,
      name: k === 0 ? s.street.name : `东湖第${chineseNumber(k + 1)}街道`,
      boundary: moved(s.street.boundary, dx, dy),
    },
    communities: s.communities.map((c) => ({
      ...c,
      id: c.id + off.community,
      streetId,
      code: recode(c.code),
      boundary: moved(c.boundary, dx, dy),
    })),
    grids: s.grids.map((g) => ({
      ...g,
      id: g.id + off.grid,
      communityId: g.communityId + off.community,
      code: recode(g.code),
      leaderId: g.leaderId + off.staff,
      boundary: moved(g.boundary, dx, dy),
    })),
    buildings: s.buildings.map((b) => ({
      ...b,
      id: b.id + off.building,
      gridId: b.gridId + off.grid,
      footprint: moved(b.footprint, dx, dy),
    })),
    households: s.households.map((h) => ({ ...h, id: h.id + off.household, buildingId: h.buildingId + off.building })),
    staff: s.staff.map((p) => ({
      ...p,
      id: p.id + off.staff,
      email: email(p.email),
      communityId: p.communityId === null ? null : p.communityId + off.community,
      gridIds: p.gridIds.map((g) => g + off.grid),
    })),
    visits: s.visits.map((v) => ({
      ...v,
      id: v.id + off.visit,
      householdId: v.householdId + off.household,
      visitorId: v.visitorId + off.staff,
      location: moved(v.location, dx, dy),
    })),
    patrols: s.patrols.map((p) => ({
      ...p,
      id: p.id + off.patrol,
      gridId: p.gridId + off.grid,
      staffId: p.staffId + off.staff,
      track: moved(p.track, dx, dy),
    })),
    issues,
    roads: s.roads.map((r) => ({ ...r, id: r.id + off.road, geometry: moved(r.geometry, dx, dy) })),
  };
}

const maxId = (rows: readonly { id: number }[], floor: number) => rows.reduce((m, r) => Math.max(m, r.id), floor);

/**
 * The district's streets in order, each ready for `loadDemoStreet`. Only one street's rows are
 * alive at a time if the caller drops each before asking for the next.
 */
export function* generateDemoDistrict(options: DemoDistrictOptions): Generator<DemoStreet, void, undefined> {
  checkOptions(options);
  const seed = options.seed ?? DEFAULT_DEMO_SEED;
  const cols = Math.ceil(Math.sqrt(options.streets));
  const issueCount = new Map<string, number>();
  let off: Offsets = ZERO;
  let pitch: [number, number] | null = null;
  for (let k = 0; k < options.streets; k++) {
    const raw = generateDemoStreet({
      today: options.today,
      seed: seed + k,
      communities: options.communitiesPerStreet,
      months: options.months,
    });
    // Streets of one size differ only by their random block widths (±12 %), so the first one's
    // extent, with room to spare, is a safe pitch for all.
    if (pitch === null) {
      const [w, s, e, n] = extent(raw);
      pitch = [(e - w) * SPACING, (n - s) * SPACING];
    }
    const dx = (k % cols) * pitch[0];
    const dy = -Math.floor(k / cols) * pitch[1];
    const street = place(raw, k, off, dx, dy, issueCount);
    off = {
      community: maxId(street.communities, off.community),
      grid: maxId(street.grids, off.grid),
      building: maxId(street.buildings, off.building),
      household: maxId(street.households, off.household),
      staff: maxId(street.staff, off.staff),
      visit: maxId(street.visits, off.visit),
      patrol: maxId(street.patrols, off.patrol),
      issue: maxId(street.issues, off.issue),
      road: maxId(street.roads, off.road),
    };
    yield street;
  }
}
