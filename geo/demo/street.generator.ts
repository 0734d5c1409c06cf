/**
 * Deterministic demo street: 豫章街道 in 南昌市东湖区 with its communities, grids, buildings,
 * households, staff and a year of visits, patrols and issues. Pure — no I/O, no clock, no
 * Math.random — because geo/ runs in the browser and on the server alike and the same options
 * must give the same street everywhere (api/db/seed.ts loads it; tests check it).
 *
 * Each stage draws from its own fork of the seeded generator, so changing how issues are made
 * does not move a single building.
 */
import type { DemoStreet, DemoStreetOptions } from './demo-street.types';
import { COMMUNITY_STEMS, chineseNumber, nthName, type PublicBuildingKind } from './names';
import { Rng } from './random';
import { generatePatrols, generateVisits } from './street.activity';
import { type GridBuildingPlan, type GridCharacter, layBuildings, type PublicPlacement } from './street.buildings';
import { assignDiligence } from './street.diligence';
import { generateIssues } from './street.issues';
import { planStreet, traceBoundary, traceRoads } from './street.layout';
import { generateHouseholds, generateStaff, PhoneBook } from './street.people';
import { monthsBefore, parseIsoDate } from './street.time';

export const DEFAULT_DEMO_SEED = 20261122;
export const DEFAULT_DEMO_COMMUNITIES = 3;
export const DEFAULT_DEMO_MONTHS = 12;

/** 360102 is 东湖区; the street's own three digits follow. */
const STREET_CODE = '360102001';
const STREET_NAME = '豫章街道';

/** Households current at today per grid: the 200–300 of 002 篇二, kept off the edges. */
const HOUSEHOLDS_PER_GRID: readonly [number, number] = [215, 290];

const pad3 = (n: number) => String(n).padStart(3, '0');

function checkOptions(o: DemoStreetOptions): { seed: number; communities: number; months: number; today: number } {
  const seed = o.seed ?? DEFAULT_DEMO_SEED;
  const communities = o.communities ?? DEFAULT_DEMO_COMMUNITIES;
  const months = o.months ?? DEFAULT_DEMO_MONTHS;
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  // Beyond ~100 communities a year of visits runs into millions of rows and gigabytes.
  if (!Number.isInteger(communities) || communities < 1 || communities > 100) {
    throw new RangeError(`communities must be an integer 1..100, got ${communities}`);
  }
  if (!Number.isInteger(months) || months < 1 || months > 60) {
    throw new RangeError(`months must be an integer 1..60, got ${months}`);
  }
  return { seed, communities, months, today: parseIsoDate(o.today) };
}

/**
 * Public buildings (no households): a 党群服务中心 per community, and schools, kindergartens,
 * markets and health stations in proportion to the street's size, in distinct grids where possible.
 */
function placePublicBuildings(rng: Rng, gridCommunity: readonly number[], stems: readonly string[]): PublicPlacement[] {
  const n = stems.length;
  const out: PublicPlacement[] = [];
  const byCommunity = stems.map((_, ci) => gridCommunity.flatMap((c, gi) => (c === ci ? [gi] : [])));
  byCommunity.forEach((grids, ci) => out.push({ kind: 'centre', grid: rng.pick(grids), communityStem: stems[ci] as string }));
  const counts: [PublicBuildingKind, number][] = [
    ['school', Math.max(1, Math.round(n * 0.7))],
    ['kindergarten', Math.max(1, Math.round(n * 0.6))],
    ['market', Math.max(1, Math.round(n * 0.5))],
    ['health', Math.max(1, Math.round(n * 0.4))],
  ];
  let pool: number[] = [];
  for (const [kind, count] of counts) {
    for (let k = 0; k < count; k++) {
      if (pool.length === 0) pool = rng.shuffle(gridCommunity.map((_, gi) => gi));
      const grid = pool.pop() as number;
      out.push({ kind, grid, communityStem: stems[gridCommunity[grid] as number] as string });
    }
  }
  return out;
}

export function generateDemoStreet(options: DemoStreetOptions): DemoStreet {
  const { seed, communities: n, months, today } = checkOptions(options);
  const start = monthsBefore(today, months);
  const root = new Rng(seed);

  const layout = planStreet(root.fork('layout'), n);
  const naming = root.fork('naming');
  const stems = naming
    .shuffle([...COMMUNITY_STEMS.keys()])
    .concat(Array.from({ length: Math.max(0, n - COMMUNITY_STEMS.length) }, (_, k) => COMMUNITY_STEMS.length + k));
  const communityStems = layout.communities.map((_, ci) => nthName(COMMUNITY_STEMS, stems[ci] as number));

  const streetCells = layout.grids.flatMap((g) => g.cells);
  const street = { id: 1, code: STREET_CODE, name: STREET_NAME, boundary: traceBoundary(layout.lattice, streetCells) };
  const communityRows = layout.communities.map((c, ci) => ({
    id: ci + 1,
    streetId: street.id,
    code: STREET_CODE + pad3(ci + 1),
    name: `${communityStems[ci]}社区`,
    boundary: traceBoundary(
      layout.lattice,
      c.grids.flatMap((gi) => layout.grids[gi]?.cells ?? []),
    ),
  }));

  // Each grid's size in households, and how it is built up, decide its buildings.
  const sizing = root.fork('sizing');
  const targets = layout.grids.map(() => sizing.int(HOUSEHOLDS_PER_GRID[0], HOUSEHOLDS_PER_GRID[1]));
  const plans: GridBuildingPlan[] = targets.map((t, grid) => ({
    grid,
    character: sizing.weighted<GridCharacter>([
      ['old', 0.4],
      ['mixed', 0.42],
      ['modern', 0.18],
    ]),
    // Some flats stand empty (vacancy 4–10 %), so the rooms exceed the households.
    capacity: Math.ceil(t / (1 - sizing.float(0.04, 0.1))),
  }));
  const publics = placePublicBuildings(
    root.fork('public'),
    layout.grids.map((g) => g.community),
    communityStems,
  );
  const buildings = layBuildings(root.fork('buildings'), layout, plans, publics);

  const phones = new PhoneBook(root.fork('phones'));
  const households = generateHouseholds(root.fork('households'), buildings, targets, { start, today }, phones);
  const staff = generateStaff(root.fork('staff'), layout, phones);
  const diligence = assignDiligence(root.fork('diligence'), layout.grids.length, today, start);

  const gridRows = layout.grids.map((g, gi) => {
    const community = communityRows[g.community];
    if (!community) throw new Error(`grid ${gi} has no community`);
    const k = gi + 1 - (layout.communities[g.community]?.grids[0] ?? 0);
    return {
      id: gi + 1,
      communityId: community.id,
      code: community.code + pad3(k),
      name: `${community.name}第${chineseNumber(k)}网格`,
      leaderId: staff.leaderOf[gi] as number,
      boundary: traceBoundary(layout.lattice, g.cells),
      // Today's diligence; a team that changed during the year shows its current self.
      diligence: Math.round((diligence[gi]?.after ?? 0) * 100) / 100,
    };
  });

  const win = { start, today };
  const visits = generateVisits(root.fork('visits'), households, buildings, staff, diligence, win);
  const patrols = generatePatrols(root.fork('patrols'), layout, staff, diligence, win);
  const issues = generateIssues(root.fork('issues'), {
    layout,
    buildings,
    households,
    staff,
    diligence,
    start,
    today,
    phones,
  });

  return {
    demo: true,
    seed,
    today: options.today,
    street,
    communities: communityRows,
    grids: gridRows,
    buildings: buildings.map((b) => b.row),
    households: households.map((h) => h.row),
    staff: staff.staff,
    visits,
    patrols,
    issues,
    roads: traceRoads(layout.lattice, streetCells).map((r, k) => ({
      id: k + 1,
      name: r.name,
      kind: r.kind,
      geometry: { type: 'MultiLineString' as const, coordinates: r.coordinates },
    })),
  };
}
