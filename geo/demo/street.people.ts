/**
 * Households and staff of the demo street. The category mix follows what grid workers report for
 * an old-town street of 东湖区: mostly ordinary families, a large elderly share, a few percent of
 * each vulnerable group, and tenants concentrated among recent arrivals.
 */

import type { HouseholdCategory, HouseholdClassification } from '../domain/household';
import { requiredIntervalDays } from '../domain/visit-policy';
import type { DemoHousehold, DemoStaff } from './demo-street.types';
import { GIVEN_NAMES, SURNAMES } from './names';
import { type Rng, weightedTable } from './random';
import type { BuildingInfo } from './street.buildings';
import type { StreetLayout } from './street.layout';
import { isoDate } from './street.time';

export interface HouseholdInfo {
  row: DemoHousehold;
  grid: number;
  /** Index into the building list. */
  building: number;
  movedIn: number;
  movedOut: number | null;
  interval: number;
}

/** Unique phone numbers across residents and staff: a duplicate would look like a data error. */
export class PhoneBook {
  private readonly used = new Set<string>();
  constructor(private readonly rng: Rng) {}
  next(): string {
    for (;;) {
      const prefix = this.rng.pick(['13', '13', '15', '18', '18']) + String(this.rng.int(0, 9));
      let rest = '';
      for (let i = 0; i < 8; i++) rest += String(this.rng.int(0, 9));
      const phone = prefix + rest;
      if (!this.used.has(phone)) {
        this.used.add(phone);
        return phone;
      }
    }
  }
}

type Generation = keyof typeof GIVEN_NAMES;

const SURNAME_TABLE = weightedTable(SURNAMES);

export function personName(rng: Rng, generation: Generation): string {
  return rng.fromTable(SURNAME_TABLE) + rng.pick(GIVEN_NAMES[generation]);
}

/** First (main) category of a household, as a fraction of all households. */
const MAIN_CATEGORY: readonly (readonly [HouseholdCategory, number])[] = [
  ['ordinary', 0.561],
  ['elderly', 0.13],
  ['empty_nest', 0.055],
  ['lonely_elderly', 0.02],
  ['low_income', 0.024],
  ['disabled', 0.018],
  ['seriously_ill', 0.006],
  ['difficult', 0.015],
  ['floating', 0.042],
  ['rental', 0.03],
  ['community_correction', 0.003],
  ['key_person', 0.003],
  ['petitioner', 0.005],
  ['unemployed', 0.02],
  ['military_family', 0.01],
  ['business', 0.04],
];

const MAIN_TABLE = weightedTable(MAIN_CATEGORY);

/** Second categories that come together in practice (a 低保 family with a disabled member…). */
const SECOND_CATEGORY: Partial<Record<HouseholdCategory, readonly (readonly [HouseholdCategory, number])[]>> = {
  elderly: [
    ['disabled', 0.04],
    ['low_income', 0.04],
    ['seriously_ill', 0.01],
    ['military_family', 0.02],
  ],
  empty_nest: [
    ['disabled', 0.08],
    ['seriously_ill', 0.03],
  ],
  lonely_elderly: [
    ['low_income', 0.3],
    ['disabled', 0.1],
  ],
  low_income: [
    ['disabled', 0.2],
    ['unemployed', 0.15],
    ['difficult', 0.15],
  ],
  disabled: [['low_income', 0.25]],
  difficult: [
    ['low_income', 0.3],
    ['unemployed', 0.15],
  ],
  floating: [['rental', 0.4]],
  rental: [['floating', 0.45]],
  unemployed: [['low_income', 0.15]],
  business: [['floating', 0.15]],
  petitioner: [['difficult', 0.1]],
};

const OLD_AGE: ReadonlySet<HouseholdCategory> = new Set(['elderly', 'empty_nest', 'lonely_elderly']);

interface Profile {
  categories: HouseholdCategory[];
  classification: HouseholdClassification;
  members: number;
  headName: string;
  /** Chance to have moved in during the last year: tenants come and go. */
  recentChance: number;
  /** Range of "years ago" for a long-standing household. */
  yearsAgo: readonly [number, number];
}

function profile(rng: Rng): Profile {
  const main = rng.fromTable(MAIN_TABLE);
  const categories: HouseholdCategory[] = [main];
  for (const [extra, p] of SECOND_CATEGORY[main] ?? []) {
    if (rng.chance(p)) {
      categories.push(extra);
      break;
    }
  }
  const has = (c: HouseholdCategory) => categories.includes(c);
  const old = categories.some((c) => OLD_AGE.has(c)) || (has('ordinary') && rng.chance(0.12));
  const tenant = has('floating') || has('rental');
  const generation: Generation = old ? 'old' : tenant && rng.chance(0.35) ? 'young' : 'middle';

  let classification: HouseholdClassification = 'reassured';
  if (has('community_correction') || has('key_person') || (has('petitioner') && rng.chance(0.7))) {
    classification = 'key_attention';
  } else {
    const basicChance = has('ordinary')
      ? 0.03
      : ['difficult', 'low_income', 'unemployed', 'floating', 'rental', 'petitioner'].some((c) => has(c as HouseholdCategory))
        ? 0.4
        : has('seriously_ill') || has('lonely_elderly')
          ? 0.3
          : 0.1;
    if (rng.chance(basicChance)) classification = 'basic';
    else if (!has('ordinary') && rng.chance(0.01)) classification = 'key_attention';
  }

  let members: number;
  if (has('lonely_elderly')) members = 1;
  else if (has('empty_nest')) members = rng.chance(0.3) ? 1 : 2;
  else if (has('elderly'))
    members = rng.weighted([
      [1, 0.2],
      [2, 0.45],
      [3, 0.25],
      [4, 0.1],
    ]);
  else if (tenant)
    members = rng.weighted([
      [1, 0.35],
      [2, 0.3],
      [3, 0.25],
      [4, 0.1],
    ]);
  else if (has('seriously_ill')) members = rng.int(2, 4);
  else
    members = rng.weighted([
      [1, 0.08],
      [2, 0.22],
      [3, 0.38],
      [4, 0.2],
      [5, 0.12],
    ]);

  return {
    categories,
    classification,
    members,
    headName: personName(rng, generation),
    recentChance: tenant ? 0.3 : 0.035,
    yearsAgo: old ? [8, 38] : tenant ? [1.1, 6] : [1.1, 26],
  };
}

interface Room {
  building: number;
  unit: string | null;
  room: string;
}

function roomsOf(b: BuildingInfo, index: number): Room[] {
  const rooms: Room[] = [];
  for (let u = 1; u <= b.units; u++) {
    for (let f = 1; f <= b.row.floors; f++) {
      for (let k = 1; k <= b.perFloor; k++) {
        rooms.push({
          building: index,
          // Low-rise houses have one stairway and no 单元.
          unit: b.kind === 'lowrise' ? null : `${u}单元`,
          room: `${f}${String(k).padStart(2, '0')}`,
        });
      }
    }
  }
  return rooms;
}

export interface HouseholdWindow {
  /** First day of the history (today − months). */
  start: number;
  today: number;
}

/**
 * Households of each grid: exactly `targets[g]` are current at today (moved in on or before
 * today, not moved out); about 3 % more moved out during the year, some followed by a new
 * household in the same flat. Ids run building by building, room by room, predecessor first.
 */
export function generateHouseholds(
  rng: Rng,
  buildings: readonly BuildingInfo[],
  targets: readonly number[],
  win: HouseholdWindow,
  phones: PhoneBook,
): HouseholdInfo[] {
  const byGrid = new Map<number, Room[]>();
  buildings.forEach((b, i) => {
    const list = byGrid.get(b.grid) ?? [];
    list.push(...roomsOf(b, i));
    byGrid.set(b.grid, list);
  });
  const out: HouseholdInfo[] = [];
  targets.forEach((target, grid) => {
    const rooms = byGrid.get(grid) ?? [];
    if (rooms.length < target) throw new Error(`grid ${grid}: ${rooms.length} rooms for ${target} households`);
    const order = rng.shuffle(rooms.map((_, i) => i));
    // Per room: the households that lived there, oldest first.
    const plan = new Map<number, { p: Profile; movedIn: number; movedOut: number | null }[]>();
    const longAgo = (p: Profile) => win.today - Math.round(365 * rng.float(p.yearsAgo[0], p.yearsAgo[1]));
    let movedOut = 0;
    for (const r of order.slice(0, target)) {
      const p = profile(rng);
      const recent = rng.chance(p.recentChance);
      const movedIn = recent ? rng.int(win.start + 1, win.today) : longAgo(p);
      const list: { p: Profile; movedIn: number; movedOut: number | null }[] = [];
      if (recent && movedIn - 1 > win.start + 1 && rng.chance(0.55)) {
        const prev = profile(rng);
        const out = rng.int(win.start + 1, movedIn - 1);
        list.push({ p: prev, movedIn: Math.min(longAgo(prev), out - 30), movedOut: out });
        movedOut++;
      }
      list.push({ p, movedIn, movedOut: null });
      plan.set(r, list);
    }
    // Flats left empty after their household moved away (to children, a new home…).
    const vacant = order.slice(target);
    const extra = Math.max(0, Math.round(target * 0.031) - movedOut);
    for (const r of vacant.slice(0, extra)) {
      const p = profile(rng);
      const out = rng.int(win.start + 1, win.today);
      plan.set(r, [{ p, movedIn: Math.min(longAgo(p), out - 30), movedOut: out }]);
    }
    rooms.forEach((room, r) => {
      for (const h of plan.get(r) ?? []) {
        out.push({
          row: {
            id: out.length + 1,
            buildingId: (buildings[room.building] as BuildingInfo).row.id,
            unit: room.unit,
            room: room.room,
            headName: h.p.headName,
            phone: phones.next(),
            members: h.p.members,
            categories: h.p.categories,
            classification: h.p.classification,
            movedIn: isoDate(h.movedIn),
            movedOut: h.movedOut === null ? null : isoDate(h.movedOut),
          },
          grid,
          building: room.building,
          movedIn: h.movedIn,
          movedOut: h.movedOut,
          interval: requiredIntervalDays(h.p.categories),
        });
      }
    });
  });
  return out;
}

export interface StaffPlan {
  staff: DemoStaff[];
  /** Staff id of each grid's leader, by grid index. */
  leaderOf: number[];
  /** Staff ids who visit each grid's households: its leader and its members. */
  teamOf: number[][];
  /** Community staff ids by community index. */
  communityStaffOf: number[][];
  streetLeaderId: number;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

function neighbours(layout: StreetLayout, a: number, b: number): boolean {
  const nx = layout.lattice.nx;
  const cellsB = new Set(layout.grids[b]?.cells ?? []);
  return (layout.grids[a]?.cells ?? []).some(
    (c) => (cellsB.has(c + 1) && (c + 1) % nx !== 0) || (cellsB.has(c - 1) && c % nx !== 0) || cellsB.has(c + nx) || cellsB.has(c - nx),
  );
}

/**
 * Staff in the order the brief's accounts expect: street@, community@ (first community's first
 * worker), grid01@… (leaders in grid order), member01@… (members in grid order), presenter@.
 * In each community one member serves two neighbouring grids, as 网格员 often do.
 */
export function generateStaff(rng: Rng, layout: StreetLayout, phones: PhoneBook): StaffPlan {
  const staff: DemoStaff[] = [];
  const add = (s: Omit<DemoStaff, 'id' | 'phone' | 'name'>, generation: Generation = 'middle') => {
    const row: DemoStaff = { id: staff.length + 1, name: personName(rng, generation), phone: phones.next(), ...s };
    staff.push(row);
    return row.id;
  };
  const streetLeaderId = add({ role: 'street_leader', email: 'street@demo.local', communityId: null, gridIds: [] });
  let communityNo = 0;
  const communityStaffOf = layout.communities.map((_, ci) =>
    Array.from({ length: rng.int(1, 2) }, () => {
      communityNo++;
      const email = communityNo === 1 ? 'community@demo.local' : `community${pad2(communityNo)}@demo.local`;
      return add({ role: 'community_staff', email, communityId: ci + 1, gridIds: [] });
    }),
  );
  const leaderOf = layout.grids.map((g, gi) =>
    add({ role: 'grid_leader', email: `grid${pad2(gi + 1)}@demo.local`, communityId: g.community + 1, gridIds: [gi + 1] }),
  );
  // One shared member per community, between the first pair of neighbouring grids found.
  const sharedWith = new Map<number, number>();
  for (const c of layout.communities) {
    const pairs: [number, number][] = [];
    for (const a of c.grids) for (const b of c.grids) if (a < b && neighbours(layout, a, b)) pairs.push([a, b]);
    if (pairs.length > 0) {
      const [a, b] = rng.pick(pairs);
      sharedWith.set(a, b);
    }
  }
  const teamOf: number[][] = layout.grids.map((_, gi) => [leaderOf[gi] as number]);
  let memberNo = 0;
  const addMember = (gridIdxs: number[]) => {
    memberNo++;
    const grid = layout.grids[gridIdxs[0] as number];
    const id = add(
      {
        role: 'grid_member',
        email: `member${pad2(memberNo)}@demo.local`,
        communityId: (grid?.community ?? 0) + 1,
        gridIds: gridIdxs.map((g) => g + 1),
      },
      rng.chance(0.3) ? 'young' : 'middle',
    );
    for (const g of gridIdxs) teamOf[g]?.push(id);
  };
  const servedBefore = new Set<number>();
  layout.grids.forEach((_, gi) => {
    const partner = sharedWith.get(gi);
    if (partner !== undefined) {
      addMember([gi, partner]);
      servedBefore.add(partner);
      if (rng.chance(0.5)) addMember([gi]);
    } else if (servedBefore.has(gi)) {
      if (rng.chance(0.5)) addMember([gi]);
    } else {
      addMember([gi]);
      if (rng.chance(0.55)) addMember([gi]);
    }
  });
  add({ role: 'presenter', email: 'presenter@demo.local', communityId: null, gridIds: [] });
  return { staff, leaderOf, teamOf, communityStaffOf, streetLeaderId };
}
