import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import { describe, expect, it } from 'vitest';
import { type BasemapConfig, baseStyle } from '../../web/src/map/base.style';
import {
  countStages,
  DEFAULT_PIN_FILTER,
  filterPins,
  ISSUE_CLUSTER_MAX_ZOOM,
  ISSUE_LAYER,
  ISSUE_SOURCE,
  ISSUE_STAGES,
  issueLayers,
  selectedIssueFilter,
} from '../../web/src/map/issues.layers';
import { LIGHT_THEME } from '../../web/src/map/map.theme';
import { LAYER, overlayLayers, overlaySources, SOURCE, SOURCE_LAYER, tileJsonUrl } from '../../web/src/map/overlay.layers';

const TILES = { origin: 'http://localhost' };

const basemaps: BasemapConfig[] = [
  { kind: 'none' },
  { kind: 'osm' },
  { kind: 'tianditu', tiandituKey: 'k' },
  { kind: 'tianditu-img', tiandituKey: 'k' },
];

describe('map style', () => {
  for (const basemap of basemaps) {
    it(`is a valid MapLibre style with the ${basemap.kind} basemap`, () => {
      const style = baseStyle({ basemap, theme: LIGHT_THEME, communityIds: [1, 2, 3], fontUrl: 'http://localhost/f.woff2', tiles: TILES });
      expect(validateStyleMin(style as never)).toEqual([]);
      expect(style.layers.map((l) => l.id)).toContain(LAYER.gridFill);
    });
  }

  it('draws 天地图 vector or imagery under its annotation layer, with the key on every tile', () => {
    for (const [kind, base, labels] of [
      ['tianditu', 'vec_w', 'cva_w'],
      ['tianditu-img', 'img_w', 'cia_w'],
    ] as const) {
      const style = baseStyle({
        basemap: { kind, tiandituKey: 'my key' },
        theme: LIGHT_THEME,
        communityIds: [1],
        fontUrl: 'http://localhost/f.woff2',
        tiles: TILES,
      });
      const urls = (id: string) => (style.sources[id] as { tiles: string[] }).tiles;
      expect(urls('basemap').every((t) => t.includes(`/${base}/`) && t.endsWith('tk=my%20key'))).toBe(true);
      expect(urls('basemap-labels').every((t) => t.includes(`/${labels}/`))).toBe(true);
      const ids = style.layers.map((l) => l.id);
      // Below our overlay: the grids stay readable over imagery.
      expect(ids.indexOf('basemap')).toBeLessThan(ids.indexOf('basemap-labels'));
      expect(ids.indexOf('basemap-labels')).toBeLessThan(ids.indexOf(LAYER.gridFill));
    }
  });

  it('makes no request off the machine with the default basemap', () => {
    const style = baseStyle({
      basemap: { kind: 'none' },
      theme: LIGHT_THEME,
      communityIds: [],
      fontUrl: 'http://localhost/f.woff2',
      tiles: TILES,
    });
    const urls = JSON.stringify(style).match(/https?:\/\/[^"]+/g) ?? [];
    expect(urls.every((u) => u.startsWith('http://localhost/'))).toBe(true);
  });

  it('only uses sources it declares, so the overlay fits on any base style', () => {
    const sources = new Set(Object.keys(overlaySources(TILES)));
    for (const layer of overlayLayers(LIGHT_THEME, [1])) {
      if ('source' in layer) expect(sources.has(layer.source as string)).toBe(true);
    }
  });

  it('colours grids by the metric in feature-state, and by community (also feature-state: tiles carry ids only) until it arrives', () => {
    const fill = overlayLayers(LIGHT_THEME, [7, 9]).find((l) => l.id === LAYER.gridFill)!;
    const color = (fill.paint as Record<string, unknown>)['fill-color'];
    expect(color).toEqual([
      'coalesce',
      ['feature-state', 'color'],
      [
        'match',
        ['number', ['feature-state', 'communityId'], -1],
        7,
        LIGHT_THEME.communityTints[0],
        9,
        LIGHT_THEME.communityTints[1],
        LIGHT_THEME.communityTints[0],
      ],
    ]);
    // Nothing in the overlay reads a property a tile does not carry.
    for (const layer of overlayLayers(LIGHT_THEME, [7, 9]).filter((l) => 'source-layer' in l)) {
      expect(JSON.stringify(layer)).not.toMatch(/\["get",/);
    }
  });

  it('draws grids and buildings from the API’s vector tiles, with ids promoted for feature-state', () => {
    const sources = overlaySources({ origin: 'http://localhost:8787', asOf: '2026-10-31', crs: 'gcj02' });
    expect(sources[SOURCE.grids]).toEqual({
      type: 'vector',
      url: 'http://localhost:8787/api/tiles/grids.json?asOf=2026-10-31&crs=gcj02',
      promoteId: 'id',
    });
    // Footprints have no history: every date shares the buildings' tiles.
    expect(sources[SOURCE.buildings]).toEqual({
      type: 'vector',
      url: 'http://localhost:8787/api/tiles/buildings.json?crs=gcj02',
      promoteId: 'id',
    });
    expect(tileJsonUrl('grids', TILES)).toBe('http://localhost/api/tiles/grids.json');
    const byId = Object.fromEntries(overlayLayers(LIGHT_THEME, [1]).map((l) => [l.id, l as Record<string, unknown>]));
    for (const id of [LAYER.gridFill, LAYER.gridOutline, LAYER.gridSelected]) expect(byId[id]!['source-layer']).toBe(SOURCE_LAYER.grids);
    for (const id of [LAYER.buildingFill, LAYER.buildingOutline]) expect(byId[id]!['source-layer']).toBe(SOURCE_LAYER.buildings);
  });

  describe('issue layer', () => {
    const style = () =>
      baseStyle({ basemap: { kind: 'none' }, theme: LIGHT_THEME, communityIds: [1], fontUrl: 'http://localhost/f.woff2', tiles: TILES });
    const paint = (id: string) => issueLayers(LIGHT_THEME).find((l) => l.id === id)!.paint as Record<string, unknown>;
    const pin = (id: number, status: string, stage: string, category = 'dispute', tier = 'on_spot') => ({
      type: 'Feature' as const,
      id,
      geometry: { type: 'Point' as const, coordinates: [115.9, 28.63] },
      properties: { id, regNo: `202611${String(id).padStart(3, '0')}`, gridId: 1, category, tier, status, stage },
    });
    const pins = {
      type: 'FeatureCollection' as const,
      features: [
        pin(1, 'registered', 'on_track'),
        pin(2, 'in_progress', 'past_half', 'fire_hazard'),
        pin(3, 'accepted', 'overdue', 'dispute', 'community'),
        pin(4, 'resolved', 'resolved'),
        pin(5, 'closed', 'closed'),
        pin(6, 'cancelled', 'closed'),
      ],
    };

    it('is part of the valid overlay, on top of every other layer', () => {
      expect(validateStyleMin(style() as never)).toEqual([]);
      const ids = style().layers.map((l) => l.id);
      expect(ids.slice(-Object.keys(ISSUE_LAYER).length)).toEqual(Object.values(ISSUE_LAYER));
    });

    it('clusters pins at street scale and counts each cluster’s urgent stages', () => {
      const source = overlaySources(TILES)[ISSUE_SOURCE] as Record<string, unknown>;
      expect(source).toMatchObject({ type: 'geojson', cluster: true, clusterMaxZoom: ISSUE_CLUSTER_MAX_ZOOM });
      expect(Object.keys(source.clusterProperties as object).sort()).toEqual(['onTrack', 'overdue', 'pastHalf']);
      // The cluster is coloured by its most urgent stage: overdue first.
      expect(paint(ISSUE_LAYER.clusters)['circle-color']).toEqual([
        'case',
        ['>', ['get', 'overdue'], 0],
        LIGHT_THEME.issueStage.overdue,
        ['>', ['get', 'pastHalf'], 0],
        LIGHT_THEME.issueStage.past_half,
        ['>', ['get', 'onTrack'], 0],
        LIGHT_THEME.issueStage.on_track,
        LIGHT_THEME.issueStage.closed,
      ]);
    });

    it('colours each pin by its deadline stage, a distinct colour per stage', () => {
      const color = paint(ISSUE_LAYER.pins)['circle-color'] as unknown[];
      expect(color.slice(0, 2)).toEqual(['match', ['get', 'stage']]);
      for (const stage of ISSUE_STAGES) expect(color[color.indexOf(stage) + 1]).toBe(LIGHT_THEME.issueStage[stage]);
      expect(new Set(Object.values(LIGHT_THEME.issueStage)).size).toBe(ISSUE_STAGES.length);
    });

    it('hides resolved, closed and cancelled matters by default, and filters by status, category and tier', () => {
      const ids = (f: Parameters<typeof filterPins>[1]) => filterPins(pins, f).features.map((x) => x.id);
      expect(ids(DEFAULT_PIN_FILTER)).toEqual([1, 2, 3]);
      expect(ids({ ...DEFAULT_PIN_FILTER, statuses: ['resolved', 'closed'] })).toEqual([4, 5]);
      expect(ids({ ...DEFAULT_PIN_FILTER, category: 'fire_hazard' })).toEqual([2]);
      expect(ids({ ...DEFAULT_PIN_FILTER, tier: 'community' })).toEqual([3]);
      expect(countStages(filterPins(pins, DEFAULT_PIN_FILTER))).toEqual({ on_track: 1, past_half: 1, overdue: 1, resolved: 0, closed: 0 });
    });

    it('rings only the open issue’s pin, never a cluster', () => {
      expect(selectedIssueFilter(42)).toEqual(['all', ['!', ['has', 'point_count']], ['==', ['get', 'id'], 42]]);
      const s = style();
      s.layers = s.layers.map((l) => (l.id === ISSUE_LAYER.selected ? { ...l, filter: selectedIssueFilter(7) } : l)) as typeof s.layers;
      expect(validateStyleMin(s as never)).toEqual([]);
    });
  });
});
