/**
 * The Terra Draw part of the boundary editor, and nothing else: it puts the grid's polygons on the
 * map in select mode (drag a vertex, drag a midpoint to add one), snaps dragged vertices with a
 * custom snap function over the neighbours' and buildings' outlines (geo/geometry/boundary-snap.ts),
 * and reports the edited geometry. Undo, validation and keys live in the React side, which owns
 * the history; this module only applies geometries it is given.
 *
 * Terra Draw edits single polygons without holes; a grid's MultiPolygon is one Terra Draw feature
 * per part, and holes (rare in grids) are kept as they were and put back on every read.
 */

import type { LineString, MultiPolygon, Polygon, Position } from 'geojson';
import type { Map as MapLibreMap } from 'maplibre-gl';
import {
  type GeoJSONStoreFeatures,
  TerraDraw,
  TerraDrawLineStringMode,
  type TerraDrawMouseEvent,
  TerraDrawPolygonMode,
  TerraDrawSelectMode,
} from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';
import { metresPerPixel, roundPosition, type SnapIndex } from '../../../geo/geometry/boundary-snap';
import { type DisplayCrs, fromDisplayPoint, toDisplay } from '../../../geo/geometry/display-crs';
import { PALETTE } from '../../../geo/style/palette';
import type { MapTheme } from '../map/map.theme';

/** Terra Draw's store keeps 9 decimals (0.1 mm) and refuses features with more. */
export const DRAW_PRECISION = 9;
/** How close, in screen pixels, a dragged vertex must come to an outline to snap onto it. */
export const SNAP_PIXELS = 12;

export interface DrawSession {
  /** Replaces the edited geometry (undo, redo, vertex deletion, reload). */
  setGeometry(g: MultiPolygon): void;
  current(): MultiPolygon;
  /** Switches to drawing a line (for a split); resolves with it when finished, null when cancelled. */
  drawLine(): Promise<LineString | null>;
  /** Back to editing the polygon, dropping any line being drawn. */
  cancelLine(): void;
  stop(): void;
}

export interface DrawCallbacks {
  /** Any change while dragging, many times a second; the caller debounces. */
  onChange(g: MultiPolygon): void;
  /** An edit finished (a drag released, a vertex added): one step for the history. */
  onEdit(g: MultiPolygon): void;
}

const roundRing = (ring: Position[]) => ring.map((p) => roundPosition(p, DRAW_PRECISION));

export function startDrawSession(
  map: MapLibreMap,
  initial: MultiPolygon,
  snapIndex: () => SnapIndex | null,
  theme: MapTheme,
  crs: DisplayCrs,
  callbacks: DrawCallbacks,
): DrawSession {
  let holes: Position[][][] = [];
  let ids: string[] = [];
  let pendingLine: ((line: LineString | null) => void) | null = null;

  /**
   * Over a GCJ-02 basemap Terra Draw works on shifted positions. Each shifted position it was
   * given (the grid's vertices, snap targets) maps back to the exact WGS84 one, so an edge shared
   * with a neighbour is not nudged by the round trip; only a moved vertex is converted back.
   */
  const exact = new Map<string, Position>();
  const key = (p: Position) => `${p[0]},${p[1]}`;
  const shown = (p: Position): Position => {
    if (crs === 'wgs84') return roundPosition(p, DRAW_PRECISION);
    const d = roundPosition(toDisplay({ type: 'Point', coordinates: p }, crs).coordinates, DRAW_PRECISION);
    exact.set(key(d), p);
    return d;
  };
  const stored = (p: Position): Position => (crs === 'wgs84' ? p : (exact.get(key(p)) ?? fromDisplayPoint([p[0]!, p[1]!], crs)));

  const snap = (event: TerraDrawMouseEvent): Position | undefined => {
    const index = snapIndex();
    if (!index) return undefined;
    const tolerance = SNAP_PIXELS * metresPerPixel(event.lat, map.getZoom());
    const hit = index.snap(fromDisplayPoint([event.lng, event.lat], crs), tolerance);
    return hit ? shown(roundPosition(hit.position, DRAW_PRECISION)) : undefined;
  };

  const select = new TerraDrawSelectMode({
    // The grid stays selected however the user clicks; Escape and Delete are the editor's keys.
    allowManualDeselection: false,
    keyEvents: null,
    flags: {
      polygon: {
        feature: {
          draggable: false,
          coordinates: { draggable: true, midpoints: { draggable: true }, deletable: true, snappable: { toCustom: snap } },
        },
      },
    },
    styles: {
      selectedPolygonColor: theme.boundary.editFill as `#${string}`,
      selectedPolygonFillOpacity: 0.15,
      selectedPolygonOutlineColor: theme.boundary.editOutline as `#${string}`,
      selectedPolygonOutlineWidth: 3,
      selectionPointColor: theme.boundary.editOutline as `#${string}`,
      selectionPointWidth: 6,
      selectionPointOutlineColor: PALETTE.white,
      selectionPointOutlineWidth: 2,
      midPointColor: PALETTE.white,
      midPointOutlineColor: theme.boundary.editOutline as `#${string}`,
      midPointWidth: 4,
      midPointOutlineWidth: 1.5,
    },
  });
  const line = new TerraDrawLineStringMode({
    snapping: { toCustom: snap },
    styles: { lineStringColor: theme.boundary.splitLine as `#${string}`, lineStringWidth: 3 },
  });
  // Features belong to a mode by name: the grid's parts are 'polygon' features, so that mode is
  // registered (and never switched to: drawing a new grid is not part of this editor).
  const polygon = new TerraDrawPolygonMode({
    styles: {
      fillColor: theme.boundary.editFill as `#${string}`,
      fillOpacity: 0.1,
      outlineColor: theme.boundary.editOutline as `#${string}`,
      outlineWidth: 2,
    },
  });
  const draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map, coordinatePrecision: DRAW_PRECISION }),
    modes: [select, polygon, line],
  });

  const read = (): MultiPolygon => ({
    type: 'MultiPolygon',
    coordinates: ids.map((id, i) => {
      const f = draw.getSnapshotFeature(id);
      const outer = (f?.geometry as Polygon | undefined)?.coordinates[0] ?? [];
      return [outer.map(stored), ...(holes[i] ?? [])];
    }),
  });

  const load = (g: MultiPolygon) => {
    if (ids.length) {
      for (const id of ids) if (draw.hasFeature(id)) draw.deselectFeature(id);
      draw.removeFeatures(ids.filter((id) => draw.hasFeature(id)));
    }
    holes = g.coordinates.map((rings) => rings.slice(1));
    const features: GeoJSONStoreFeatures[] = g.coordinates.map((rings) => ({
      id: crypto.randomUUID(),
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [crs === 'wgs84' ? roundRing(rings[0]!) : rings[0]!.map(shown)] },
      properties: { mode: 'polygon' },
    }));
    const results = draw.addFeatures(features);
    const refused = results.filter((r) => !r.valid);
    // A part Terra Draw refuses cannot be edited here; say why where a developer will look.
    if (refused.length)
      console.warn(
        'boundary editor: parts not editable',
        refused.map((r) => r.reason),
      );
    ids = results.filter((r) => r.valid).map((r) => String(r.id));
    // Selecting shows the vertex handles; with several parts, the first is selected and a tap
    // on another part selects that one.
    if (ids[0]) draw.selectFeature(ids[0]);
  };

  draw.start();
  draw.setMode('select');
  load(initial);

  draw.on('change', (_ids, type) => {
    if (draw.getMode() !== 'select' || type === 'delete') return;
    callbacks.onChange(read());
  });
  draw.on('finish', (id, context) => {
    if (context.mode === 'linestring') {
      const f = draw.getSnapshotFeature(id);
      const done = pendingLine;
      pendingLine = null;
      draw.removeFeatures([id]);
      draw.setMode('select');
      if (ids[0]) draw.selectFeature(ids[0]);
      const drawn = (f?.geometry as LineString | undefined) ?? null;
      done?.(drawn && { ...drawn, coordinates: drawn.coordinates.map(stored) });
      return;
    }
    callbacks.onEdit(read());
  });

  return {
    setGeometry: load,
    current: read,
    drawLine() {
      pendingLine?.(null);
      for (const id of ids) draw.deselectFeature(id);
      draw.setMode('linestring');
      return new Promise((resolve) => (pendingLine = resolve));
    },
    cancelLine() {
      if (!pendingLine) return;
      const done = pendingLine;
      pendingLine = null;
      draw.setMode('select');
      if (ids[0]) draw.selectFeature(ids[0]);
      done(null);
    },
    stop() {
      pendingLine?.(null);
      pendingLine = null;
      draw.stop();
    },
  };
}
