/**
 * Snapping for the boundary editor: a dragged vertex lands exactly on a neighbouring grid's vertex
 * or edge, or on a building outline, so that shared edges stay shared (no sliver gap, no sliver
 * overlap for the validator to report). Vertices win over edges within the tolerance, because a
 * corner is what a user aims at; among edges the nearest point wins.
 *
 * Distances are metres on a local equirectangular plane (x scaled by cos latitude): exact enough
 * over the few metres a snap tolerance spans, and cheap enough to run on every pointer move.
 * The index is a uniform bucket grid over the inputs' extent, like edge-index.ts.
 */
import type { MultiPolygon, Polygon, Position } from 'geojson';

const M_PER_DEG = 111_320;

export type SnapKind = 'vertex' | 'edge';

export interface SnapResult {
  /** Where the vertex goes: a source vertex itself, or the nearest point on a source edge. */
  position: Position;
  kind: SnapKind;
  distanceM: number;
}

export interface SnapSource {
  geometry: Polygon | MultiPolygon;
}

function ringsOf(g: Polygon | MultiPolygon): Position[][] {
  return g.type === 'Polygon' ? g.coordinates : g.coordinates.flat();
}

export class SnapIndex {
  private readonly vertices: Position[] = [];
  /** Edge end points, two per edge. */
  private readonly edges: Position[] = [];
  private readonly vertexBuckets = new Map<string, number[]>();
  private readonly edgeBuckets = new Map<string, number[]>();
  /** Bucket size in degrees (latitude); the x size is scaled so buckets are square on the ground. */
  private readonly cellDeg: number;
  private readonly kx: number;

  /**
   * @param cellM bucket size in metres; about the largest snap tolerance used keeps a query to the
   * 3×3 buckets around the point.
   */
  constructor(sources: readonly SnapSource[], cellM = 20) {
    const rings = sources.flatMap((s) => ringsOf(s.geometry));
    const lat = rings.length && rings[0]!.length ? (rings[0]![0]![1] as number) : 0;
    this.kx = Math.cos((lat * Math.PI) / 180);
    this.cellDeg = cellM / M_PER_DEG;
    const seen = new Set<string>();
    for (const ring of rings) {
      for (let i = 0; i < ring.length; i++) {
        const p = ring[i]!;
        const key = `${p[0]},${p[1]}`;
        if (!seen.has(key)) {
          seen.add(key);
          this.add(this.vertexBuckets, this.vertices.length, p, p);
          this.vertices.push(p);
        }
        if (i > 0) {
          const q = ring[i - 1]!;
          this.add(this.edgeBuckets, this.edges.length / 2, p, q);
          this.edges.push(q, p);
        }
      }
    }
  }

  get vertexCount(): number {
    return this.vertices.length;
  }

  private cell(p: Position): [number, number] {
    return [Math.floor(((p[0] as number) * this.kx) / this.cellDeg), Math.floor((p[1] as number) / this.cellDeg)];
  }

  private add(buckets: Map<string, number[]>, item: number, a: Position, b: Position): void {
    const [ax, ay] = this.cell(a);
    const [bx, by] = this.cell(b);
    for (let x = Math.min(ax, bx); x <= Math.max(ax, bx); x++) {
      for (let y = Math.min(ay, by); y <= Math.max(ay, by); y++) {
        const key = `${x}:${y}`;
        const list = buckets.get(key);
        if (list) list.push(item);
        else buckets.set(key, [item]);
      }
    }
  }

  private near(buckets: Map<string, number[]>, p: Position, toleranceM: number): Set<number> {
    const r = Math.ceil(toleranceM / (this.cellDeg * M_PER_DEG));
    const [cx, cy] = this.cell(p);
    const out = new Set<number>();
    for (let x = cx - r; x <= cx + r; x++)
      for (let y = cy - r; y <= cy + r; y++) for (const i of buckets.get(`${x}:${y}`) ?? []) out.add(i);
    return out;
  }

  /** Local metres from p, x east, y north. */
  private toLocal(p: Position, q: Position): [number, number] {
    return [((q[0] as number) - (p[0] as number)) * this.kx * M_PER_DEG, ((q[1] as number) - (p[1] as number)) * M_PER_DEG];
  }

  /**
   * The snapped position for a pointer at p, or null when nothing lies within toleranceM.
   * `exclude` skips source vertices equal to a position (the dragged vertex's own old place).
   */
  snap(p: Position, toleranceM: number): SnapResult | null {
    let best: SnapResult | null = null;
    for (const i of this.near(this.vertexBuckets, p, toleranceM)) {
      const v = this.vertices[i]!;
      const [dx, dy] = this.toLocal(p, v);
      const d = Math.hypot(dx, dy);
      if (d <= toleranceM && (!best || d < best.distanceM))
        best = { position: [v[0] as number, v[1] as number], kind: 'vertex', distanceM: d };
    }
    if (best) return best;
    for (const e of this.near(this.edgeBuckets, p, toleranceM)) {
      const a = this.edges[2 * e]!;
      const b = this.edges[2 * e + 1]!;
      const [ax, ay] = this.toLocal(p, a);
      const [bx, by] = this.toLocal(p, b);
      const len2 = (bx - ax) ** 2 + (by - ay) ** 2;
      // The nearest point of segment ab to the origin (p).
      const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * (bx - ax) + ay * (by - ay)) / len2));
      const x = ax + t * (bx - ax);
      const y = ay + t * (by - ay);
      const d = Math.hypot(x, y);
      if (d <= toleranceM && (!best || d < best.distanceM)) {
        const position: Position = [
          (a[0] as number) + t * ((b[0] as number) - (a[0] as number)),
          (a[1] as number) + t * ((b[1] as number) - (a[1] as number)),
        ];
        best = { position, kind: 'edge', distanceM: d };
      }
    }
    return best;
  }
}

/** Metres per screen pixel at a latitude and web-mercator zoom (512-px tiles, MapLibre's). */
export function metresPerPixel(lat: number, zoom: number): number {
  return (40_075_016.686 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** zoom);
}

/** Rounds a position to a number of decimals (the editor's store keeps 9; the database returns 7). */
export function roundPosition(p: Position, decimals: number): Position {
  const k = 10 ** decimals;
  return [Math.round((p[0] as number) * k) / k, Math.round((p[1] as number) * k) / k];
}
