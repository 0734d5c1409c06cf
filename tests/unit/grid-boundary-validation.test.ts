/**
 * The grid boundary validator (geo/geometry/grid-boundary.validation.ts) on the demo street, on
 * hand-made broken geometry, and on the real Monaco quartiers and buildings from OpenStreetMap.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { area, bbox, bboxPolygon, booleanPointInPolygon, difference, feature, featureCollection, intersect, union } from '@turf/turf';
import type { Feature, MultiPolygon, Polygon, Position } from 'geojson';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateDemoStreet } from '../../geo/demo/street.generator';
import {
  type Areal,
  BOUNDARY_PROBLEM,
  BOUNDARY_PROBLEM_CODES,
  BOUNDARY_PROBLEM_MESSAGE,
  type BoundaryBuilding,
  type BoundaryProblem,
  BUILDING_WHOLE_SHARE,
  GAP_TOLERANCE_M2,
  type GridBoundaryInput,
  type GridBoundaryResult,
  OUTSIDE_TOLERANCE_M2,
  OVERLAP_TOLERANCE_M2,
  RING_DEFECT,
  validateGridBoundary,
} from '../../geo/geometry/grid-boundary.validation';
import { requiredVisitsPerMonth } from '../../geo/geometry/grid-workload';
import { pointOnSurface } from '../../geo/geometry/point-on-surface';
import '../../geo/i18n/all-locales';
import { LOCALES, translate } from '../../geo/i18n/strings';
import { describeEachMigratedDatabase } from '../support/each-database';
import { describeWith, type Prerequisite } from '../support/prerequisites';

// ---------------------------------------------------------------------------------------------
// The demo street as the validator's input
// ---------------------------------------------------------------------------------------------

const TODAY = '2026-11-15';
const street = generateDemoStreet({ today: TODAY });
const POLICY = { householdsMin: 200, householdsMax: 300 };

const perBuilding = new Map<number, { households: number; visits: number }>();
for (const h of street.households) {
  if (h.movedIn > TODAY || (h.movedOut !== null && h.movedOut <= TODAY)) continue;
  const e = perBuilding.get(h.buildingId) ?? { households: 0, visits: 0 };
  e.households += 1;
  e.visits += requiredVisitsPerMonth(h.categories);
  perBuilding.set(h.buildingId, e);
}
const demoBuildings: BoundaryBuilding[] = street.buildings.map((b) => ({
  id: b.id,
  footprint: b.footprint,
  households: perBuilding.get(b.id)?.households ?? 0,
  requiredVisitsPerMonth: perBuilding.get(b.id)?.visits ?? 0,
}));

const gridById = new Map(street.grids.map((g) => [g.id, g]));
const grid = (id: number) => {
  const g = gridById.get(id);
  if (!g) throw new Error(`no grid ${id}`);
  return g;
};

function demoInput(gridId: number, geometry: Areal = grid(gridId).boundary): GridBoundaryInput {
  const g = grid(gridId);
  const community = street.communities.find((c) => c.id === g.communityId);
  if (!community) throw new Error(`grid ${gridId} has no community`);
  return {
    gridId,
    geometry,
    community: { id: community.id, boundary: community.boundary },
    neighbours: street.grids.filter((n) => n.communityId === g.communityId).map((n) => ({ id: n.id, boundary: n.boundary })),
    buildings: demoBuildings,
    policy: POLICY,
    oldBoundary: g.boundary,
  };
}

const codes = (r: GridBoundaryResult) => [...new Set(r.problems.map((p) => p.code))].sort();
const ofCode = (r: GridBoundaryResult, code: string) => r.problems.filter((p) => p.code === code);
const sumArea = (ps: readonly BoundaryProblem[]) => ps.reduce((s, p) => s + (p.details.areaM2 as number), 0);
const ringOf = (g: MultiPolygon) => g.coordinates[0]?.[0] as Position[];
const same = (a: Position, b: Position) => a[0] === b[0] && a[1] === b[1];

/**
 * A vertex in the middle of an edge that grid 1 shares with exactly one neighbour of its
 * community (its ring neighbours lie on that edge too), and a building on each side of it.
 */
function sharedVertex() {
  const g1 = grid(1);
  const ring = ringOf(g1.boundary);
  const n = ring.length - 1;
  for (let i = 0; i < n; i++) {
    const [prev, v, next] = [ring[(i - 1 + n) % n], ring[i], ring[i + 1]] as [Position, Position, Position];
    const holders = street.grids.filter((g) => g.id !== 1 && ringOf(g.boundary).some((p) => same(p, v)));
    const other = holders[0];
    if (holders.length !== 1 || !other || other.communityId !== g1.communityId) continue;
    const otherRing = ringOf(other.boundary);
    if (!otherRing.some((p) => same(p, prev)) || !otherRing.some((p) => same(p, next))) continue;
    const nearest = (gridId: number) =>
      street.buildings
        .filter((b) => b.gridId === gridId)
        .map((b) => ({ b, p: pointOnSurface(b.footprint) as Position }))
        .sort((x, y) => Math.hypot(x.p[0]! - v[0]!, x.p[1]! - v[1]!) - Math.hypot(y.p[0]! - v[0]!, y.p[1]! - v[1]!))[0]!;
    return { index: i, neighbour: other.id, into: nearest(other.id), inward: nearest(1) };
  }
  throw new Error('grid 1 shares no straight edge with a neighbour of its community');
}

/** Grid 1 with one vertex (and, for the first, the closing position) moved. */
function moveVertex(index: number, to: Position): MultiPolygon {
  const ring = ringOf(grid(1).boundary).map((p) => [...p]);
  ring[index] = [...to];
  if (index === 0) ring[ring.length - 1] = [...to];
  return { type: 'MultiPolygon', coordinates: [[ring]] };
}

// ---------------------------------------------------------------------------------------------

describe('validateGridBoundary on the demo street', () => {
  it('accepts every grid’s current boundary against its neighbours and community', () => {
    for (const g of street.grids) {
      const r = validateGridBoundary(demoInput(g.id));
      expect(r.problems, `grid ${g.id}`).toEqual([]);
      expect(r.valid).toBe(true);
    }
  });

  it('counts exactly the buildings the database assigns to each grid, with their households and visits', () => {
    for (const g of street.grids) {
      const { summary } = validateGridBoundary(demoInput(g.id));
      const mine = street.buildings.filter((b) => b.gridId === g.id).map((b) => b.id);
      expect(summary.buildingsIn).toEqual(mine);
      expect(summary.households).toBe(mine.reduce((s, id) => s + (perBuilding.get(id)?.households ?? 0), 0));
      expect(summary.workloadPerMonth).toBeCloseTo(
        mine.reduce((s, id) => s + (perBuilding.get(id)?.visits ?? 0), 0),
        9,
      );
    }
  });

  it('reports the area a vertex dragged into the neighbour takes from it', () => {
    const { index, neighbour, into } = sharedVertex();
    const moved = moveVertex(index, into.p);
    const r = validateGridBoundary(demoInput(1, moved));
    const overlaps = ofCode(r, BOUNDARY_PROBLEM.OVERLAPS_GRID);
    expect(overlaps.length).toBeGreaterThan(0);
    expect(overlaps.every((p) => p.details.gridId === neighbour && p.geometry.type === 'Polygon')).toBe(true);
    // All the area gained lies in the neighbour.
    expect(sumArea(overlaps)).toBeCloseTo(area(moved) - area(grid(1).boundary), 0);
    expect(r.valid).toBe(false);
  });

  it('reports the building that the dragged edge cuts, with the share inside', () => {
    const { index, into } = sharedVertex();
    const r = validateGridBoundary(demoInput(1, moveVertex(index, into.p)));
    const cut = ofCode(r, BOUNDARY_PROBLEM.CUTS_BUILDING).find((p) => p.details.buildingId === into.b.id);
    expect(cut?.geometry).toEqual(into.b.footprint);
    expect(cut?.details.insideShare).toBeGreaterThan(1 - BUILDING_WHOLE_SHARE);
    expect(cut?.details.insideShare).toBeLessThan(BUILDING_WHOLE_SHARE);
  });

  it('reports the gap a vertex pulled inwards leaves, and no overlap', () => {
    const { index, inward } = sharedVertex();
    const moved = moveVertex(index, inward.p);
    const r = validateGridBoundary(demoInput(1, moved));
    const gaps = ofCode(r, BOUNDARY_PROBLEM.LEAVES_GAP);
    expect(gaps.length).toBeGreaterThan(0);
    expect(sumArea(gaps)).toBeCloseTo(area(grid(1).boundary) - area(moved), 0);
    expect(ofCode(r, BOUNDARY_PROBLEM.OVERLAPS_GRID)).toEqual([]);
  });

  it('computes no gap without the old boundary', () => {
    const { index, inward } = sharedVertex();
    const { oldBoundary: _, ...input } = demoInput(1, moveVertex(index, inward.p));
    expect(ofCode(validateGridBoundary(input), BOUNDARY_PROBLEM.LEAVES_GAP)).toEqual([]);
  });

  it('reports the part of a boundary larger than the community that lies outside it', () => {
    const community = street.communities.find((c) => c.id === grid(1).communityId)!;
    const [w, s, e, n] = bbox(community.boundary);
    const big = bboxPolygon([w - 0.001, s - 0.001, e + 0.001, n + 0.001]).geometry;
    const r = validateGridBoundary(demoInput(1, big));
    const outside = ofCode(r, BOUNDARY_PROBLEM.OUTSIDE_COMMUNITY);
    expect(outside.every((p) => p.details.communityId === community.id)).toBe(true);
    const expected = area(big) - area(community.boundary);
    expect(Math.abs(sumArea(outside) - expected) / expected).toBeLessThan(1e-3);
  });

  it('reports a grid with more households than the policy allows', () => {
    const { summary } = validateGridBoundary(demoInput(1));
    const r = validateGridBoundary({ ...demoInput(1), policy: { householdsMin: 1, householdsMax: summary.households - 1 } });
    expect(r.problems).toEqual([
      {
        code: BOUNDARY_PROBLEM.HOUSEHOLDS_OUT_OF_RANGE,
        geometry: grid(1).boundary,
        details: { households: summary.households, min: 1, max: summary.households - 1 },
      },
    ]);
  });

  it('reports a grid whose monthly visits exceed the policy’s workload range', () => {
    const { summary } = validateGridBoundary(demoInput(1));
    const r = validateGridBoundary({ ...demoInput(1), policy: { ...POLICY, workloadMax: Math.floor(summary.workloadPerMonth) - 1 } });
    expect(codes(r)).toEqual([BOUNDARY_PROBLEM.WORKLOAD_OUT_OF_RANGE]);
    expect(r.problems[0]?.details.workloadPerMonth).toBeCloseTo(summary.workloadPerMonth, 1);
  });
});

// ---------------------------------------------------------------------------------------------
// Broken geometry: a list of problems, never an exception
// ---------------------------------------------------------------------------------------------

const A: Position = [115.905, 28.625];
const B: Position = [115.906, 28.625];
const C: Position = [115.906, 28.626];
const D: Position = [115.905, 28.626];
const polygon = (...rings: Position[][]): Polygon => ({ type: 'Polygon', coordinates: rings });

describe('validateGridBoundary on broken geometry', () => {
  it('reports a bow-tie as a self-intersection where its edges cross, without throwing', () => {
    const r = validateGridBoundary(demoInput(1, polygon([A, C, B, D, A])));
    expect(codes(r)).toEqual([BOUNDARY_PROBLEM.SELF_INTERSECTION]);
    const [x, y] = (r.problems[0]?.geometry.coordinates ?? []) as number[];
    expect(x).toBeCloseTo(115.9055, 9);
    expect(y).toBeCloseTo(28.6255, 9);
    expect(r.summary).toEqual({ households: 0, workloadPerMonth: 0, buildingsIn: [] });
  });

  it('reports a ring that runs back along its own edge as a self-intersection', () => {
    const spike: Position = [115.9065, 28.6255];
    const r = validateGridBoundary(demoInput(1, polygon([A, B, [115.906, 28.6255], spike, [115.906, 28.6255], C, D, A])));
    expect(codes(r)).toEqual([BOUNDARY_PROBLEM.SELF_INTERSECTION]);
  });

  it('does not take a repeated position for a self-intersection', () => {
    const r = validateGridBoundary({ ...demoInput(1, polygon([A, B, B, C, D, A])), oldBoundary: undefined });
    expect(codes(r)).not.toContain(BOUNDARY_PROBLEM.SELF_INTERSECTION);
    expect(codes(r)).not.toContain(BOUNDARY_PROBLEM.INVALID_RING);
  });

  it.each([
    ['a ring of 3 positions', polygon([A, B, A]), RING_DEFECT.TOO_FEW_POSITIONS],
    ['a ring of 4 positions with 2 distinct', polygon([A, B, B, A]), RING_DEFECT.TOO_FEW_POSITIONS],
    ['a ring that does not close', polygon([A, B, C, D]), RING_DEFECT.NOT_CLOSED],
    ['a NaN longitude', polygon([A, B, [Number.NaN, 28.626], D, A]), RING_DEFECT.BAD_COORDINATE],
    ['a latitude beyond 90', polygon([A, B, [115.906, 91], D, A]), RING_DEFECT.BAD_COORDINATE],
    ['a position of one number', polygon([A, B, [115.906] as Position, D, A]), RING_DEFECT.BAD_COORDINATE],
    ['a string for a coordinate', polygon([A, B, ['115.906', 28.626] as unknown as Position, D, A]), RING_DEFECT.BAD_COORDINATE],
    ['collinear corners', polygon([A, B, [115.907, 28.625], A]), RING_DEFECT.ZERO_AREA],
    ['a hole of 3 positions', polygon([A, B, C, D, A], [A, B, A]), RING_DEFECT.TOO_FEW_POSITIONS],
    ['an empty MultiPolygon', { type: 'MultiPolygon', coordinates: [] } as MultiPolygon, RING_DEFECT.EMPTY],
    ['a polygon without rings', polygon(), RING_DEFECT.EMPTY],
    ['a LineString', { type: 'LineString', coordinates: [A, B] } as unknown as Polygon, RING_DEFECT.NOT_POLYGON],
    ['null', null as unknown as Polygon, RING_DEFECT.NOT_POLYGON],
  ])('reports %s as an invalid ring located on the map', (_, geometry, defect) => {
    const r = validateGridBoundary(demoInput(1, geometry));
    expect(r.valid).toBe(false);
    expect(r.problems.map((p) => [p.code, p.details.defect])).toContainEqual([BOUNDARY_PROBLEM.INVALID_RING, defect]);
    for (const p of r.problems) {
      expect(p.geometry.type).toBe('Point');
      expect((p.geometry.coordinates as number[]).every(Number.isFinite)).toBe(true);
    }
  });

  it('treats a context of the wrong shape as a programmer error', () => {
    const input = demoInput(1);
    // null is a community without a boundary yet (issue 18); a point is a programmer's mistake.
    expect(() =>
      validateGridBoundary({ ...input, community: { id: 1, boundary: { type: 'Point', coordinates: [0, 0] } as unknown as Polygon } }),
    ).toThrow(TypeError);
    expect(() => validateGridBoundary({ ...input, policy: { householdsMin: 300, householdsMax: 200 } })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Building assignment: the database's rule
// ---------------------------------------------------------------------------------------------

// Two squares, about 98 m × 111 m, sharing the edge x = 115.906: grids 1 and 2 of a community.
const west = polygon([A, B, C, D, A]);
const east = polygon([B, [115.907, 28.625], [115.907, 28.626], C, B]);
const squares = union(featureCollection([feature(west), feature(east)]))!.geometry;

describe('validateGridBoundary tolerances', () => {
  /** The west square with one edge moved east by dx degrees (1e-7° ≈ 1 m² along this edge). */
  const moved = (edge: 'east' | 'west', dx: number): Polygon => {
    const shift = (p: Position, on: boolean): Position => (on ? [p[0]! + dx, p[1]!] : p);
    const e = edge === 'east';
    return polygon([shift(A, !e), shift(B, e), shift(C, e), shift(D, !e), shift(A, !e)]);
  };
  const check = (geometry: Polygon) =>
    validateGridBoundary({
      gridId: 1,
      geometry,
      community: { id: 1, boundary: squares },
      neighbours: [
        { id: 1, boundary: west },
        { id: 2, boundary: east },
      ],
      buildings: [],
      policy: { householdsMin: 0, householdsMax: 0 },
      oldBoundary: west,
    });

  it.each([
    [BOUNDARY_PROBLEM.OVERLAPS_GRID, 'east', 1, OVERLAP_TOLERANCE_M2],
    [BOUNDARY_PROBLEM.LEAVES_GAP, 'east', -1, GAP_TOLERANCE_M2],
    [BOUNDARY_PROBLEM.OUTSIDE_COMMUNITY, 'west', -1, OUTSIDE_TOLERANCE_M2],
  ] as const)('ignores %s pieces up to the tolerance and reports larger ones', (code, edge, sign, tolerance) => {
    const below = moved(edge, sign * 0.4e-7 * tolerance);
    const above = moved(edge, sign * 2e-7 * tolerance);
    expect(check(below).problems).toEqual([]);
    const reported = check(above).problems;
    expect(reported.map((p) => p.code)).toEqual([code]);
    expect(reported[0]?.details.areaM2).toBeGreaterThan(tolerance);
    expect(reported[0]?.details.areaM2).toBeLessThan(3 * tolerance);
  });
});

describe('validateGridBoundary assigns buildings as the database does', () => {
  const community = squares;
  const across = polygon([
    [115.9059, 28.6254],
    [115.9061, 28.6254],
    [115.9061, 28.6256],
    [115.9059, 28.6256],
    [115.9059, 28.6254],
  ]);
  const input = (gridId: number, building: Partial<BoundaryBuilding>): GridBoundaryInput => ({
    gridId,
    geometry: gridId === 1 ? west : east,
    community: { id: 1, boundary: community },
    neighbours: [
      { id: 1, boundary: west },
      { id: 2, boundary: east },
    ],
    buildings: [{ id: 7, footprint: across, households: 10, requiredVisitsPerMonth: 1, ...building }],
    policy: { householdsMin: 0, householdsMax: 1000 },
  });

  it('gives a building whose point lies on a shared edge to the lower grid id', () => {
    // The square's ST_PointOnSurface is its centre, on the shared edge.
    expect(pointOnSurface(across)).toEqual([115.906, 28.6255]);
    expect(validateGridBoundary(input(1, {})).summary.buildingsIn).toEqual([7]);
    expect(validateGridBoundary(input(2, {})).summary.buildingsIn).toEqual([]);
  });

  it('uses the point on surface the caller passes', () => {
    const r = validateGridBoundary(input(2, { pointOnSurface: [115.90605, 28.6255] }));
    expect(r.summary).toEqual({ households: 10, workloadPerMonth: 1, buildingsIn: [7] });
  });
});

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

describe('boundary problem messages', () => {
  it('render every problem in every locale with all placeholders filled', () => {
    const { index, into, inward } = sharedVertex();
    const results = [
      validateGridBoundary(demoInput(1, moveVertex(index, into.p))),
      validateGridBoundary(demoInput(1, moveVertex(index, inward.p))),
      validateGridBoundary(demoInput(1, bboxPolygon(bbox(street.street.boundary)).geometry)),
      validateGridBoundary(demoInput(1, polygon([A, C, B, D, A]))),
      validateGridBoundary(demoInput(1, polygon([A, B, A]))),
      validateGridBoundary({ ...demoInput(1), policy: { householdsMin: 1, householdsMax: 2, workloadMin: 0, workloadMax: 1 } }),
    ];
    const problems = results.flatMap((r) => r.problems);
    const seen = new Set(problems.map((p) => p.code));
    expect([...seen].sort()).toEqual(BOUNDARY_PROBLEM_CODES.filter((c) => c !== BOUNDARY_PROBLEM.OVERLAY_FAILED).sort());
    for (const locale of LOCALES) {
      for (const code of BOUNDARY_PROBLEM_CODES) expect(translate(locale, BOUNDARY_PROBLEM_MESSAGE[code])).not.toBe('');
      for (const p of problems) {
        const text = translate(locale, BOUNDARY_PROBLEM_MESSAGE[p.code], p.details as Record<string, string | number>);
        expect(text, `${locale} ${p.code}`).not.toMatch(/\{\w+\}/);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// ST_PointOnSurface: the TypeScript port against PostGIS itself
// ---------------------------------------------------------------------------------------------

describeEachMigratedDatabase('pointOnSurface is PostGIS’s ST_PointOnSurface', (_mode, db) => {
  it('returns the same point, bit for bit, for every demo footprint and odd shapes', async () => {
    const shapes: Areal[] = [
      ...street.buildings.map((b) => b.footprint),
      ...street.grids.map((g) => g.boundary),
      // An L, a courtyard, and two parts of which the second is wider.
      polygon([A, B, [115.906, 28.6252], [115.9052, 28.6252], [115.9052, 28.626], D, A]),
      polygon(
        [A, B, C, D, A],
        [
          [115.9052, 28.6252],
          [115.9052, 28.6258],
          [115.9058, 28.6258],
          [115.9058, 28.6252],
          [115.9052, 28.6252],
        ],
      ),
      { type: 'MultiPolygon', coordinates: [[[A, [115.9052, 28.625], [115.9052, 28.626], A]], [[B, [115.908, 28.625], C, B]]] },
    ];
    const rows = await db().query<{ i: number; x: number; y: number }>(
      `select (e.ordinality - 1)::int as i, ST_X(p) as x, ST_Y(p) as y
         from json_array_elements($1::json) with ordinality as e(g, ordinality),
              lateral (select ST_PointOnSurface(ST_GeomFromGeoJSON(e.g::text)) as p) s
        order by e.ordinality`,
      [JSON.stringify(shapes)],
    );
    expect(rows.map((r) => [r.x, r.y])).toEqual(shapes.map((s) => pointOnSurface(s)));
  });
});

// ---------------------------------------------------------------------------------------------
// Real data: the Monaco quartiers as the grids of one community
// ---------------------------------------------------------------------------------------------

const MONACO = fileURLToPath(new URL('../../../shared/realdata/monaco/', import.meta.url));
function realdataPrerequisite(): Prerequisite {
  return fs.existsSync(`${MONACO}quartiers.geojson`) && fs.existsSync(`${MONACO}buildings.geojson`)
    ? { ok: true, reason: '' }
    : { ok: false, reason: `${MONACO} is missing (the shared real OpenStreetMap data, see ../shared/realdata/README.md)` };
}

const TOLERANCE: Record<string, number> = {
  OVERLAPS_GRID: OVERLAP_TOLERANCE_M2,
  LEAVES_GAP: GAP_TOLERANCE_M2,
  OUTSIDE_COMMUNITY: OUTSIDE_TOLERANCE_M2,
};

interface Quartier {
  id: number;
  name: string;
  boundary: MultiPolygon;
}

/** The quartiers as grids of one community (their union), and the buildings in its box. */
function loadMonaco() {
  const read = <T>(file: string) => JSON.parse(fs.readFileSync(`${MONACO}${file}`, 'utf8')) as { features: T[] };
  const quartiers = read<Feature<MultiPolygon, { name: string }>>('quartiers.geojson').features;
  const grids: Quartier[] = quartiers.map((f, k) => ({ id: k + 1, name: f.properties.name, boundary: f.geometry }));
  const community = union(featureCollection(quartiers))!.geometry;
  const box = bbox(community);
  // Monaco and the French streets around it, more than the server would pass; ids by position.
  const buildings: BoundaryBuilding[] = read<Feature<MultiPolygon>>('buildings.geojson')
    .features.map((f, k) => ({ id: k + 1, footprint: f.geometry, households: 1, requiredVisitsPerMonth: 0.2 }))
    .filter((b) => {
      const [w, s, e, n] = bbox(b.footprint);
      return w <= box[2] && box[0] <= e && s <= box[3] && box[1] <= n;
    });
  return { grids, community, buildings };
}

describeWith(realdataPrerequisite(), 'validateGridBoundary on the Monaco quartiers (OpenStreetMap)', () => {
  // Loaded in a hook: a skipped suite's body still runs, and must not read missing files.
  let grids: Quartier[];
  let community: Areal;
  let buildings: BoundaryBuilding[];
  let own: { g: Quartier; result: GridBoundaryResult }[];
  const input = (g: Quartier, geometry: Areal = g.boundary): GridBoundaryInput => ({
    gridId: g.id,
    geometry,
    community: { id: 1, boundary: community },
    neighbours: grids,
    buildings,
    policy: { householdsMin: 0, householdsMax: 100_000 },
    oldBoundary: g.boundary,
  });

  beforeAll(() => {
    ({ grids, community, buildings } = loadMonaco());
    own = grids.map((g) => ({ g, result: validateGridBoundary(input(g)) }));
  });
  /** Coordinates rounded to 1e-5° (about 1 m), as a lossy export or a careless editor leaves them. */
  const roundedTo1m = (g: MultiPolygon): MultiPolygon => {
    const r5 = (v: number) => Math.round(v * 1e5) / 1e5;
    return { type: 'MultiPolygon', coordinates: g.coordinates.map((p) => p.map((ring) => ring.map(([x, y]) => [r5(x!), r5(y!)]))) };
  };
  /** Each quartier's rounded boundary checked once, for the two tests that read the result. */
  const checkedRounded = new Map<Quartier, GridBoundaryResult>();
  const checkRounded = (g: Quartier) => {
    if (!checkedRounded.has(g)) checkedRounded.set(g, validateGridBoundary(input(g, roundedTo1m(g.boundary))));
    return checkedRounded.get(g)!;
  };

  function expectWellFormed(p: BoundaryProblem) {
    expect(BOUNDARY_PROBLEM_CODES).toContain(p.code);
    expect(['Point', 'Polygon', 'MultiPolygon']).toContain(p.geometry.type);
    for (const v of Object.values(p.details)) {
      expect(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || Array.isArray(v)).toBe(true);
    }
  }

  // How long a check takes is a speed target, for a benchmark: on a loaded 2-core machine a
  // sub-second limit here failed while the validator was right.
  it('checks each quartier’s own boundary, with well-formed problems', () => {
    for (const { g, result } of own) {
      result.problems.forEach(expectWellFormed);
      expect(result.summary.buildingsIn.length, g.name).toBeGreaterThan(0);
    }
  });

  it('finds the quartiers tiling the community: no overlap, gap or outside part above tolerance', () => {
    const areal = own.flatMap(({ result }) => result.problems.filter((p) => p.code !== BOUNDARY_PROBLEM.CUTS_BUILDING));
    expect(areal).toEqual([]);
  });

  it('reports the buildings that quartier edges cross, their shares adding up across quartiers', () => {
    const share = new Map<number, number>();
    for (const { result } of own) {
      for (const p of ofCode(result, BOUNDARY_PROBLEM.CUTS_BUILDING)) {
        const id = p.details.buildingId as number;
        share.set(id, (share.get(id) ?? 0) + (p.details.insideShare as number));
      }
    }
    expect(share.size).toBeGreaterThan(0);
    for (const [id, total] of share) {
      const footprint = buildings.find((b) => b.id === id)!.footprint;
      const inCommunity = intersect(featureCollection([feature(footprint), feature(community)]));
      // The parts in each quartier add up to the part in the community (up to the 1 % that a
      // quartier holding almost all or almost nothing of it leaves unreported).
      expect(total, `building ${id}`).toBeCloseTo(inCommunity ? area(inCommunity) / area(footprint) : 0, 1);
    }
  });

  it('puts every building of the community in exactly one quartier', () => {
    const owners = new Map<number, number>();
    for (const { result } of own) for (const id of result.summary.buildingsIn) owners.set(id, (owners.get(id) ?? 0) + 1);
    expect([...owners.values()].every((n) => n === 1)).toBe(true);
    const inCommunity = buildings.filter((b) => booleanPointInPolygon(pointOnSurface(b.footprint)!, community));
    expect(owners.size).toBe(inCommunity.length);
  });

  it('reports the slivers of boundaries rounded to 1 m as small overlaps, gaps and outside parts, never throwing', () => {
    const found = new Set<string>();
    for (const g of grids) {
      const result = checkRounded(g);
      for (const p of result.problems) {
        expectWellFormed(p);
        found.add(p.code);
        if (p.code === BOUNDARY_PROBLEM.CUTS_BUILDING) continue;
        expect([
          BOUNDARY_PROBLEM.OVERLAPS_GRID,
          BOUNDARY_PROBLEM.LEAVES_GAP,
          BOUNDARY_PROBLEM.OUTSIDE_COMMUNITY,
          BOUNDARY_PROBLEM.SELF_INTERSECTION,
        ]).toContain(p.code);
        if (typeof p.details.areaM2 === 'number') {
          expect(p.details.areaM2).toBeGreaterThanOrEqual(TOLERANCE[p.code] ?? Infinity);
          expect(p.details.areaM2).toBeLessThan(200);
        }
      }
    }
    expect(found).toContain(BOUNDARY_PROBLEM.OVERLAPS_GRID);
    expect(found).toContain(BOUNDARY_PROBLEM.LEAVES_GAP);
  });

  it('measures a rounded quartier’s overlaps as what it takes from its neighbours', () => {
    const g = grids[0]!;
    const rounded = roundedTo1m(g.boundary);
    const result = checkRounded(g);
    const taken = difference(featureCollection([feature(rounded), feature(g.boundary)]));
    const outside = difference(featureCollection([feature(rounded), feature(community)]));
    const expected = (taken ? area(taken) : 0) - (outside ? area(outside) : 0);
    const reported = sumArea(ofCode(result, BOUNDARY_PROBLEM.OVERLAPS_GRID));
    // Pieces at or below the tolerance are dropped, so the report is at most the whole.
    expect(reported).toBeLessThanOrEqual(expected + 1);
    expect(reported).toBeGreaterThan(expected * 0.8);
  });
});
