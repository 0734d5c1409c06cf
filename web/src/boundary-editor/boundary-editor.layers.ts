/**
 * The boundary editor's map layers, as pure functions of the theme (like map/*.layers.ts): the
 * problems where they are (red hatch for overlaps, orange for gaps, purple for area outside the
 * community, markers for cut buildings and crossings), the preview's buildings moving in and out,
 * the history's added and removed area, and the vertex Delete would remove. Terra Draw's own
 * layers are added after these, so handles stay on top.
 */
import type { ExpressionSpecification, LayerSpecification, SourceSpecification } from '@maplibre/maplibre-gl-style-spec';
import type { Feature, FeatureCollection, MultiPolygon, Point, Polygon, Position } from 'geojson';
import { BOUNDARY_PROBLEM, type BoundaryProblemCode, type ProblemGeometry } from '../../../geo/geometry/grid-boundary.validation';
import { pointOnSurface } from '../../../geo/geometry/point-on-surface';
import { PALETTE } from '../../../geo/style/palette';
import type { MapTheme } from '../map/map.theme';

export const EDITOR_SOURCE = {
  problems: 'boundary-problems',
  impact: 'boundary-impact',
  compare: 'boundary-compare',
  vertex: 'boundary-vertex',
  neighbours: 'boundary-neighbours',
} as const;

export const EDITOR_LAYER = {
  neighbourOutline: 'boundary-neighbour-outline',
  overlapHatch: 'boundary-overlap-hatch',
  areaFill: 'boundary-area-fill',
  problemOutline: 'boundary-problem-outline',
  problemMarker: 'boundary-problem-marker',
  impactFill: 'boundary-impact-fill',
  impactOutline: 'boundary-impact-outline',
  compareFill: 'boundary-compare-fill',
  compareOutline: 'boundary-compare-outline',
  vertex: 'boundary-vertex',
} as const;

export const HATCH_IMAGE = 'boundary-hatch';

/** Problems about the grid as a whole (households, workload) are listed, not drawn: they are everywhere. */
const WHOLE_GRID: readonly BoundaryProblemCode[] = [BOUNDARY_PROBLEM.HOUSEHOLDS_OUT_OF_RANGE, BOUNDARY_PROBLEM.WORKLOAD_OUT_OF_RANGE];

export interface DrawnProblem {
  code: BoundaryProblemCode;
  geometry: ProblemGeometry;
}

/**
 * One feature per drawn problem (index = its place in the panel's list), plus a marker at the
 * point on surface of each cut building, so a cut reads at any zoom.
 */
export function problemFeatures(problems: readonly DrawnProblem[]): FeatureCollection<Point | Polygon | MultiPolygon> {
  const features: Feature<Point | Polygon | MultiPolygon>[] = [];
  problems.forEach((p, index) => {
    if (WHOLE_GRID.includes(p.code) || !p.geometry) return;
    features.push({ type: 'Feature', geometry: p.geometry, properties: { code: p.code, index } });
    if (p.code === BOUNDARY_PROBLEM.CUTS_BUILDING && p.geometry.type !== 'Point') {
      const at = pointOnSurface(p.geometry);
      if (at) features.push({ type: 'Feature', geometry: { type: 'Point', coordinates: at }, properties: { code: p.code, index } });
    }
  });
  return { type: 'FeatureCollection', features };
}

export function impactFeatures(
  footprints: ReadonlyMap<number, MultiPolygon | Polygon>,
  buildingsIn: readonly number[],
  buildingsOut: readonly number[],
): FeatureCollection<MultiPolygon | Polygon> {
  const f = (id: number, move: 'in' | 'out'): Feature<MultiPolygon | Polygon>[] => {
    const g = footprints.get(id);
    return g ? [{ type: 'Feature', geometry: g, properties: { id, move } }] : [];
  };
  return {
    type: 'FeatureCollection',
    features: [...buildingsIn.flatMap((id) => f(id, 'in')), ...buildingsOut.flatMap((id) => f(id, 'out'))],
  };
}

export function compareFeatures(
  added: Polygon | MultiPolygon | null,
  removed: Polygon | MultiPolygon | null,
): FeatureCollection<Polygon | MultiPolygon> {
  const features: Feature<Polygon | MultiPolygon>[] = [];
  if (added) features.push({ type: 'Feature', geometry: added, properties: { change: 'added' } });
  if (removed) features.push({ type: 'Feature', geometry: removed, properties: { change: 'removed' } });
  return { type: 'FeatureCollection', features };
}

export function vertexFeatures(at: Position | null): FeatureCollection<Point> {
  return {
    type: 'FeatureCollection',
    features: at ? [{ type: 'Feature', geometry: { type: 'Point', coordinates: at }, properties: {} }] : [],
  };
}

export function editorSources(): Record<string, SourceSpecification> {
  const empty = () => ({ type: 'FeatureCollection' as const, features: [] });
  return Object.fromEntries(Object.values(EDITOR_SOURCE).map((id) => [id, { type: 'geojson', data: empty() }]));
}

const code = (c: BoundaryProblemCode): ExpressionSpecification => ['==', ['get', 'code'], c];
const isArea: ExpressionSpecification = ['!=', ['geometry-type'], 'Point'];

export function editorLayers(theme: MapTheme): LayerSpecification[] {
  const b = theme.boundary;
  const problemColour = [
    'match',
    ['get', 'code'],
    BOUNDARY_PROBLEM.OVERLAPS_GRID,
    b.overlap,
    BOUNDARY_PROBLEM.LEAVES_GAP,
    b.gap,
    BOUNDARY_PROBLEM.OUTSIDE_COMMUNITY,
    b.outside,
    b.marker,
  ] as ExpressionSpecification;
  return [
    {
      id: EDITOR_LAYER.compareFill,
      type: 'fill',
      source: EDITOR_SOURCE.compare,
      paint: { 'fill-color': ['match', ['get', 'change'], 'added', b.added, b.removed], 'fill-opacity': 0.55 },
    },
    {
      id: EDITOR_LAYER.compareOutline,
      type: 'line',
      source: EDITOR_SOURCE.compare,
      paint: { 'line-color': ['match', ['get', 'change'], 'added', b.added, b.removed], 'line-width': 2 },
    },
    {
      // Neighbours redrawn to follow a moved shared edge: dashed, in the edit colour.
      id: EDITOR_LAYER.neighbourOutline,
      type: 'line',
      source: EDITOR_SOURCE.neighbours,
      paint: { 'line-color': b.editOutline, 'line-width': 2.5, 'line-dasharray': [2, 1.5] },
    },
    {
      id: EDITOR_LAYER.impactFill,
      type: 'fill',
      source: EDITOR_SOURCE.impact,
      paint: { 'fill-color': ['match', ['get', 'move'], 'in', b.buildingIn, b.buildingOut], 'fill-opacity': 0.85 },
    },
    {
      id: EDITOR_LAYER.impactOutline,
      type: 'line',
      source: EDITOR_SOURCE.impact,
      paint: { 'line-color': PALETTE.white, 'line-width': 1 },
    },
    {
      id: EDITOR_LAYER.areaFill,
      type: 'fill',
      source: EDITOR_SOURCE.problems,
      filter: ['all', isArea, ['any', code(BOUNDARY_PROBLEM.LEAVES_GAP), code(BOUNDARY_PROBLEM.OUTSIDE_COMMUNITY)]],
      paint: { 'fill-color': problemColour, 'fill-opacity': 0.45 },
    },
    {
      id: EDITOR_LAYER.overlapHatch,
      type: 'fill',
      source: EDITOR_SOURCE.problems,
      filter: ['all', isArea, code(BOUNDARY_PROBLEM.OVERLAPS_GRID)],
      paint: { 'fill-pattern': HATCH_IMAGE },
    },
    {
      id: EDITOR_LAYER.problemOutline,
      type: 'line',
      source: EDITOR_SOURCE.problems,
      filter: isArea,
      paint: { 'line-color': problemColour, 'line-width': 2.5 },
    },
    {
      id: EDITOR_LAYER.problemMarker,
      type: 'circle',
      source: EDITOR_SOURCE.problems,
      filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-color': problemColour, 'circle-radius': 7, 'circle-stroke-color': PALETTE.white, 'circle-stroke-width': 2 },
    },
    {
      id: EDITOR_LAYER.vertex,
      type: 'circle',
      source: EDITOR_SOURCE.vertex,
      paint: { 'circle-color': b.activeVertex, 'circle-radius': 9, 'circle-stroke-color': b.editOutline, 'circle-stroke-width': 2 },
    },
  ];
}

/** A diagonal hatch tile (RGBA), for map.addImage: a pattern reads as "overlap" even in greyscale. */
export function hatchImage(hex: string, size = 12): { width: number; height: number; data: Uint8Array } {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, bl] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Stripes 3 px wide along x + y; the gaps get a faint tint so the area still reads as one.
      const on = (x + y) % size < 3;
      const i = 4 * (y * size + x);
      data.set([r, g, bl, on ? 230 : 50], i);
    }
  }
  return { width: size, height: size, data };
}
