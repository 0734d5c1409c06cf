/**
 * Vertex operations of the boundary editor that Terra Draw does not do the way a grid needs:
 * finding the vertex under a tap (for Delete), and removing it while keeping every ring a ring.
 * Pure functions on GeoJSON; a removal that would leave fewer than 3 corners is refused.
 */
import type { MultiPolygon, Polygon, Position } from 'geojson';

export interface VertexRef {
  polygon: number;
  ring: number;
  /** Index in the ring; never the closing position (it is the first one). */
  index: number;
}

export const VERTEX_REMOVAL = {
  /** The ring would be left with fewer than three corners. */
  TOO_FEW_CORNERS: 'TOO_FEW_CORNERS',
  /** No such polygon, ring or vertex. */
  NO_SUCH_VERTEX: 'NO_SUCH_VERTEX',
} as const;
export type VertexRemovalReason = (typeof VERTEX_REMOVAL)[keyof typeof VERTEX_REMOVAL];

const M_PER_DEG = 111_320;

function polygonsOf(g: Polygon | MultiPolygon): Position[][][] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
}

/** The vertex nearest to p within toleranceM metres, or null. */
export function nearestVertex(g: Polygon | MultiPolygon, p: Position, toleranceM: number): (VertexRef & { distanceM: number }) | null {
  const kx = Math.cos(((p[1] as number) * Math.PI) / 180);
  let best: (VertexRef & { distanceM: number }) | null = null;
  polygonsOf(g).forEach((rings, polygon) =>
    rings.forEach((ring, r) => {
      for (let index = 0; index < ring.length - 1; index++) {
        const v = ring[index]!;
        const d = Math.hypot(((v[0] as number) - (p[0] as number)) * kx * M_PER_DEG, ((v[1] as number) - (p[1] as number)) * M_PER_DEG);
        if (d <= toleranceM && (!best || d < best.distanceM)) best = { polygon, ring: r, index, distanceM: d };
      }
    }),
  );
  return best;
}

/** The geometry without one vertex, in the shape it came in. */
export function removeVertex<G extends Polygon | MultiPolygon>(
  g: G,
  at: VertexRef,
): { ok: true; geometry: G } | { ok: false; reason: VertexRemovalReason } {
  const polygons = polygonsOf(g);
  const ring = polygons[at.polygon]?.[at.ring];
  if (!ring || at.index < 0 || at.index >= ring.length - 1) return { ok: false, reason: VERTEX_REMOVAL.NO_SUCH_VERTEX };
  // A closed ring of 4 positions is a triangle: one corner less is no area.
  if (ring.length <= 4) return { ok: false, reason: VERTEX_REMOVAL.TOO_FEW_CORNERS };
  const open = ring.slice(0, -1).filter((_, i) => i !== at.index);
  const closed = [...open, open[0]!];
  const next = polygons.map((rings, pi) => (pi === at.polygon ? rings.map((r, ri) => (ri === at.ring ? closed : r)) : rings));
  const geometry = (g.type === 'Polygon' ? { type: 'Polygon', coordinates: next[0]! } : { type: 'MultiPolygon', coordinates: next }) as G;
  return { ok: true, geometry };
}
