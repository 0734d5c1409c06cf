/**
 * Moving a shared edge changes two grids (docs/boundaries.md): grids tile their community, so a
 * redrawn grid that takes area from a neighbour overlaps it, and one that gives area away leaves a
 * gap. This redraws the neighbours to follow: each loses what the new boundary now covers, and each
 * gap piece goes back to the neighbour it was taken from — the one sharing the most of the old
 * edge with it. The result is what the editor sends as `neighbours` with the save.
 *
 * Pure and total: a clipping failure leaves that neighbour unchanged (the validator then reports
 * the overlap or gap as usual), never throws.
 */
import { area, difference, feature, featureCollection, intersect, union } from '@turf/turf';
import type { Feature, MultiPolygon, Polygon, Position } from 'geojson';
import type { Areal } from './grid-boundary.validation';

/** Changes below this are floating-point noise, as in the validator (OVERLAP_TOLERANCE_M2). */
export const FIT_TOLERANCE_M2 = 1;

export interface FittedNeighbour {
  id: number;
  boundary: MultiPolygon;
  /** Area the neighbour gains (positive) or loses (negative), m². */
  deltaM2: number;
}

const asMulti = (g: Areal): MultiPolygon => (g.type === 'MultiPolygon' ? g : { type: 'MultiPolygon', coordinates: [g.coordinates] });

function safe<T>(f: () => T): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

function pieces(g: Areal | null | undefined): Polygon[] {
  if (!g) return [];
  return g.type === 'Polygon' ? [g] : g.coordinates.map((coordinates) => ({ type: 'Polygon', coordinates }));
}

const vertexKeys = (g: Areal) =>
  new Set((g.type === 'Polygon' ? [g.coordinates] : g.coordinates).flat(2).map((p: Position) => `${p[0]},${p[1]}`));

export function fitNeighbours(input: {
  proposed: Areal;
  oldBoundary: Areal;
  community: Areal;
  neighbours: readonly { id: number; boundary: Areal }[];
}): FittedNeighbour[] {
  const { proposed, oldBoundary, community, neighbours } = input;
  const fc = (...gs: Areal[]) => featureCollection(gs.map((g) => feature(g)));
  // What the old boundary covered inside the community that nothing covers now.
  const was = safe(() => intersect(fc(oldBoundary, community)));
  const gap = was ? safe(() => difference(fc(was.geometry, proposed, ...neighbours.map((n) => n.boundary)))) : null;
  const gapPieces = pieces(gap?.geometry).filter((p) => area(p) > FIT_TOLERANCE_M2);
  // Each gap piece to the neighbour whose vertices it shares most (the old shared edge's).
  const keys = neighbours.map((n) => vertexKeys(n.boundary));
  const gained = new Map<number, Polygon[]>();
  for (const piece of gapPieces) {
    const ring = piece.coordinates.flat();
    let best = -1;
    let bestCount = 0;
    keys.forEach((k, i) => {
      const count = ring.filter((p) => k.has(`${p[0]},${p[1]}`)).length;
      if (count > bestCount) [best, bestCount] = [i, count];
    });
    if (best >= 0) gained.set(neighbours[best]!.id, [...(gained.get(neighbours[best]!.id) ?? []), piece]);
  }

  const out: FittedNeighbour[] = [];
  for (const n of neighbours) {
    const before = area(n.boundary);
    let next: Feature<Areal> | null = safe(() => difference(fc(n.boundary, proposed)));
    if (next === null && safe(() => intersect(fc(n.boundary, proposed))) !== null) continue;
    for (const piece of gained.get(n.id) ?? []) {
      const merged: Feature<Areal> | null = next ? safe(() => union(fc(next!.geometry, piece))) : feature<Areal>(piece);
      if (merged) next = merged;
    }
    if (!next) continue;
    const after = area(next.geometry);
    if (Math.abs(after - before) <= FIT_TOLERANCE_M2) continue;
    out.push({ id: n.id, boundary: asMulti(next.geometry), deltaM2: Math.round((after - before) * 10) / 10 });
  }
  return out;
}
