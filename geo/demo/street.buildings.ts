/**
 * Buildings of the demo street: each block (lattice cell) holds one estate laid out in rows —
 * slabs facing south with sunlight spacing between rows, as Nanchang estates are built — inset
 * from the roads that run along the cell edges. Footprints are rectangles in the cell's local
 * (u, v) square mapped bilinearly, so they follow the block's jitter, never overlap, and lie
 * strictly inside one cell and therefore inside exactly one grid.
 */
import type { MultiPolygon, Position } from 'geojson';
import type { DemoBuilding } from './demo-street.types';
import {
  ESTATE_PREFIXES_NEW,
  ESTATE_PREFIXES_OLD,
  ESTATE_SUFFIXES_NEW,
  ESTATE_SUFFIXES_OLD,
  PUBLIC_BUILDINGS,
  type PublicBuildingKind,
} from './names';
import type { Rng } from './random';
import { cellCorners, cellPoint, cellSize, type Metres, type StreetLayout, toLonLat } from './street.layout';

export type BuildingKind = 'lowrise' | 'slab' | 'tower' | PublicBuildingKind;

/** How a grid is built up: old town (平房/老宿舍), mixed, or newer estates with a tower or two. */
export type GridCharacter = 'old' | 'mixed' | 'modern';

interface Spec {
  kind: BuildingKind;
  /** Footprint along the cell's east (w) and north (d) axes, metres. */
  w: number;
  d: number;
  floors: number;
  units: number;
  perFloor: number;
  /** Clear space to the next building in the row, and to the row to the north (sunlight). */
  sideGap: number;
  rowGap: number;
  publicName?: string;
}

export interface BuildingInfo {
  row: DemoBuilding;
  kind: BuildingKind;
  grid: number;
  cell: number;
  units: number;
  perFloor: number;
  /** A point inside the footprint (its bilinear centre), metres. */
  centre: Metres;
  estate: string | null;
  /** The road of the estate's gate, which the address names. */
  road: string;
}

export interface PublicPlacement {
  kind: PublicBuildingKind;
  grid: number;
  /** Names centres and health stations (阳明社区党群服务中心); schools take their road's name. */
  communityStem: string;
}

export interface GridBuildingPlan {
  grid: number;
  character: GridCharacter;
  /** Rooms wanted: the households to be housed plus vacancies. */
  capacity: number;
}

export const capacityOf = (b: { floors: number; units: number; perFloor: number; kind: BuildingKind }) =>
  b.kind === 'lowrise' || b.kind === 'slab' || b.kind === 'tower' ? b.floors * b.units * b.perFloor : 0;

function residentialSpec(rng: Rng, kind: 'lowrise' | 'slab' | 'tower'): Spec {
  if (kind === 'lowrise') {
    const perFloor = rng.chance(0.5) ? 1 : 2;
    return {
      kind,
      floors: rng.int(2, 3),
      units: 1,
      perFloor,
      w: perFloor === 1 ? rng.float(9, 12) : rng.float(12, 16),
      d: rng.float(8, 11),
      sideGap: rng.float(5, 8),
      rowGap: rng.float(6, 9),
    };
  }
  if (kind === 'slab') {
    const perFloor = rng.chance(0.65) ? 2 : 3;
    return {
      kind,
      floors: rng.chance(0.55) ? 6 : 7,
      units: 2,
      perFloor,
      w: 2 * perFloor * rng.float(7, 8),
      d: rng.float(11, 13),
      sideGap: rng.float(9, 14),
      rowGap: rng.float(18, 22),
    };
  }
  return {
    kind,
    floors: rng.pick([18, 24, 26, 28, 32]),
    units: 2,
    perFloor: 2,
    w: rng.float(32, 36),
    d: rng.float(16, 18),
    sideGap: rng.float(16, 20),
    rowGap: rng.float(28, 34),
  };
}

function publicSpec(rng: Rng, p: PublicPlacement): Spec {
  const def = PUBLIC_BUILDINGS[p.kind];
  const name = rng.pick(def.names);
  return {
    kind: p.kind,
    floors: rng.int(def.floors[0], def.floors[1]),
    units: 0,
    perFloor: 0,
    w: def.size[0] * rng.float(0.9, 1.1),
    d: def.size[1] * rng.float(0.9, 1.1),
    sideGap: 12,
    rowGap: 15,
    // Schools and markets are named after the road they stand on, known only once placed.
    publicName: p.kind === 'centre' || p.kind === 'health' ? name.replace('{x}', p.communityStem) : name,
  };
}

/** Residential specs for one grid until its rooms reach the wanted capacity. */
function residentialSpecs(rng: Rng, plan: GridBuildingPlan): Spec[] {
  const lowShare = { old: rng.float(0.4, 0.55), mixed: rng.float(0.18, 0.3), modern: rng.float(0.05, 0.12) }[plan.character];
  const specs: Spec[] = [];
  let cap = 0;
  const add = (s: Spec) => {
    specs.push(s);
    cap += capacityOf(s);
  };
  while (cap < plan.capacity * lowShare) add(residentialSpec(rng, 'lowrise'));
  const towers = plan.character === 'modern' ? rng.int(1, 2) : plan.character === 'mixed' && rng.chance(0.12) ? 1 : 0;
  for (let t = 0; t < towers; t++) {
    const s = residentialSpec(rng, 'tower');
    if (cap + capacityOf(s) <= plan.capacity * 0.8) add(s);
  }
  while (cap < plan.capacity) add(residentialSpec(rng, 'slab'));
  return specs;
}

interface Row {
  specs: Spec[];
  width: number;
  depth: number;
  gapNorth: number;
}

/**
 * Shelf packing: rows from south to north, each as wide as a compact block (about square) but
 * never wider than the usable width. Returns null if the rows do not fit the usable height.
 */
function packRows(specs: readonly Spec[], usableW: number, usableH: number): Row[] | null {
  if (specs.length === 0) return [];
  const demand = specs.reduce((s, x) => s + (x.w + x.sideGap) * (x.d + x.rowGap), 0);
  const widest = Math.max(...specs.map((x) => x.w));
  if (widest > usableW) return null;
  const limit = Math.min(usableW, Math.max(widest, Math.sqrt(demand) * 1.4));
  const rows: Row[] = [];
  for (const s of specs) {
    const row = rows[rows.length - 1];
    if (row && row.width + row.specs[row.specs.length - 1]!.sideGap + s.w <= limit) {
      row.width += row.specs[row.specs.length - 1]!.sideGap + s.w;
      row.specs.push(s);
      row.depth = Math.max(row.depth, s.d);
      row.gapNorth = Math.max(row.gapNorth, s.rowGap);
    } else {
      rows.push({ specs: [s], width: s.w, depth: s.d, gapNorth: s.rowGap });
    }
  }
  const height = rows.reduce((h, r, i) => h + r.depth + (i < rows.length - 1 ? r.gapNorth : 0), 0);
  return height <= usableH ? rows : null;
}

interface CellFrame {
  corners: ReturnType<typeof cellCorners>;
  w: number;
  h: number;
  /** Setbacks from the west, east, south and north roads, metres. */
  west: number;
  east: number;
  south: number;
  north: number;
}

function frameOf(layout: StreetLayout, cell: number): CellFrame {
  const lat = layout.lattice;
  const cx = cell % lat.nx;
  const cy = Math.floor(cell / lat.nx);
  const corners = cellCorners(lat, cell);
  const { w, h } = cellSize(corners);
  return {
    corners,
    w,
    h,
    west: lat.setbackX[cx] as number,
    east: lat.setbackX[cx + 1] as number,
    south: lat.setbackY[cy] as number,
    north: lat.setbackY[cy + 1] as number,
  };
}

const usable = (f: CellFrame) => ({ w: f.w - f.west - f.east, h: f.h - f.south - f.north });

/** An estate's name and gate address (road + house number) for one block. */
interface Estate {
  name: string;
  road: string;
  number: number;
}

function estateFor(rng: Rng, layout: StreetLayout, cell: number, specs: readonly Spec[], used: Set<string>): Estate {
  const lat = layout.lattice;
  const cx = cell % lat.nx;
  const cy = Math.floor(cell / lat.nx);
  const side = rng.int(0, 3);
  // House numbers run along the road, odd on one side and even on the other (门牌 practice);
  // the gate sits 10–100 m along the block, so neighbouring blocks never get the same number.
  const offset = rng.float(10, 100);
  const x0 = lat.xs[0] as number;
  const y0 = lat.ys[0] as number;
  let road: string;
  let number: number;
  if (side === 0 || side === 1) {
    const i = side === 0 ? cx : cx + 1;
    road = lat.roadX[i] as string;
    const along = (lat.ys[cy * (lat.nx + 1) + i] as number) - y0 + offset;
    number = 2 * Math.floor(along / 24) + (side === 0 ? 1 : 2);
  } else {
    const j = side === 2 ? cy : cy + 1;
    road = lat.roadY[j] as string;
    const along = (lat.xs[j * (lat.nx + 1) + cx] as number) - x0 + offset;
    number = 2 * Math.floor(along / 24) + (side === 2 ? 1 : 2);
  }
  const newish = specs.some((s) => s.kind === 'tower') || (specs.every((s) => s.kind !== 'lowrise') && rng.chance(0.5));
  let name = '';
  for (let attempt = 0; attempt < 20 && (name === '' || used.has(name)); attempt++) {
    name = newish
      ? rng.pick(ESTATE_PREFIXES_NEW) + rng.pick(ESTATE_SUFFIXES_NEW)
      : rng.pick(ESTATE_PREFIXES_OLD) + rng.pick(ESTATE_SUFFIXES_OLD);
  }
  if (used.has(name)) name = `${name}${used.size}期`;
  used.add(name);
  return { name, road, number };
}

function footprint(frame: CellFrame, s0: number, t0: number, s1: number, t1: number): MultiPolygon {
  const ring: Position[] = [
    [s0, t0],
    [s1, t0],
    [s1, t1],
    [s0, t1],
  ].map(([s, t]) => {
    const [x, y] = cellPoint(frame.corners, (s as number) / frame.w, (t as number) / frame.h);
    return toLonLat(x, y);
  });
  ring.push([...(ring[0] as Position)]);
  return { type: 'MultiPolygon', coordinates: [[ring]] };
}

/**
 * Lays out every grid's buildings. Ids run grid by grid, block by block (north-west first), row
 * by row from the north, so 1栋 is an estate's north-west building as on a 小区平面图.
 */
export function layBuildings(
  rng: Rng,
  layout: StreetLayout,
  plans: readonly GridBuildingPlan[],
  publics: readonly PublicPlacement[],
): BuildingInfo[] {
  const out: BuildingInfo[] = [];
  const usedEstates = new Set<string>();
  for (const plan of plans) {
    const grid = layout.grids[plan.grid];
    if (!grid) throw new Error(`no grid ${plan.grid}`);
    const frames = new Map(grid.cells.map((c) => [c, frameOf(layout, c)] as const));
    const specs = [...publics.filter((p) => p.grid === plan.grid).map((p) => publicSpec(rng, p)), ...residentialSpecs(rng, plan)];
    // Contiguous runs of specs go to the blocks in turn, each block getting a similar share of
    // ground: old houses cluster in some blocks and slabs in others, as in a real grid.
    const cells = rng.shuffle([...grid.cells]);
    const demand = specs.map((x) => (x.w + x.sideGap) * (x.d + x.rowGap));
    const total = demand.reduce((a, b) => a + b, 0);
    const perCell = new Map<number, Spec[]>(cells.map((c) => [c, []]));
    let acc = 0;
    const overflow: Spec[] = [];
    specs.forEach((s, i) => {
      const k = Math.min(cells.length - 1, Math.floor(((acc + (demand[i] as number) / 2) / total) * cells.length));
      acc += demand[i] as number;
      const cell = cells[k] as number;
      const list = perCell.get(cell) as Spec[];
      const f = frames.get(cell) as CellFrame;
      const u = usable(f);
      if (packRows([...list, s], u.w, u.h)) list.push(s);
      else overflow.push(s);
    });
    for (const s of overflow) {
      const target = cells.find((c) => {
        const u = usable(frames.get(c) as CellFrame);
        return packRows([...(perCell.get(c) as Spec[]), s], u.w, u.h) !== null;
      });
      if (target === undefined) throw new Error(`grid ${plan.grid}: no room for a ${s.kind}`);
      (perCell.get(target) as Spec[]).push(s);
    }
    for (const cell of grid.cells) {
      const list = perCell.get(cell) as Spec[];
      if (list.length === 0) continue;
      const f = frames.get(cell) as CellFrame;
      const u = usable(f);
      const rows = packRows(list, u.w, u.h) as Row[];
      const estate = estateFor(rng, layout, cell, list, usedEstates);
      // Spread the block a little into the spare ground, then drop it somewhere in the block.
      const height = rows.reduce((h, r, i) => h + r.depth + (i < rows.length - 1 ? r.gapNorth : 0), 0);
      const spare = u.h - height;
      const extraGap = rows.length > 1 ? Math.min(8, (spare * 0.4) / (rows.length - 1)) : 0;
      const blockH = height + extraGap * (rows.length - 1);
      let t = f.south + rng.float(0, u.h - blockH);
      const placed: { spec: Spec; s0: number; t0: number }[][] = [];
      for (const r of rows) {
        let s = f.west + rng.float(0, u.w - r.width);
        const line: { spec: Spec; s0: number; t0: number }[] = [];
        for (const spec of r.specs) {
          line.push({ spec, s0: s, t0: t });
          s += spec.w + spec.sideGap;
        }
        placed.push(line);
        t += r.depth + r.gapNorth + extraGap;
      }
      let residentialNo = 0;
      let publicNo = 0;
      for (const line of placed.reverse()) {
        for (const { spec, s0, t0 } of line) {
          const s1 = s0 + spec.w;
          const t1 = t0 + spec.d;
          const isPublic = spec.publicName !== undefined;
          const label = isPublic
            ? `${estate.road}${estate.number + 2 * ++publicNo}号`
            : `${estate.road}${estate.number}号${++residentialNo}栋`;
          out.push({
            row: {
              id: out.length + 1,
              gridId: plan.grid + 1,
              address: label,
              name: isPublic ? (spec.publicName as string).replace('{x}', estate.road) : `${estate.name}${residentialNo}栋`,
              floors: spec.floors,
              footprint: footprint(f, s0, t0, s1, t1),
            },
            kind: spec.kind,
            grid: plan.grid,
            cell,
            units: spec.units,
            perFloor: spec.perFloor,
            centre: cellPoint(f.corners, (s0 + s1) / 2 / f.w, (t0 + t1) / 2 / f.h),
            estate: isPublic ? null : estate.name,
            road: estate.road,
          });
        }
      }
    }
  }
  return out;
}
