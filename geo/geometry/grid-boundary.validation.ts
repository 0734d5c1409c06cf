/**
 * Checks a proposed grid boundary (网格边界) before it is saved: "界线清晰、任务适当" — no gap, no
 * overlap, no building in two grids, a fair number of households. One code path: the web editor
 * runs it on every edit and the server runs it on preview and save (and then re-checks in PostGIS).
 *
 * The proposed geometry is user input: whatever it holds, the answer is a list of problems, never
 * an exception. The context (community, neighbouring grids, buildings, policy) comes from the
 * database; a context of the wrong shape is a programmer error and throws.
 *
 * Areas are geodesic square metres (turf.area). A building belongs to the grid that covers its
 * ST_PointOnSurface, the database's rule; see point-on-surface.ts for why that is not
 * turf.pointOnFeature.
 */
import { area, bbox, booleanPointInPolygon, difference, feature, featureCollection, intersect, kinks } from '@turf/turf';
import type { BBox, Feature, MultiPolygon, Point, Polygon, Position } from 'geojson';
import type { StringKey } from '../i18n/strings';
import { EdgeIndex } from './edge-index';
import { pointOnSurface } from './point-on-surface';

export type Areal = Polygon | MultiPolygon;

// ---------------------------------------------------------------------------------------------
// Reasons and tolerances
// ---------------------------------------------------------------------------------------------

export const BOUNDARY_PROBLEM = {
  /** A ring that is not a ring: too few positions, not closed, a coordinate that is not a lon/lat. */
  INVALID_RING: 'INVALID_RING',
  /** The outline crosses or touches itself (turf.kinks). */
  SELF_INTERSECTION: 'SELF_INTERSECTION',
  /** Area shared with another grid of the community. */
  OVERLAPS_GRID: 'OVERLAPS_GRID',
  /** Community area the old boundary covered that now no grid covers. */
  LEAVES_GAP: 'LEAVES_GAP',
  /** Area outside the community's boundary. */
  OUTSIDE_COMMUNITY: 'OUTSIDE_COMMUNITY',
  /** A building footprint crossed by the new edge (neither wholly inside nor wholly outside). */
  CUTS_BUILDING: 'CUTS_BUILDING',
  /** The grid's households fall outside the policy's range. */
  HOUSEHOLDS_OUT_OF_RANGE: 'HOUSEHOLDS_OUT_OF_RANGE',
  /** The grid's required visits per month fall outside the policy's range. */
  WORKLOAD_OUT_OF_RANGE: 'WORKLOAD_OUT_OF_RANGE',
  /**
   * A polygon operation failed on this geometry (the clipping library threw on a degenerate
   * configuration): the boundary cannot be checked, so it is not accepted.
   */
  OVERLAY_FAILED: 'OVERLAY_FAILED',
} as const;

export type BoundaryProblemCode = (typeof BOUNDARY_PROBLEM)[keyof typeof BOUNDARY_PROBLEM];
export const BOUNDARY_PROBLEM_CODES = Object.values(BOUNDARY_PROBLEM) as readonly BoundaryProblemCode[];

/** The message template of each reason in geo/i18n/strings.ts; details fill its {placeholders}. */
export const BOUNDARY_PROBLEM_MESSAGE: Readonly<Record<BoundaryProblemCode, StringKey>> = {
  INVALID_RING: 'boundary_invalidRing',
  SELF_INTERSECTION: 'boundary_selfIntersection',
  OVERLAPS_GRID: 'boundary_overlapsGrid',
  LEAVES_GAP: 'boundary_leavesGap',
  OUTSIDE_COMMUNITY: 'boundary_outsideCommunity',
  CUTS_BUILDING: 'boundary_cutsBuilding',
  HOUSEHOLDS_OUT_OF_RANGE: 'boundary_householdsOutOfRange',
  WORKLOAD_OUT_OF_RANGE: 'boundary_workloadOutOfRange',
  OVERLAY_FAILED: 'boundary_overlayFailed',
};

/** What is wrong with an INVALID_RING (its details.defect). */
export const RING_DEFECT = {
  /** The geometry is not a GeoJSON Polygon or MultiPolygon with nested coordinate arrays. */
  NOT_POLYGON: 'notPolygon',
  /** No polygon, or a polygon without an outer ring. */
  EMPTY: 'empty',
  /** Fewer than 4 positions (3 distinct corners and the closing one). */
  TOO_FEW_POSITIONS: 'tooFewPositions',
  /** The last position is not the first. */
  NOT_CLOSED: 'notClosed',
  /** Not two finite numbers, or longitude outside −180..180 / latitude outside −90..90. */
  BAD_COORDINATE: 'badCoordinate',
  /** The ring encloses no area (all its corners on one line). */
  ZERO_AREA: 'zeroArea',
} as const;
export type RingDefect = (typeof RING_DEFECT)[keyof typeof RING_DEFECT];

/**
 * Overlap, gap and outside pieces at or below these areas are floating-point noise, not
 * problems. Each connected piece is measured on its own. 1 m² is a 1 cm offset along 100 m of
 * edge — well under what anyone draws on a map, well over what shared coordinates leave.
 */
export const OVERLAP_TOLERANCE_M2 = 1;
export const GAP_TOLERANCE_M2 = 1;
export const OUTSIDE_TOLERANCE_M2 = 1;
/** A building counts as wholly inside (or wholly outside) when this share of its footprint is. */
export const BUILDING_WHOLE_SHARE = 0.99;
/** A ring enclosing less than this is a line, not an area. */
export const MIN_RING_AREA_M2 = 0.01;

// ---------------------------------------------------------------------------------------------
// Input and result
// ---------------------------------------------------------------------------------------------

export interface BoundaryBuilding {
  id: number;
  footprint: Areal;
  /** Current households in the building. */
  households: number;
  /** Sum over its households of visits required per month (see grid-workload.ts). */
  requiredVisitsPerMonth: number;
  /**
   * [lon, lat] of ST_PointOnSurface(footprint), when the caller has it (the server from PostGIS,
   * the web computed once per building); otherwise computed here, identically.
   */
  pointOnSurface?: Position;
}

export interface BoundaryPolicy {
  householdsMin: number;
  householdsMax: number;
  /** Required visits per month; unchecked when absent. */
  workloadMin?: number;
  workloadMax?: number;
}

export interface GridBoundaryInput {
  gridId: number;
  /** The proposed boundary: user input, checked before anything else. */
  geometry: Areal;
  /** A community set up by name and code has no boundary yet: nothing is outside it, and gaps are the old boundary's. */
  community: { id: number; boundary: Areal | null };
  /** The community's other grids with their current boundaries (the grid itself is ignored). */
  neighbours: readonly { id: number; boundary: Areal }[];
  /** Buildings intersecting the old or the new boundary (more is fine, they are filtered). */
  buildings: readonly BoundaryBuilding[];
  policy: BoundaryPolicy;
  /** The boundary being replaced; without it no gap can be computed. */
  oldBoundary?: Areal;
}

export type ProblemGeometry = Point | Polygon | MultiPolygon;

export interface BoundaryProblem {
  code: BoundaryProblemCode;
  /** Where to show it on the map. */
  geometry: ProblemGeometry;
  details: Record<string, number | string | number[]>;
}

export interface GridBoundaryResult {
  valid: boolean;
  problems: BoundaryProblem[];
  /**
   * Buildings whose point on surface the new boundary covers, and their totals. Empty (zeros)
   * when the geometry is not a valid polygon (INVALID_RING, SELF_INTERSECTION).
   */
  summary: { households: number; workloadPerMonth: number; buildingsIn: number[] };
}

// ---------------------------------------------------------------------------------------------
// Structure: every ring a closed ring of real lon/lat positions
// ---------------------------------------------------------------------------------------------

type Rings = Position[][];

const isLonLat = (p: unknown): p is Position =>
  Array.isArray(p) &&
  p.length >= 2 &&
  typeof p[0] === 'number' &&
  typeof p[1] === 'number' &&
  Number.isFinite(p[0]) &&
  Number.isFinite(p[1]) &&
  p[0] >= -180 &&
  p[0] <= 180 &&
  p[1] >= -90 &&
  p[1] <= 90;

const samePosition = (a: Position, b: Position) => a[0] === b[0] && a[1] === b[1];

const round1 = (v: number) => Math.round(v * 10) / 10;
const pointAt = (p: Position): Point => ({ type: 'Point', coordinates: [p[0] as number, p[1] as number] });

interface Structure {
  /** The polygons with repeated consecutive positions dropped, ready for kinks and overlays. */
  polygons: Rings[];
  problems: BoundaryProblem[];
}

/**
 * Reads the proposed geometry defensively (it may be anything at run time). Where a defect has
 * no usable position of its own, it is shown at the community's point on surface.
 */
function readStructure(geometry: unknown, fallback: () => Point): Structure {
  const problems: BoundaryProblem[] = [];
  const invalid = (defect: RingDefect, where: Position | undefined, at: Record<string, number> = {}) =>
    problems.push({
      code: BOUNDARY_PROBLEM.INVALID_RING,
      geometry: where ? pointAt(where) : fallback(),
      details: { defect, ...at },
    });

  const g = geometry as { type?: unknown; coordinates?: unknown } | null;
  const raw: unknown[] | null =
    g && Array.isArray(g.coordinates) ? (g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : null) : null;
  if (!raw) {
    invalid(RING_DEFECT.NOT_POLYGON, undefined);
    return { polygons: [], problems };
  }
  if (raw.length === 0) invalid(RING_DEFECT.EMPTY, undefined);

  const polygons: Rings[] = [];
  raw.forEach((rawPolygon, polygon) => {
    if (!Array.isArray(rawPolygon)) {
      invalid(RING_DEFECT.NOT_POLYGON, undefined, { polygon });
      return;
    }
    if (rawPolygon.length === 0) invalid(RING_DEFECT.EMPTY, undefined, { polygon });
    const rings: Rings = [];
    rawPolygon.forEach((rawRing, ring) => {
      if (!Array.isArray(rawRing)) {
        invalid(RING_DEFECT.NOT_POLYGON, undefined, { polygon, ring });
        return;
      }
      const good = rawRing.filter(isLonLat);
      const bad = rawRing.findIndex((p) => !isLonLat(p));
      if (bad >= 0) {
        // Shown at the last good position before it, else the first good one after it.
        const near = rawRing.slice(0, bad).findLast(isLonLat) ?? good[0];
        invalid(RING_DEFECT.BAD_COORDINATE, near, { polygon, ring, position: bad });
        return;
      }
      const cleaned: Position[] = [];
      for (const p of good) {
        const last = cleaned[cleaned.length - 1];
        if (!last || !samePosition(last, p)) cleaned.push([p[0] as number, p[1] as number]);
      }
      const first = good[0];
      const last = good[good.length - 1];
      if (first && last && !samePosition(first, last)) {
        invalid(RING_DEFECT.NOT_CLOSED, last, { polygon, ring });
        return;
      }
      if (cleaned.length < 4) {
        invalid(RING_DEFECT.TOO_FEW_POSITIONS, first, { polygon, ring, positions: rawRing.length });
        return;
      }
      rings.push(cleaned);
    });
    polygons.push(rings);
  });
  return { polygons, problems };
}

/**
 * Rings that enclose no area. Run after the self-intersection check: the signed area of a
 * symmetric bow-tie is zero too, and that is a crossing, not a line.
 */
function flatRings(polygons: readonly Rings[]): BoundaryProblem[] {
  return polygons.flatMap((rings, polygon) =>
    rings.flatMap((ring, k) =>
      area({ type: 'Polygon', coordinates: [ring] }) < MIN_RING_AREA_M2
        ? [
            {
              code: BOUNDARY_PROBLEM.INVALID_RING,
              geometry: pointAt(ring[0] as Position),
              details: { defect: RING_DEFECT.ZERO_AREA, polygon, ring: k },
            },
          ]
        : [],
    ),
  );
}

/**
 * Crossings and touchings between any two non-adjacent edges of any rings (turf.kinks, with
 * repeated positions already dropped so that a doubled vertex is not a kink). This also finds a
 * ring that touches itself at a vertex, and a spike that runs back along its own edge.
 */
function selfIntersections(polygons: readonly Rings[]): BoundaryProblem[] {
  const seen = new Set<string>();
  const problems: BoundaryProblem[] = [];
  for (const kink of kinks({ type: 'MultiPolygon', coordinates: polygons as Position[][][] }).features) {
    const p = kink.geometry.coordinates;
    const key = `${p[0]},${p[1]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ code: BOUNDARY_PROBLEM.SELF_INTERSECTION, geometry: pointAt(p), details: {} });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Overlays, guarded: the clipping library can throw on degenerate configurations
// ---------------------------------------------------------------------------------------------

type Overlay = { ok: true; pieces: Polygon[] } | { ok: false; error: string };

function overlay(op: 'intersect' | 'difference', subject: Areal, others: readonly Areal[]): Overlay {
  if (others.length === 0) {
    return op === 'intersect' ? { ok: true, pieces: [] } : { ok: true, pieces: piecesOf(subject) };
  }
  try {
    const fc = featureCollection<Areal>([subject, ...others].map((g) => feature(g)));
    const result: Feature<Areal> | null = op === 'intersect' ? intersect(fc) : difference(fc);
    return { ok: true, pieces: result ? piecesOf(result.geometry) : [] };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

const multi = (pieces: readonly Polygon[]): MultiPolygon => ({ type: 'MultiPolygon', coordinates: pieces.map((p) => p.coordinates) });

function piecesOf(g: Areal): Polygon[] {
  return g.type === 'Polygon' ? [g] : g.coordinates.map((coordinates) => ({ type: 'Polygon', coordinates }) satisfies Polygon);
}

/** The pieces above a tolerance, each with its area. */
function significant(pieces: readonly Polygon[], toleranceM2: number): { piece: Polygon; areaM2: number }[] {
  return pieces.map((piece) => ({ piece, areaM2: area(piece) })).filter((p) => p.areaM2 > toleranceM2);
}

const bboxesIntersect = (a: BBox, b: BBox) => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];

// ---------------------------------------------------------------------------------------------
// The validator
// ---------------------------------------------------------------------------------------------

function assertAreal(g: unknown, what: string): asserts g is Areal {
  const t = (g as { type?: unknown } | null)?.type;
  if (t !== 'Polygon' && t !== 'MultiPolygon') throw new TypeError(`${what} must be a Polygon or MultiPolygon, got ${String(t)}`);
}

function checkContext(input: GridBoundaryInput): void {
  if (input.community?.boundary !== null) assertAreal(input.community?.boundary, 'community.boundary');
  for (const n of input.neighbours) assertAreal(n.boundary, `neighbour ${n.id}`);
  for (const b of input.buildings) assertAreal(b.footprint, `building ${b.id}`);
  if (input.oldBoundary !== undefined) assertAreal(input.oldBoundary, 'oldBoundary');
  const { householdsMin, householdsMax, workloadMin, workloadMax } = input.policy;
  if (!(householdsMin <= householdsMax)) throw new RangeError(`householdsMin ${householdsMin} > householdsMax ${householdsMax}`);
  if (workloadMin !== undefined && workloadMax !== undefined && !(workloadMin <= workloadMax)) {
    throw new RangeError(`workloadMin ${workloadMin} > workloadMax ${workloadMax}`);
  }
}

const EMPTY_SUMMARY = () => ({ households: 0, workloadPerMonth: 0, buildingsIn: [] as number[] });

export function validateGridBoundary(input: GridBoundaryInput): GridBoundaryResult {
  checkContext(input);
  const communityArea = input.community.boundary;
  const communityPoint = (): Point =>
    pointAt(((communityArea ?? input.oldBoundary) ? pointOnSurface((communityArea ?? input.oldBoundary)!) : null) ?? [0, 0]);

  const structure = readStructure(input.geometry, communityPoint);
  if (structure.problems.length > 0) return { valid: false, problems: structure.problems, summary: EMPTY_SUMMARY() };
  const kinked = selfIntersections(structure.polygons);
  if (kinked.length > 0) return { valid: false, problems: kinked, summary: EMPTY_SUMMARY() };
  const flat = flatRings(structure.polygons);
  if (flat.length > 0) return { valid: false, problems: flat, summary: EMPTY_SUMMARY() };

  // The cleaned geometry, in the shape it came in.
  const proposed: Areal =
    input.geometry.type === 'Polygon'
      ? { type: 'Polygon', coordinates: structure.polygons[0] as Position[][] }
      : { type: 'MultiPolygon', coordinates: structure.polygons };
  const box = bbox(proposed);
  const neighbours = input.neighbours.filter((n) => n.id !== input.gridId).map((n) => ({ ...n, box: bbox(n.boundary) }));

  const problems: BoundaryProblem[] = [];
  const failed = (against: string, error: string, where: ProblemGeometry = proposed) =>
    problems.push({ code: BOUNDARY_PROBLEM.OVERLAY_FAILED, geometry: where, details: { against, error } });

  // Overlaps with each neighbour.
  for (const n of neighbours) {
    if (!bboxesIntersect(box, n.box)) continue;
    const shared = overlay('intersect', proposed, [n.boundary]);
    if (!shared.ok) {
      failed(`grid ${n.id}`, shared.error);
      continue;
    }
    for (const { piece, areaM2 } of significant(shared.pieces, OVERLAP_TOLERANCE_M2)) {
      problems.push({ code: BOUNDARY_PROBLEM.OVERLAPS_GRID, geometry: piece, details: { gridId: n.id, areaM2: round1(areaM2) } });
    }
  }

  // Gaps: what the old boundary covered inside the community that nothing covers now.
  if (input.oldBoundary) {
    const oldBox = bbox(input.oldBoundary);
    const covering = [proposed, ...neighbours.filter((n) => bboxesIntersect(oldBox, n.box)).map((n) => n.boundary)];
    const was: Overlay = communityArea
      ? overlay('intersect', input.oldBoundary, [communityArea])
      : { ok: true, pieces: piecesOf(input.oldBoundary) };
    const uncovered = was.ok ? overlay('difference', multi(was.pieces), covering) : was;
    if (!uncovered.ok) failed('old boundary', uncovered.error);
    else {
      for (const { piece, areaM2 } of significant(uncovered.pieces, GAP_TOLERANCE_M2)) {
        problems.push({ code: BOUNDARY_PROBLEM.LEAVES_GAP, geometry: piece, details: { areaM2: round1(areaM2) } });
      }
    }
  }

  // Outside the community.
  const outside: Overlay = communityArea ? overlay('difference', proposed, [communityArea]) : { ok: true, pieces: [] };
  if (!outside.ok) failed('community', outside.error);
  else {
    for (const { piece, areaM2 } of significant(outside.pieces, OUTSIDE_TOLERANCE_M2)) {
      problems.push({
        code: BOUNDARY_PROBLEM.OUTSIDE_COMMUNITY,
        geometry: piece,
        details: { communityId: input.community.id, areaM2: round1(areaM2) },
      });
    }
  }

  // Buildings: which the new boundary takes (the database's rule), and which its edge cuts.
  const summary = EMPTY_SUMMARY();
  const edges = new EdgeIndex(proposed);
  for (const b of input.buildings) {
    const footprintBox = bbox(b.footprint);
    if (!bboxesIntersect(box, footprintBox)) continue;
    const p = b.pointOnSurface ?? pointOnSurface(b.footprint);
    if (p && covers(proposed, p, input.gridId, neighbours)) {
      summary.buildingsIn.push(b.id);
      summary.households += b.households;
      summary.workloadPerMonth += b.requiredVisitsPerMonth;
    }
    // An outline that meets no edge lies wholly on one side: nothing to measure.
    if (!edges.meets(b.footprint)) continue;
    const whole = area(b.footprint);
    if (whole <= 0) continue;
    const inside = overlay('intersect', b.footprint, [proposed]);
    if (!inside.ok) {
      failed(`building ${b.id}`, inside.error, b.footprint);
      continue;
    }
    const share = inside.pieces.reduce((s, piece) => s + area(piece), 0) / whole;
    if (share > 1 - BUILDING_WHOLE_SHARE && share < BUILDING_WHOLE_SHARE) {
      problems.push({
        code: BOUNDARY_PROBLEM.CUTS_BUILDING,
        geometry: b.footprint,
        details: { buildingId: b.id, insideShare: Math.round(share * 1e4) / 1e4, insidePercent: Math.round(share * 100) },
      });
    }
  }

  const { householdsMin, householdsMax, workloadMin, workloadMax } = input.policy;
  if (summary.households < householdsMin || summary.households > householdsMax) {
    problems.push({
      code: BOUNDARY_PROBLEM.HOUSEHOLDS_OUT_OF_RANGE,
      geometry: proposed,
      details: { households: summary.households, min: householdsMin, max: householdsMax },
    });
  }
  const w = summary.workloadPerMonth;
  if ((workloadMin !== undefined && w < workloadMin) || (workloadMax !== undefined && w > workloadMax)) {
    problems.push({
      code: BOUNDARY_PROBLEM.WORKLOAD_OUT_OF_RANGE,
      geometry: proposed,
      details: { workloadPerMonth: round1(w), min: workloadMin ?? 0, max: workloadMax ?? '∞' },
    });
  }

  return { valid: problems.length === 0, problems, summary };
}

/**
 * ST_Covers(grid, point), with the database's tie-break: a point exactly on a shared edge goes
 * to the lowest grid id (grid_for_point orders by id).
 */
function covers(proposed: Areal, p: Position, gridId: number, neighbours: readonly { id: number; boundary: Areal; box: BBox }[]): boolean {
  if (!booleanPointInPolygon(p, proposed)) return false;
  if (booleanPointInPolygon(p, proposed, { ignoreBoundary: true })) return true;
  const [x, y] = p as [number, number];
  return !neighbours.some(
    (n) => n.id < gridId && x >= n.box[0] && x <= n.box[2] && y >= n.box[1] && y <= n.box[3] && booleanPointInPolygon(p, n.boundary),
  );
}
