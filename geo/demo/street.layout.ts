/**
 * The demo street's geometry: a lattice of jittered vertices whose cells (street blocks, ~135 m)
 * are grouped into grids, grids into communities. Every boundary is traced along the lattice's
 * own vertices, so neighbours share exactly the same coordinates on their common edge: the
 * tiling has no gaps, no overlaps and no floating-point slivers, whatever the jitter.
 *
 * Work is done in local metres (x east, y north) around the street's centre and projected to
 * WGS84 once per vertex; a linear projection keeps straight edges straight and disjoint shapes
 * disjoint, which is all the building layout relies on.
 */
import type { MultiPolygon, Position } from 'geojson';
import { EW_ROADS, NS_ROADS, nthName } from './names';
import type { Rng } from './random';

/** Centre of the street, 东湖区 near 八一广场. */
const ORIGIN_LON = 115.91;
const ORIGIN_LAT = 28.63;
/**
 * Metres per degree at 28.63° N (ellipsoidal series), computed once rather than with Math.cos
 * so the projection is bit-identical in every JavaScript engine.
 */
const M_PER_DEG_LAT = 110_829.666;
const M_PER_DEG_LON = 97_783.937;

/** Cells per community and per grid: 3 communities give a 13 × 9 lattice and about 19 grids. */
export const CELLS_PER_COMMUNITY = 39;
const CELLS_PER_GRID = 6.5;
/** Width : height of the street, ~1.7 km × 1.2 km for the demo. */
const ASPECT = 1.39;

/** A rectangle of cells: x0 ≤ cx < x1, y0 ≤ cy < y1 (y grows northwards). */
export interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export type Metres = readonly [number, number];

export interface Lattice {
  /** Cells across and up; the lattice has (nx + 1) × (ny + 1) vertices. */
  nx: number;
  ny: number;
  /** Vertex positions in metres, index j * (nx + 1) + i. */
  xs: Float64Array;
  ys: Float64Array;
  /** Projected positions, rounded once so every shape that uses a vertex uses the same numbers. */
  positions: Position[];
  /** Building setback from each vertical / horizontal line: the road's half-width plus a verge. */
  setbackX: number[];
  setbackY: number[];
  /** Names of the roads along vertical (north–south) and horizontal (east–west) lines. */
  roadX: string[];
  roadY: string[];
}

export interface GridPlan {
  community: number;
  rect: Rect;
  /** Cell indices (cy * nx + cx), in reading order (north-west first). */
  cells: number[];
}

export interface CommunityPlan {
  rect: Rect;
  grids: number[];
}

export interface StreetLayout {
  lattice: Lattice;
  /** Cells dropped from the street outline (corner blocks) are not in any grid. */
  cellGrid: Int32Array;
  communities: CommunityPlan[];
  grids: GridPlan[];
}

export const round7 = (v: number) => Math.round(v * 1e7) / 1e7;

export function toLonLat(x: number, y: number): Position {
  return [round7(ORIGIN_LON + x / M_PER_DEG_LON), round7(ORIGIN_LAT + y / M_PER_DEG_LAT)];
}

/** The inverse, for tests and for measuring distances between projected points. */
export function fromLonLat(p: Position): Metres {
  return [((p[0] as number) - ORIGIN_LON) * M_PER_DEG_LON, ((p[1] as number) - ORIGIN_LAT) * M_PER_DEG_LAT];
}

export function latticeSize(communities: number): { nx: number; ny: number } {
  const cells = CELLS_PER_COMMUNITY * communities;
  const nx = Math.max(3, Math.round(Math.sqrt(cells * ASPECT)));
  const ny = Math.max(3, Math.round(cells / nx));
  return { nx, ny };
}

/**
 * Smooth noise along a line: random control values every `step` vertices, eased between them.
 * Roads then bend gently instead of zig-zagging vertex to vertex.
 */
function smoothNoise(rng: Rng, count: number, amplitude: number, step: number): number[] {
  const controls = Array.from({ length: Math.ceil(count / step) + 2 }, () => rng.float(-amplitude, amplitude));
  return Array.from({ length: count }, (_, k) => {
    const c = Math.floor(k / step);
    const f = k / step - c;
    const e = f * f * (3 - 2 * f);
    return (controls[c] as number) * (1 - e) + (controls[c + 1] as number) * e;
  });
}

function setbackFor(road: string, rng: Rng): number {
  // 大道 are wide trunk roads; 街/巷 are old-town lanes where buildings come close.
  if (road.endsWith('大道')) return rng.float(19, 21);
  if (road.endsWith('街') || road.endsWith('巷') || road.endsWith('池')) return rng.float(12, 13.5);
  return rng.float(14, 17);
}

export function buildLattice(rng: Rng, nx: number, ny: number): Lattice {
  const widths = Array.from({ length: nx }, () => rng.float(120, 152));
  const heights = Array.from({ length: ny }, () => rng.float(118, 148));
  const X = [0];
  for (const w of widths) X.push((X[X.length - 1] as number) + w);
  const Y = [0];
  for (const h of heights) Y.push((Y[Y.length - 1] as number) + h);
  const cx = (X[nx] as number) / 2;
  const cy = (Y[ny] as number) / 2;
  // Bends stay under ~15 m against ≥118 m cells, so every cell remains a convex quadrilateral.
  const bendX = Array.from({ length: nx + 1 }, () => smoothNoise(rng, ny + 1, 11, 3));
  const bendY = Array.from({ length: ny + 1 }, () => smoothNoise(rng, nx + 1, 11, 3));
  const n = (nx + 1) * (ny + 1);
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  const positions: Position[] = new Array(n);
  for (let j = 0; j <= ny; j++) {
    for (let i = 0; i <= nx; i++) {
      const v = j * (nx + 1) + i;
      xs[v] = (X[i] as number) - cx + (bendX[i]![j] as number) + rng.float(-3, 3);
      ys[v] = (Y[j] as number) - cy + (bendY[j]![i] as number) + rng.float(-3, 3);
      positions[v] = toLonLat(xs[v] as number, ys[v] as number);
    }
  }
  const roadX = Array.from({ length: nx + 1 }, (_, i) => nthName(NS_ROADS, i));
  const roadY = Array.from({ length: ny + 1 }, (_, j) => nthName(EW_ROADS, j));
  return {
    nx,
    ny,
    xs,
    ys,
    positions,
    roadX,
    roadY,
    setbackX: roadX.map((r) => setbackFor(r, rng)),
    setbackY: roadY.map((r) => setbackFor(r, rng)),
  };
}

export const vertexId = (lat: Lattice, i: number, j: number) => j * (lat.nx + 1) + i;

/** The four corners of a cell in metres: south-west, south-east, north-east, north-west. */
export function cellCorners(lat: Lattice, cell: number): [Metres, Metres, Metres, Metres] {
  const cx = cell % lat.nx;
  const cy = Math.floor(cell / lat.nx);
  const at = (i: number, j: number): Metres => {
    const v = vertexId(lat, i, j);
    return [lat.xs[v] as number, lat.ys[v] as number];
  };
  return [at(cx, cy), at(cx + 1, cy), at(cx + 1, cy + 1), at(cx, cy + 1)];
}

/**
 * Bilinear map of the unit square onto a cell. Lines of constant u or v map to straight lines,
 * so a (u, v)-rectangle maps exactly onto the quadrilateral of its mapped corners — footprints
 * follow the cell's jitter and stay disjoint when their rectangles are.
 */
export function cellPoint(corners: readonly [Metres, Metres, Metres, Metres], u: number, v: number): Metres {
  const [a, b, c, d] = corners;
  const w00 = (1 - u) * (1 - v);
  const w10 = u * (1 - v);
  const w11 = u * v;
  const w01 = (1 - u) * v;
  return [w00 * a[0] + w10 * b[0] + w11 * c[0] + w01 * d[0], w00 * a[1] + w10 * b[1] + w11 * c[1] + w01 * d[1]];
}

const dist = (p: Metres, q: Metres) => Math.sqrt((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2);

/** A cell's mean width and height in metres, to turn metre offsets into (u, v). */
export function cellSize(corners: readonly [Metres, Metres, Metres, Metres]): { w: number; h: number } {
  const [a, b, c, d] = corners;
  return { w: (dist(a, b) + dist(d, c)) / 2, h: (dist(a, d) + dist(b, c)) / 2 };
}

/** Splits `length` into `parts` near-equal integers; the longer ones at random places. */
function splitEven(length: number, parts: number, rng: Rng): number[] {
  const base = Math.floor(length / parts);
  const extra = length - base * parts;
  const sizes = Array.from({ length: parts }, (_, k) => base + (k < extra ? 1 : 0));
  return rng.shuffle(sizes);
}

/** Recursive guillotine split of the street into `k` community rectangles of similar area. */
function splitCommunities(rng: Rng, r: Rect, k: number): Rect[] {
  if (k <= 1) return [r];
  const w = r.x1 - r.x0;
  const h = r.y1 - r.y0;
  const k1 = rng.chance(0.5) ? Math.floor(k / 2) : Math.ceil(k / 2);
  const alongX = w > h || (w === h && rng.chance(0.5));
  const len = alongX ? w : h;
  const cut = Math.min(len - 1, Math.max(1, Math.round((len * k1) / k)));
  const [a, b]: [Rect, Rect] = alongX
    ? [
        { ...r, x1: r.x0 + cut },
        { ...r, x0: r.x0 + cut },
      ]
    : [
        { ...r, y1: r.y0 + cut },
        { ...r, y0: r.y0 + cut },
      ];
  return [...splitCommunities(rng, a, k1), ...splitCommunities(rng, b, k - k1)];
}

/**
 * Grids of a community: bands across its long side, each band cut into pieces. Tries every band
 * count and keeps the arrangement whose grids are closest in size and least elongated — the
 * seeds ask for "任务适当" (fair workload) and clear, compact boundaries.
 */
function splitGrids(rng: Rng, r: Rect, g: number): Rect[] {
  const w = r.x1 - r.x0;
  const h = r.y1 - r.y0;
  let best: { score: number; rects: Rect[] } | null = null;
  for (const bandsAlongX of [true, false]) {
    const L = bandsAlongX ? w : h;
    const S = bandsAlongX ? h : w;
    for (let a = 1; a <= Math.min(L, g); a++) {
      const bands = splitEven(L, a, rng);
      // Largest-remainder allocation of g grids to bands by area, at least one each, at most S.
      const quotas = bands.map((len) => (g * len) / L);
      const counts = quotas.map((q) => Math.max(1, Math.min(S, Math.floor(q))));
      let left = g - counts.reduce((s, c) => s + c, 0);
      const order = quotas.map((q, i) => [q - Math.floor(q), i] as const).sort((p, q) => q[0] - p[0]);
      for (let pass = 0; left > 0 && pass < 3; pass++) {
        for (const [, i] of order) {
          if (left > 0 && (counts[i] as number) < S) {
            counts[i] = (counts[i] as number) + 1;
            left--;
          }
        }
      }
      while (left < 0) {
        const i = counts.indexOf(Math.max(...counts));
        counts[i] = (counts[i] as number) - 1;
        left++;
      }
      const rects: Rect[] = [];
      let offL = 0;
      bands.forEach((len, bi) => {
        let offS = 0;
        for (const piece of splitEven(S, counts[bi] as number, rng)) {
          rects.push(
            bandsAlongX
              ? { x0: r.x0 + offL, x1: r.x0 + offL + len, y0: r.y0 + offS, y1: r.y0 + offS + piece }
              : { x0: r.x0 + offS, x1: r.x0 + offS + piece, y0: r.y0 + offL, y1: r.y0 + offL + len },
          );
          offS += piece;
        }
        offL += len;
      });
      const sizes = rects.map((q) => (q.x1 - q.x0) * (q.y1 - q.y0));
      const mean = (w * h) / rects.length;
      let score = Math.abs(rects.length - g) * 100;
      for (const [i, q] of rects.entries()) {
        const qw = q.x1 - q.x0;
        const qh = q.y1 - q.y0;
        score += (((sizes[i] as number) - mean) / mean) ** 2;
        score += Math.max(0, Math.max(qw, qh) / Math.min(qw, qh) - 2);
        if (Math.min(qw, qh) < 2 && w >= 2 && h >= 2) score += 5;
      }
      if (!best || score < best.score - 1e-9) best = { score, rects };
    }
  }
  return best ? best.rects : [r];
}

/** North-west first, then eastwards, then southwards: how people read a map and number grids. */
function byReadingOrder(a: Rect, b: Rect): number {
  return b.y1 + b.y0 - (a.y1 + a.y0) || a.x0 + a.x1 - (b.x0 + b.x1);
}

export function planStreet(rng: Rng, communities: number): StreetLayout {
  const { nx, ny } = latticeSize(communities);
  const lattice = buildLattice(rng, nx, ny);
  const commRects = splitCommunities(rng, { x0: 0, y0: 0, x1: nx, y1: ny }, communities).sort(byReadingOrder);
  const cellGrid = new Int32Array(nx * ny).fill(-1);
  const plans: CommunityPlan[] = [];
  const grids: GridPlan[] = [];
  commRects.forEach((rect, ci) => {
    const area = (rect.x1 - rect.x0) * (rect.y1 - rect.y0);
    const g = Math.max(1, Math.round(area / CELLS_PER_GRID));
    const plan: CommunityPlan = { rect, grids: [] };
    for (const gr of splitGrids(rng, rect, g).sort(byReadingOrder)) {
      const cells: number[] = [];
      for (let y = gr.y1 - 1; y >= gr.y0; y--) for (let x = gr.x0; x < gr.x1; x++) cells.push(y * nx + x);
      for (const c of cells) cellGrid[c] = grids.length;
      plan.grids.push(grids.length);
      grids.push({ community: ci, rect: gr, cells });
    }
    plans.push(plan);
  });
  dropCorners(rng, nx, ny, grids, cellGrid);
  return { lattice, cellGrid, communities: plans, grids };
}

/**
 * Real streets are rarely rectangles: drop a block at one or two of the street's corners. Only
 * a strict corner of a grid goes, so the grid (and its community) stays one L-shaped piece.
 */
function dropCorners(rng: Rng, nx: number, ny: number, grids: GridPlan[], cellGrid: Int32Array): void {
  const corners = rng.sample(
    [
      [0, 0, 1, 1],
      [nx - 1, 0, -1, 1],
      [nx - 1, ny - 1, -1, -1],
      [0, ny - 1, 1, -1],
    ] as const,
    rng.int(1, 2),
  );
  for (const [x, y, dx, dy] of corners) {
    const gi = cellGrid[y * nx + x] as number;
    const grid = grids[gi];
    if (!grid) continue;
    const gw = grid.rect.x1 - grid.rect.x0;
    const gh = grid.rect.y1 - grid.rect.y0;
    const bw = Math.min(gw - 1, rng.int(1, 2));
    const bh = Math.min(gh - 1, rng.int(1, 2));
    if (bw < 1 || bh < 1 || grid.cells.length - bw * bh < 4) continue;
    const drop = new Set<number>();
    for (let i = 0; i < bw; i++) for (let j = 0; j < bh; j++) drop.add((y + j * dy) * nx + (x + i * dx));
    grid.cells = grid.cells.filter((c) => !drop.has(c));
    for (const c of drop) cellGrid[c] = -1;
  }
}

/**
 * Boundary of a set of cells as one counter-clockwise ring through every lattice vertex on its
 * perimeter. Each cell contributes its four edges counter-clockwise; an edge shared by two cells
 * of the set appears in both directions and cancels, leaving only the perimeter, which is then
 * chained. The sets used here are simply connected and never touch only at a corner, so each
 * perimeter vertex has exactly one outgoing edge; anything else is a layout bug and throws.
 */
export function traceBoundary(lat: Lattice, cells: readonly number[]): MultiPolygon {
  const nv = (lat.nx + 1) * (lat.ny + 1);
  const edges = new Set<number>();
  for (const cell of cells) {
    const cx = cell % lat.nx;
    const cy = Math.floor(cell / lat.nx);
    const ring = [vertexId(lat, cx, cy), vertexId(lat, cx + 1, cy), vertexId(lat, cx + 1, cy + 1), vertexId(lat, cx, cy + 1)];
    for (let k = 0; k < 4; k++) {
      const from = ring[k] as number;
      const to = ring[(k + 1) % 4] as number;
      const reverse = to * nv + from;
      if (edges.has(reverse)) edges.delete(reverse);
      else edges.add(from * nv + to);
    }
  }
  const next = new Map<number, number>();
  let start = Infinity;
  for (const e of edges) {
    const from = Math.floor(e / nv);
    if (next.has(from)) throw new Error(`boundary touches itself at vertex ${from}`);
    next.set(from, e - from * nv);
    start = Math.min(start, from);
  }
  const ring: Position[] = [];
  let v = start;
  do {
    const p = lat.positions[v] as Position;
    // A copy per ring: a consumer that rewinds or rounds one polygon in place must not move its neighbour.
    ring.push([p[0] as number, p[1] as number]);
    const to = next.get(v);
    if (to === undefined) throw new Error(`boundary is not closed at vertex ${v}`);
    v = to;
  } while (v !== start);
  if (ring.length !== edges.size) throw new Error('cell set has a hole or several parts');
  ring.push([...(ring[0] as Position)]);
  return { type: 'MultiPolygon', coordinates: [[ring]] };
}

export interface RoadLine {
  name: string;
  kind: 'primary' | 'secondary' | 'residential';
  coordinates: Position[][];
}

/** 大道 are trunk roads, 路 ordinary roads, 街/巷 old-town lanes (OSM's highway=* classes). */
function roadKind(name: string): RoadLine['kind'] {
  if (name.endsWith('大道')) return 'primary';
  if (name.endsWith('路')) return 'secondary';
  return 'residential';
}

/**
 * The roads run along the lattice lines, so their centrelines are the grid edges themselves.
 * A line segment is a road where it borders at least one of the street's cells; consecutive
 * segments join into one part, so a road interrupted by a dropped corner becomes two parts.
 */
export function traceRoads(lat: Lattice, streetCells: readonly number[]): RoadLine[] {
  const inStreet = new Set(streetCells);
  const has = (cx: number, cy: number) => cx >= 0 && cy >= 0 && cx < lat.nx && cy < lat.ny && inStreet.has(cy * lat.nx + cx);
  const trace = (count: number, borders: (k: number) => boolean, vertex: (k: number) => number): Position[][] => {
    const parts: Position[][] = [];
    let run: Position[] = [];
    for (let k = 0; k < count; k++) {
      if (borders(k)) {
        if (run.length === 0) run.push(lat.positions[vertex(k)]!);
        run.push(lat.positions[vertex(k + 1)]!);
      } else if (run.length > 0) {
        parts.push(run);
        run = [];
      }
    }
    if (run.length > 0) parts.push(run);
    return parts;
  };
  const roads: RoadLine[] = [];
  for (let i = 0; i <= lat.nx; i++) {
    const coordinates = trace(
      lat.ny,
      (j) => has(i - 1, j) || has(i, j),
      (j) => vertexId(lat, i, j),
    );
    if (coordinates.length > 0) roads.push({ name: lat.roadX[i]!, kind: roadKind(lat.roadX[i]!), coordinates });
  }
  for (let j = 0; j <= lat.ny; j++) {
    const coordinates = trace(
      lat.nx,
      (i) => has(i, j - 1) || has(i, j),
      (i) => vertexId(lat, i, j),
    );
    if (coordinates.length > 0) roads.push({ name: lat.roadY[j]!, kind: roadKind(lat.roadY[j]!), coordinates });
  }
  return roads;
}
