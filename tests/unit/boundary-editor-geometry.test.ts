import type { MultiPolygon, Polygon } from 'geojson';
import { describe, expect, it } from 'vitest';
import { nearestVertex, removeVertex, VERTEX_REMOVAL } from '../../geo/geometry/boundary-edit';
import { metresPerPixel, SnapIndex } from '../../geo/geometry/boundary-snap';
import { canRedo, canUndo, MAX_HISTORY, pushEdit, redo, startHistory, undo } from '../../geo/geometry/edit-history';
import { GRID_CHANGE_REASON, validateSplitName } from '../../geo/geometry/grid-change.reasons';
import { fitNeighbours } from '../../geo/geometry/neighbour-fit';

// Around Monaco: 1e-4° of latitude ≈ 11.1 m, of longitude ≈ 8.2 m.
const square = (x: number, y: number, s: number): Polygon => ({
  type: 'Polygon',
  coordinates: [
    [
      [x, y],
      [x + s, y],
      [x + s, y + s],
      [x, y + s],
      [x, y],
    ],
  ],
});
const X = 7.42;
const Y = 43.73;

describe('SnapIndex', () => {
  const neighbour = square(X, Y, 0.001);
  const index = new SnapIndex([{ geometry: neighbour }]);

  it('snaps to a vertex within the tolerance, ahead of a nearer edge', () => {
    // 1.6 m east of the corner, 0.3 m below the bottom edge (which is nearer): the corner wins.
    const r = index.snap([X + 0.00002, Y - 0.0000027], 3);
    expect(r).toMatchObject({ kind: 'vertex', position: [X, Y] });
    expect(r!.distanceM).toBeGreaterThan(1);
  });

  it('snaps onto an edge exactly when no vertex is near', () => {
    const r = index.snap([X + 0.0005, Y + 0.00001], 3);
    expect(r?.kind).toBe('edge');
    expect(r!.position[1]).toBeCloseTo(Y, 12);
    expect(r!.position[0]).toBeCloseTo(X + 0.0005, 12);
  });

  it('leaves a point beyond the tolerance alone', () => {
    expect(index.snap([X + 0.0005, Y + 0.0001], 3)).toBeNull();
    expect(index.snap([X - 0.01, Y], 3)).toBeNull();
  });

  it('counts a vertex shared by two sources once', () => {
    const two = new SnapIndex([{ geometry: neighbour }, { geometry: square(X + 0.001, Y, 0.001) }]);
    expect(two.vertexCount).toBe(6);
  });

  it('converts pixels to metres at a zoom', () => {
    expect(metresPerPixel(0, 0)).toBeCloseTo(78_271.5, 0);
    expect(metresPerPixel(Y, 17)).toBeCloseTo(0.4315, 3);
  });
});

describe('vertex removal', () => {
  const pentagon: Polygon = {
    type: 'Polygon',
    coordinates: [
      [
        [0, 0],
        [2, 0],
        [3, 1],
        [1, 2],
        [0, 1],
        [0, 0],
      ],
    ],
  };

  it('finds the vertex under a tap and removes it, keeping the ring closed', () => {
    const v = nearestVertex(pentagon, [3.000001, 1], 1);
    expect(v).toMatchObject({ polygon: 0, ring: 0, index: 2 });
    const r = removeVertex(pentagon, v!);
    expect(r).toEqual({
      ok: true,
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [2, 0],
            [1, 2],
            [0, 1],
            [0, 0],
          ],
        ],
      },
    });
  });

  it('removing the first vertex closes the ring on the next one', () => {
    const r = removeVertex(pentagon, { polygon: 0, ring: 0, index: 0 });
    expect(r.ok && r.geometry.coordinates[0]).toEqual([
      [2, 0],
      [3, 1],
      [1, 2],
      [0, 1],
      [2, 0],
    ]);
  });

  it('refuses to leave fewer than three corners, or a vertex that is not there', () => {
    const triangle: Polygon = {
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [0, 1],
          [0, 0],
        ],
      ],
    };
    expect(removeVertex(triangle, { polygon: 0, ring: 0, index: 1 })).toEqual({ ok: false, reason: VERTEX_REMOVAL.TOO_FEW_CORNERS });
    expect(removeVertex(pentagon, { polygon: 0, ring: 0, index: 5 })).toEqual({ ok: false, reason: VERTEX_REMOVAL.NO_SUCH_VERTEX });
    expect(nearestVertex(pentagon, [10, 10], 1)).toBeNull();
  });
});

describe('edit history', () => {
  it('undoes and redoes, and a new edit drops the redo branch', () => {
    let h = startHistory('a');
    h = pushEdit(h, 'b');
    h = pushEdit(h, 'c');
    h = undo(h);
    expect(h.present).toBe('b');
    expect(canRedo(h)).toBe(true);
    h = redo(h);
    expect(h.present).toBe('c');
    h = undo(undo(h));
    expect(h.present).toBe('a');
    expect(canUndo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    h = pushEdit(h, 'd');
    expect(h).toEqual({ past: ['a'], present: 'd', future: [] });
  });

  it('does not record an edit equal to the present', () => {
    const h = startHistory({ type: 'Polygon', coordinates: [[[0, 0]]] });
    expect(pushEdit(h, { type: 'Polygon', coordinates: [[[0, 0]]] })).toBe(h);
  });

  it('keeps at most MAX_HISTORY steps', () => {
    let h = startHistory(0);
    for (let i = 1; i <= MAX_HISTORY + 10; i++) h = pushEdit(h, i);
    expect(h.past.length).toBe(MAX_HISTORY);
    expect(h.past[0]).toBe(10);
  });
});

describe('boundary editor layers', () => {
  it('are a valid MapLibre style on top of the base style', async () => {
    const { validateStyleMin } = await import('@maplibre/maplibre-gl-style-spec');
    const { baseStyle } = await import('../../web/src/map/base.style');
    const { LIGHT_THEME } = await import('../../web/src/map/map.theme');
    const { editorLayers, editorSources } = await import('../../web/src/boundary-editor/boundary-editor.layers');
    const style = baseStyle({
      basemap: { kind: 'none' },
      theme: LIGHT_THEME,
      communityIds: [1],
      fontUrl: 'http://localhost/f.woff2',
      tiles: { origin: 'http://localhost' },
    });
    const withEditor = {
      ...style,
      sources: { ...style.sources, ...editorSources() },
      layers: [...style.layers, ...editorLayers(LIGHT_THEME)],
    };
    expect(validateStyleMin(withEditor as never)).toEqual([]);
  });

  it('draw area problems where they are, with a marker on each cut building, and list whole-grid ones only', async () => {
    const { problemFeatures } = await import('../../web/src/boundary-editor/boundary-editor.layers');
    const fc = problemFeatures([
      { code: 'OVERLAPS_GRID', geometry: square(X, Y, 0.001) },
      { code: 'HOUSEHOLDS_OUT_OF_RANGE', geometry: square(X, Y, 0.002) },
      { code: 'CUTS_BUILDING', geometry: square(X, Y, 0.0001) },
    ]);
    expect(fc.features.map((f) => [f.properties!.code, f.properties!.index, f.geometry.type])).toEqual([
      ['OVERLAPS_GRID', 0, 'Polygon'],
      ['CUTS_BUILDING', 2, 'Polygon'],
      ['CUTS_BUILDING', 2, 'Point'],
    ]);
  });
});

describe('fitNeighbours', () => {
  // Grid A west of neighbour B, sharing the edge x = X + 0.001; the community is both.
  const A = square(X, Y, 0.001);
  const B = square(X + 0.001, Y, 0.001);
  const community: Polygon = {
    type: 'Polygon',
    coordinates: [
      [
        [X, Y],
        [X + 0.002, Y],
        [X + 0.002, Y + 0.001],
        [X, Y + 0.001],
        [X, Y],
      ],
    ],
  };
  const moveSharedEdge = (dx: number): Polygon => ({
    type: 'Polygon',
    coordinates: [
      [
        [X, Y],
        [X + 0.001 + dx, Y],
        [X + 0.001 + dx, Y + 0.001],
        [X, Y + 0.001],
        [X, Y],
      ],
    ],
  });

  it('takes from the neighbour what the grid now covers, leaving no overlap', async () => {
    const { area, intersect, featureCollection, feature } = await import('@turf/turf');
    const proposed = moveSharedEdge(0.0002);
    const [b] = fitNeighbours({ proposed, oldBoundary: A, community, neighbours: [{ id: 2, boundary: B }] });
    expect(b!.id).toBe(2);
    expect(b!.deltaM2).toBeLessThan(-100);
    expect(area(b!.boundary) + area(proposed)).toBeCloseTo(area(A) + area(B), 0);
    const shared = intersect(featureCollection<Polygon | MultiPolygon>([feature(proposed), feature(b!.boundary)]));
    expect(shared === null ? 0 : area(shared)).toBeLessThan(1);
  });

  it('gives the gap back to the neighbour the edge was shared with', async () => {
    const { area } = await import('@turf/turf');
    const proposed = moveSharedEdge(-0.0002);
    const far = square(X + 0.003, Y, 0.001);
    const fitted = fitNeighbours({
      proposed,
      oldBoundary: A,
      community,
      neighbours: [
        { id: 2, boundary: B },
        { id: 3, boundary: far },
      ],
    });
    expect(fitted.map((f) => f.id)).toEqual([2]);
    expect(fitted[0]!.deltaM2).toBeGreaterThan(100);
    expect(area(fitted[0]!.boundary) + area(proposed)).toBeCloseTo(area(A) + area(B), 0);
  });

  it('leaves neighbours alone when the shared edge did not move', () => {
    expect(fitNeighbours({ proposed: A, oldBoundary: A, community, neighbours: [{ id: 2, boundary: B }] })).toEqual([]);
  });
});

describe("the name of a split's new grid", () => {
  const taken = ['洗马池社区第一网格', '洗马池社区第二网格'];

  it('accepts a free name, trimmed', () => {
    expect(validateSplitName('  洗马池社区第一网格（二） ', taken)).toEqual({ valid: true, name: '洗马池社区第一网格（二）' });
  });

  it('refuses an empty name and one another grid of the community has, with a named reason', () => {
    expect(validateSplitName('   ', taken)).toMatchObject({ valid: false, reason: GRID_CHANGE_REASON.SPLIT_NAME_EMPTY });
    expect(validateSplitName(' 洗马池社区第二网格', taken)).toEqual({
      valid: false,
      reason: GRID_CHANGE_REASON.SPLIT_NAME_TAKEN,
      name: '洗马池社区第二网格',
    });
  });
});
