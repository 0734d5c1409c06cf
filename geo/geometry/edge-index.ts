/**
 * The edges of a polygon in a uniform grid of buckets, to ask quickly whether another polygon's
 * outline touches or crosses it. A footprint whose outline meets no edge lies wholly inside or
 * wholly outside the polygon, so the (costly) clipping that measures a cut building runs only
 * for the few footprints on the edge: on a Monaco quartier, a dozen or so instead of a thousand.
 */
import type { MultiPolygon, Polygon, Position } from 'geojson';

export class EdgeIndex {
  private readonly x0: number;
  private readonly y0: number;
  private readonly cellW: number;
  private readonly cellH: number;
  private readonly n: number;
  private readonly buckets: number[][];
  /** Edge boxes, four numbers per edge: minX, minY, maxX, maxY. */
  private readonly boxes: number[] = [];
  /** Edge end points, two per edge. */
  private readonly ends: Position[] = [];

  constructor(geometry: Polygon | MultiPolygon) {
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    const rings: Position[][] = polygons.flat();
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const ring of rings) {
      for (let i = 1; i < ring.length; i++) {
        const [ax, ay] = ring[i - 1] as [number, number];
        const [bx, by] = ring[i] as [number, number];
        const box = [Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by)] as const;
        this.boxes.push(...box);
        this.ends.push(ring[i - 1] as Position, ring[i] as Position);
        minX = Math.min(minX, box[0]);
        minY = Math.min(minY, box[1]);
        maxX = Math.max(maxX, box[2]);
        maxY = Math.max(maxY, box[3]);
      }
    }
    const edges = this.boxes.length / 4;
    this.n = Math.max(1, Math.min(256, Math.ceil(Math.sqrt(edges))));
    this.x0 = minX;
    this.y0 = minY;
    // A degenerate extent still gets cells of positive size.
    this.cellW = (maxX - minX) / this.n || 1;
    this.cellH = (maxY - minY) / this.n || 1;
    this.buckets = Array.from({ length: this.n * this.n }, () => []);
    for (let e = 0; e < edges; e++) {
      const [i0, j0, i1, j1] = this.cells(
        this.boxes[4 * e] as number,
        this.boxes[4 * e + 1] as number,
        this.boxes[4 * e + 2] as number,
        this.boxes[4 * e + 3] as number,
      );
      for (let j = j0; j <= j1; j++) for (let i = i0; i <= i1; i++) this.buckets[j * this.n + i]?.push(e);
    }
  }

  private cells(minX: number, minY: number, maxX: number, maxY: number): [number, number, number, number] {
    const clamp = (v: number) => Math.max(0, Math.min(this.n - 1, Math.floor(v)));
    return [
      clamp((minX - this.x0) / this.cellW),
      clamp((minY - this.y0) / this.cellH),
      clamp((maxX - this.x0) / this.cellW),
      clamp((maxY - this.y0) / this.cellH),
    ];
  }

  /** Whether some edge of the index touches or crosses some edge of the given polygon. */
  meets(geometry: Polygon | MultiPolygon): boolean {
    const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    for (const ring of polygons.flat()) {
      for (let k = 1; k < ring.length; k++) {
        const p = ring[k - 1] as Position;
        const q = ring[k] as Position;
        if (this.meetsSegment(p, q)) return true;
      }
    }
    return false;
  }

  private meetsSegment(p: Position, q: Position): boolean {
    const minX = Math.min(p[0] as number, q[0] as number);
    const minY = Math.min(p[1] as number, q[1] as number);
    const maxX = Math.max(p[0] as number, q[0] as number);
    const maxY = Math.max(p[1] as number, q[1] as number);
    const [i0, j0, i1, j1] = this.cells(minX, minY, maxX, maxY);
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        for (const e of this.buckets[j * this.n + i] ?? []) {
          const b = 4 * e;
          if ((this.boxes[b] as number) > maxX || minX > (this.boxes[b + 2] as number)) continue;
          if ((this.boxes[b + 1] as number) > maxY || minY > (this.boxes[b + 3] as number)) continue;
          if (segmentsMeet(p, q, this.ends[2 * e] as Position, this.ends[2 * e + 1] as Position)) return true;
        }
      }
    }
    return false;
  }
}

const orient = (a: Position, b: Position, c: Position) =>
  ((b[0] as number) - (a[0] as number)) * ((c[1] as number) - (a[1] as number)) -
  ((b[1] as number) - (a[1] as number)) * ((c[0] as number) - (a[0] as number));

/** Closed segments with overlapping boxes meet unless one lies strictly to one side of the other. */
function segmentsMeet(p: Position, q: Position, r: Position, s: Position): boolean {
  const o1 = orient(p, q, r);
  const o2 = orient(p, q, s);
  const o3 = orient(r, s, p);
  const o4 = orient(r, s, q);
  return o1 * o2 <= 0 && o3 * o4 <= 0;
}
