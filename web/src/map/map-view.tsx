import type { FeatureIdentifier, GeoJSONSource, Map as MapLibreMap, VectorTileSource } from 'maplibre-gl';
import * as maplibregl from 'maplibre-gl';
import { useEffect, useRef, useState } from 'react';
import 'maplibre-gl/dist/maplibre-gl.css';
import latinFontUrl from '@fontsource/noto-sans/files/noto-sans-latin-400-normal.woff2?url';
import { bbox as turfBBox } from '@turf/turf';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { type DisplayCrs, fromDisplayPoint, toDisplay } from '../../../geo/geometry/display-crs';
import { labelPoints } from '../../../geo/geometry/label-point';
import { BAND_COLORS, type MetricId } from '../../../geo/metrics/legend';
import {
  type AppConfig,
  type CommunityCollection,
  type GridCollection,
  type IssuePins,
  useBuildingStats,
  useRoads,
  useTileJson,
} from '../api';
import { currentToken } from '../auth/session';
import { useLocale } from '../i18n/locale';
import { areaTooltipHtml, issuePinTooltipHtml } from '../panels/tooltips';
import { baseStyle } from './base.style';
import { ISSUE_LAYER, ISSUE_LAYER_IDS, ISSUE_SOURCE, renderedPin, selectedIssueFilter } from './issues.layers';
import { LIGHT_THEME } from './map.theme';
import { BUILDING_MIN_ZOOM, LAYER, overlayLayers, overlaySources, SOURCE, SOURCE_LAYER } from './overlay.layers';

// MapLibre 6 finds its worker next to its own module, which a bundle does not keep; point it at
// the copy Vite emits.
maplibregl.setWorkerUrl(new URL(workerUrl, window.location.href).href);

declare global {
  interface Window {
    /** The live map, for end-to-end tests and for debugging in the console. */
    __minqingMap?: MapLibreMap;
  }
}

interface Props {
  config: AppConfig;
  /**
   * The grids as GeoJSON, for their labels, the community tint and flying to one; null while it
   * loads. The map does not wait for it: shapes come from the tiles, colours from the stats.
   */
  grids: GridCollection | null;
  communities: CommunityCollection;
  metric: MetricId;
  asOf: string | null;
  /** The date the grid colours actually show (the stats answer's), which lags `asOf` while loading. */
  colorsAsOf: string | null;
  /** Grid id → fill colour for the current metric and date: every grid the caller's stats hold. */
  gridColors: ReadonlyMap<number, string>;
  /** Grids to fade (outside a highlighted legend band); null = none. */
  dimmedGrids: ReadonlySet<number> | null;
  selectedGridId: number | null;
  onSelectGrid(id: number | null): void;
  /** HTML for the hover tooltip of a grid (numbers only, no personal data). */
  gridTooltip(id: number): string | null;
  initialView: [number, number, number] | null;
  onViewChange(view: [number, number, number]): void;
  /** Increment to fit the whole street; set flyToGrid to fly to one grid, focus to a point. */
  fitRequest: number;
  flyToGrid: { id: number; nonce: number } | null;
  focus: { center: [number, number]; zoom: number; nonce: number } | null;
  /** The issue pins to draw (already filtered); the layer is hidden when showIssues is off. */
  issuePins: IssuePins | null;
  showIssues: boolean;
  selectedIssueId: number | null;
  onOpenIssue(id: number): void;
  /** A building clicked at street level (z16+), where single buildings are readable. */
  onSelectBuilding(b: { id: number; gridId: number; address: string }): void;
  /** While a form asks for a location, a click on the map answers it instead of selecting. */
  pick: { location: [number, number] | null; onPick(point: [number, number]): void } | null;
  /** While a boundary is edited, clicks belong to the editor (Terra Draw), not to selection. */
  editing?: boolean;
  /** The map once its style is ready (null when it goes), for overlays that draw on it (the boundary editor). */
  onMap?(map: MapLibreMap | null): void;
}

/** Building figures are fetched per viewport, on a coarse lattice so small pans hit the query cache. */
function viewportBBox(map: MapLibreMap): string | null {
  if (map.getZoom() < BUILDING_MIN_ZOOM - 0.5) return null;
  const b = map.getBounds();
  const step = 0.005;
  const down = (v: number) => (Math.floor(v / step) * step).toFixed(3);
  const up = (v: number) => (Math.ceil(v / step) * step).toFixed(3);
  return [down(b.getWest()), down(b.getSouth()), up(b.getEast()), up(b.getNorth())].join(',');
}

/** A grid or building in its vector-tile source, as feature-state addresses it. */
const gridFeature = (id: number): FeatureIdentifier => ({ source: SOURCE.grids, sourceLayer: SOURCE_LAYER.grids, id });
const buildingFeature = (id: number): FeatureIdentifier => ({ source: SOURCE.buildings, sourceLayer: SOURCE_LAYER.buildings, id });

/**
 * Sets one feature-state key on many features. State is kept by id, loaded or not: tiles that
 * arrive later are drawn with it, so colours never wait for geometry or the other way round.
 * Only changed values are set: each call costs a bucket update on every loaded tile holding the
 * feature, and a metric switch leaves many grids in the band they were in.
 */
function applyState(
  map: MapLibreMap,
  feature: (id: number) => FeatureIdentifier,
  ids: Iterable<number>,
  key: string,
  value: (id: number) => unknown,
  last: Map<number, unknown>,
) {
  for (const id of ids) {
    const v = value(id);
    if (last.has(id) && last.get(id) === v) continue;
    last.set(id, v);
    map.setFeatureState(feature(id), { [key]: v });
  }
}

function newHeldState() {
  return {
    color: new Map<number, unknown>(),
    dimmed: new Map<number, unknown>(),
    communityId: new Map<number, unknown>(),
    buildingColor: new Map<number, unknown>(),
  };
}

/** The basemap's coordinate system: our shapes follow it on screen, and only there. */
export function displayCrsOf(config: AppConfig): DisplayCrs {
  return config.basemap.kind === 'style' && config.basemap.crs === 'gcj02' ? 'gcj02' : 'wgs84';
}

/** A WGS84 bbox as drawn over the basemap (its corners shifted; the GCJ-02 offset barely turns). */
function displayBBox(b: readonly number[], crs: DisplayCrs): [number, number, number, number] {
  const [w, s, e, n] = b as [number, number, number, number];
  const sw = toDisplay({ type: 'Point', coordinates: [w, s] }, crs).coordinates as [number, number];
  const ne = toDisplay({ type: 'Point', coordinates: [e, n] }, crs).coordinates as [number, number];
  return [sw[0], sw[1], ne[0], ne[1]];
}

export function MapView(props: Props) {
  const { config, grids, communities, metric, asOf, colorsAsOf, gridColors, dimmedGrids, selectedGridId, fitRequest, flyToGrid, focus } =
    props;
  const { issuePins, showIssues, selectedIssueId, pick } = props;
  const { t } = useLocale();
  const container = useRef<HTMLDivElement>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const [styleReady, setStyleReady] = useState(false);
  const [bbox, setBBox] = useState<string | null>(null);
  const [zoom, setZoom] = useState(0);
  const buildingStats = useBuildingStats(bbox, asOf);
  const roads = useRoads();
  const street = config.streets[0];
  const crs = displayCrsOf(config);
  const tiles = { origin: window.location.origin, asOf, crs };
  // The grids' tiles follow the date (the boundaries in force then); footprints have no history.
  const gridTiles = useTileJson('grids', tiles);
  const buildingTiles = useTileJson('buildings', tiles);
  const communityIds = communities.features.map((f) => f.properties.id);
  // Handlers registered once on the map read the latest props through this ref.
  const buildingStatsById = new Map((buildingStats.data?.buildings ?? []).map((b) => [b.id, b]));
  const latest = useRef({ ...props, t, buildingStatsById });
  latest.current = { ...props, t, buildingStatsById };
  /** The feature-state values this map holds, per key, so an update sets only what changed. */
  const held = useRef(newHeldState());

  // The map is built once per basemap; data changes flow through the effects below.
  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilding the map on each data change would reload every tile.
  useEffect(() => {
    if (!container.current) return;
    const fontUrl = new URL(latinFontUrl, window.location.href).href;
    const builtIn = config.basemap.kind !== 'style';
    const initial = latest.current.initialView;
    const tileOptions = { origin: window.location.origin, asOf: latest.current.asOf, crs };
    const tilesPrefix = `${window.location.origin}/api/tiles/`;
    const map = new maplibregl.Map({
      container: container.current,
      style: builtIn
        ? baseStyle({ basemap: config.basemap, theme: LIGHT_THEME, communityIds, fontUrl, tiles: tileOptions })
        : config.basemap.styleUrl!,
      // Tiles are per caller (row-level security): the session's bearer token goes in a header, never in the URL.
      transformRequest: (url) => {
        const token = currentToken();
        return url.startsWith(tilesPrefix) && token ? { url, headers: { authorization: `Bearer ${token}` } } : undefined;
      },
      ...(initial
        ? { center: [initial[0], initial[1]] as [number, number], zoom: initial[2] }
        : street?.bbox
          ? { bounds: displayBBox(street.bbox, crs), fitBoundsOptions: { padding: 40 } }
          : // A street with no boundary yet (just set up): China, until its communities arrive.
            { center: [105, 35] as [number, number], zoom: 3.5 }),
      attributionControl: { compact: true },
      localIdeographFontFamily: '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", sans-serif',
      canvasContextAttributes: { preserveDrawingBuffer: true },
      // Who asks their system for less motion gets labels without the fade-in (as camera moves
      // already do in MapLibre); a slow projector PC is then also spared a dozen redraws per move.
      fadeDuration: window.matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 300,
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: true }), 'top-right');
    map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
    const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false, className: 'grid-tooltip', maxWidth: '280px' });
    map.on('load', () => {
      if (!builtIn) {
        for (const [id, source] of Object.entries(overlaySources(tileOptions))) map.addSource(id, source);
        for (const layer of overlayLayers(LIGHT_THEME, communityIds)) map.addLayer(layer);
      }
      setStyleReady(true);
      latest.current.onMap?.(map);
      setZoom(map.getZoom());
      setBBox(viewportBBox(map));
    });
    map.on('moveend', () => {
      setZoom(map.getZoom());
      setBBox(viewportBBox(map));
      const c = map.getCenter();
      latest.current.onViewChange([c.lng, c.lat, map.getZoom()]);
    });
    let hovered: number | null = null;
    map.on('mousemove', LAYER.gridFill, (e) => {
      const id = e.features?.[0]?.id as number | undefined;
      if (id === undefined) return;
      if (id !== hovered) {
        if (hovered !== null) map.setFeatureState(gridFeature(hovered), { hover: false });
        hovered = id;
        map.setFeatureState(gridFeature(id), { hover: true });
      }
      map.getCanvas().style.cursor = 'pointer';
      // While a boundary is edited, the pointer is for vertices: no figures over them.
      if (latest.current.editing) return void popup.remove();
      const html = latest.current.gridTooltip(id);
      if (html) popup.setLngLat(e.lngLat).setHTML(html).addTo(map);
    });
    // Over a building at street level, the building's own figures replace the grid's.
    map.on('mousemove', LAYER.buildingFill, (e) => {
      if (map.getZoom() < 16 || latest.current.editing) return;
      const f = e.features?.[0];
      const stats = f ? latest.current.buildingStatsById.get(Number(f.id)) : undefined;
      if (!f || !stats) return;
      popup
        .setLngLat(e.lngLat)
        .setHTML(areaTooltipHtml(latest.current.t, stats.address, stats))
        .addTo(map);
    });
    map.on('mouseleave', LAYER.gridFill, () => {
      if (hovered !== null) map.setFeatureState(gridFeature(hovered), { hover: false });
      hovered = null;
      map.getCanvas().style.cursor = '';
      popup.remove();
    });
    // Over a pin, the matter's number, category and stage (no personal data) replace the grid's figures.
    map.on('mousemove', ISSUE_LAYER.pins, (e) => {
      const f = e.features?.[0];
      if (!f) return;
      map.getCanvas().style.cursor = 'pointer';
      popup
        .setLngLat(e.lngLat)
        .setHTML(issuePinTooltipHtml(latest.current.t, renderedPin(f.properties)))
        .addTo(map);
    });
    map.on('mouseleave', ISSUE_LAYER.pins, () => popup.remove());
    map.on('click', (e) => {
      const now = latest.current;
      if (now.editing) return;
      if (now.pick) {
        // The point on screen is in the basemap's system; the matter is stored where it really is.
        now.pick.onPick(fromDisplayPoint([e.lngLat.lng, e.lngLat.lat], crs));
        return;
      }
      const pin = map.queryRenderedFeatures(e.point, { layers: [ISSUE_LAYER.pins] })[0];
      if (pin) {
        now.onOpenIssue(Number(pin.properties.id));
        return;
      }
      const cluster = map.queryRenderedFeatures(e.point, { layers: [ISSUE_LAYER.clusters] })[0];
      if (cluster) {
        const center = (cluster.geometry as GeoJSON.Point).coordinates as [number, number];
        void (map.getSource(ISSUE_SOURCE) as GeoJSONSource)
          .getClusterExpansionZoom(Number(cluster.properties.cluster_id))
          .then((zoom) => map.easeTo({ center, zoom: zoom + 0.1 }));
        return;
      }
      // A tile carries the building's id only; its grid and address come with its figures.
      const building = map.getZoom() >= 16 ? map.queryRenderedFeatures(e.point, { layers: [LAYER.buildingFill] })[0] : undefined;
      const info = building ? now.buildingStatsById.get(Number(building.id)) : undefined;
      if (info && info.gridId !== null && info.gridId !== undefined) {
        now.onSelectBuilding({ id: info.id, gridId: info.gridId, address: info.address });
        return;
      }
      const hit = map.queryRenderedFeatures(e.point, { layers: [LAYER.gridFill] })[0];
      now.onSelectGrid(hit ? Number(hit.id) : null);
    });
    mapRef.current = map;
    held.current = newHeldState();
    window.__minqingMap = map;
    return () => {
      latest.current.onMap?.(null);
      map.remove();
      mapRef.current = null;
      delete window.__minqingMap;
    };
  }, [config.basemap]);

  // A new date or geometry version is a new tile URL; the source switches to it (the rest of the
  // time the tiles, immutable at their version, come from the browser's cache).
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady) return;
    for (const [id, tileJson] of [
      [SOURCE.grids, gridTiles.data],
      [SOURCE.buildings, buildingTiles.data],
    ] as const) {
      const source = map.getSource(id) as VectorTileSource | undefined;
      if (tileJson && source && source.tiles?.[0] !== tileJson.tiles[0]) source.setTiles(tileJson.tiles);
    }
  }, [gridTiles.data, buildingTiles.data, styleReady]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady) return;
    // A community set up by name and code has no boundary until its file arrives: nothing to draw.
    const drawn = {
      ...communities,
      features: communities.features.filter((f): f is typeof f & { geometry: NonNullable<typeof f.geometry> } => f.geometry !== null),
    };
    (map.getSource(SOURCE.communities) as GeoJSONSource).setData(toDisplay(drawn, crs));
  }, [communities, styleReady, crs]);

  // Labels stay GeoJSON (a point per grid); the grid shapes are tiles. They come with the grids'
  // GeoJSON, which the first coloured map does not wait for.
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady || !grids) return;
    (map.getSource(SOURCE.gridLabels) as GeoJSONSource).setData(toDisplay(labelPoints(grids), crs));
    // Tiles carry no community: the tint until figures arrive reads it from feature-state.
    const community = new Map(grids.features.map((f) => [f.properties.id, f.properties.communityId]));
    applyState(map, gridFeature, community.keys(), 'communityId', (id) => community.get(id), held.current.communityId);
    map.once('idle', () => container.current?.setAttribute('data-map-ready', 'true'));
  }, [grids, styleReady, crs]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady || !roads.data) return;
    (map.getSource(SOURCE.roads) as GeoJSONSource).setData(toDisplay(roads.data, crs));
  }, [roads.data, styleReady, crs]);

  // Metric colours are feature-state: recolouring never refetches or re-tiles geometry. The ids
  // are the stats' (the caller's grids), not the GeoJSON's, so colours need only the figures;
  // a grid the figures no longer hold loses its colour.
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady) return;
    const held_ = held.current.color;
    applyState(map, gridFeature, new Set([...gridColors.keys(), ...held_.keys()]), 'color', (id) => gridColors.get(id) ?? null, held_);
    // A readiness signal for tests and screenshots: which metric and date the map now shows.
    container.current?.setAttribute('data-colored', `${metric}@${colorsAsOf ?? 'none'}:${gridColors.size}`);
  }, [gridColors, styleReady, metric, colorsAsOf]);

  // Buildings: the figures of those in view, per viewport; their tiles load on their own.
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady || !buildingStats.data) return;
    const byId = latest.current.buildingStatsById;
    applyState(
      map,
      buildingFeature,
      byId.keys(),
      'color',
      (id) => {
        const band = byId.get(id)?.bands[metric];
        return band ? BAND_COLORS[band] : null;
      },
      held.current.buildingColor,
    );
    // Readiness signal: buildings in view now have their figures (tooltips) and colours.
    container.current?.setAttribute('data-building-stats', String(byId.size));
  }, [buildingStats.data, metric, styleReady]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady) return;
    const held_ = held.current.dimmed;
    // While a band is highlighted every grid says whether it is dimmed; otherwise only those that
    // were are reset, so a first load with no highlight sets nothing.
    const ids = dimmedGrids ? [...latest.current.gridColors.keys(), ...held_.keys()] : [...held_.keys()];
    applyState(map, gridFeature, new Set(ids), 'dimmed', (id) => (dimmedGrids ? dimmedGrids.has(id) : false), held_);
  }, [dimmedGrids, styleReady]);

  // Selection is feature-state too, so highlighting never touches the geometry.
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady || selectedGridId === null) return;
    map.setFeatureState(gridFeature(selectedGridId), { selected: true });
    return () => {
      if (map.getSource(SOURCE.grids)) map.setFeatureState(gridFeature(selectedGridId), { selected: false });
    };
  }, [selectedGridId, styleReady]);

  useEffect(() => {
    if (fitRequest === 0 || !street?.bbox) return;
    mapRef.current?.fitBounds(displayBBox(street.bbox, crs), { padding: 40 });
  }, [fitRequest, street, crs]);

  // Pins change with the date, the filters and every live update; the layer's switch is visibility.
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady || !issuePins) return;
    (map.getSource(ISSUE_SOURCE) as GeoJSONSource).setData(toDisplay(issuePins, crs));
    container.current?.setAttribute('data-issue-pins', String(issuePins.features.length));
  }, [issuePins, styleReady, crs]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady) return;
    for (const id of ISSUE_LAYER_IDS) map.setLayoutProperty(id, 'visibility', showIssues ? 'visible' : 'none');
    container.current?.setAttribute('data-issues-shown', String(showIssues));
  }, [showIssues, styleReady]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady) return;
    map.setFilter(ISSUE_LAYER.selected, selectedIssueFilter(selectedIssueId));
  }, [selectedIssueId, styleReady]);

  // The location a form is asking for, as a marker the user can see move with each click.
  const pickLocation = pick?.location ?? null;
  const picking = pick !== null;
  useEffect(() => {
    const map = mapRef.current;
    if (!map || !styleReady || !pickLocation) return;
    const shown = toDisplay({ type: 'Point', coordinates: pickLocation }, crs).coordinates as [number, number];
    const marker = new maplibregl.Marker({ color: LIGHT_THEME.issueStage.overdue }).setLngLat(shown).addTo(map);
    return () => void marker.remove();
  }, [pickLocation, styleReady, crs]);

  useEffect(() => {
    if (!focus) return;
    const center = toDisplay({ type: 'Point', coordinates: focus.center }, crs).coordinates as [number, number];
    mapRef.current?.flyTo({ center, zoom: Math.max(focus.zoom, mapRef.current.getZoom()) });
  }, [focus, crs]);

  useEffect(() => {
    if (!flyToGrid) return;
    const f = grids?.features.find((g) => g.properties.id === flyToGrid.id);
    if (f) mapRef.current?.fitBounds(turfBBox(toDisplay(f, crs)) as [number, number, number, number], { padding: 80, maxZoom: 16 });
  }, [flyToGrid, grids, crs]);

  return (
    <div className="map-wrap">
      <div ref={container} className={picking ? 'map picking' : 'map'} data-testid="map" data-picking={picking} />
      {picking && <div className="map-hint top">{t('pickOnMap')}</div>}
      {styleReady && zoom < BUILDING_MIN_ZOOM - 0.5 && <div className="map-hint">{t('zoomInForBuildings')}</div>}
    </div>
  );
}
