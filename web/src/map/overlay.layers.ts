/**
 * Our own map layers as pure functions of a theme (the protomaps basemaps pattern): no map
 * instance, no I/O, so tests validate them with the style-spec validator and any base style
 * (offline background, OSM, 天地图, a style URL) gets the same overlay on top.
 */
import type { ExpressionSpecification, LayerSpecification, SourceSpecification } from '@maplibre/maplibre-gl-style-spec';
import type { DisplayCrs } from '../../../geo/geometry/display-crs';
import { ISSUE_SOURCE, issueLayers, issueSource } from './issues.layers';
import type { MapTheme } from './map.theme';

export const SOURCE = {
  communities: 'communities',
  grids: 'grids',
  gridLabels: 'grid-labels',
  buildings: 'buildings',
  roads: 'roads',
} as const;

export const LAYER = {
  gridFill: 'grid-fill',
  gridOutline: 'grid-outline',
  gridSelected: 'grid-selected',
  communityOutline: 'community-outline',
  buildingFill: 'building-fill',
  buildingOutline: 'building-outline',
  gridLabel: 'grid-label',
  communityLabel: 'community-label',
  roadCasing: 'road-casing',
  road: 'road',
  roadLabel: 'road-label',
} as const;

/** Buildings appear from this zoom; below it a street of 600 footprints is only noise. */
export const BUILDING_MIN_ZOOM = 15;

/** The vector-tile layers (api/lib/vector-tiles.ts): each source holds one layer of the same name. */
export const SOURCE_LAYER = { grids: 'grids', buildings: 'buildings' } as const;
export type TiledSource = keyof typeof SOURCE_LAYER;

/**
 * Which tiles the map shows: the API's origin, the date (grids: the boundaries in force then;
 * null = today) and the basemap's coordinate system (gcj02 tiles are shifted for display).
 */
export interface TileOptions {
  origin: string;
  asOf?: string | null;
  crs?: DisplayCrs;
}

/** The TileJSON that names the current tile URL (with the geometry version) of one variant. */
export function tileJsonUrl(layer: TiledSource, o: TileOptions): string {
  const q = new URLSearchParams();
  if (layer === 'grids' && o.asOf) q.set('asOf', o.asOf);
  if (o.crs === 'gcj02') q.set('crs', o.crs);
  const search = q.toString();
  return `${o.origin}/api/tiles/${layer}.json${search ? `?${search}` : ''}`;
}

/**
 * Grids and buildings are vector tiles (shapes and ids only), coloured through feature-state
 * (promoteId) from the stats endpoints; the small rest is GeoJSON that arrives with setData.
 */
export function overlaySources(tiles: TileOptions): Record<string, SourceSpecification> {
  const empty = () => ({ type: 'FeatureCollection' as const, features: [] });
  return {
    [SOURCE.communities]: { type: 'geojson', data: empty(), promoteId: 'id' },
    [SOURCE.grids]: { type: 'vector', url: tileJsonUrl('grids', tiles), promoteId: 'id' },
    [SOURCE.gridLabels]: { type: 'geojson', data: empty() },
    [SOURCE.buildings]: { type: 'vector', url: tileJsonUrl('buildings', tiles), promoteId: 'id' },
    [SOURCE.roads]: { type: 'geojson', data: empty() },
    [ISSUE_SOURCE]: issueSource(),
  };
}

/**
 * Community index → tint, by the order of communities in the street. A tile carries no
 * community, so the map puts each grid's community id in its feature-state.
 */
function communityTint(theme: MapTheme, communityIds: readonly number[]): ExpressionSpecification {
  if (communityIds.length === 0) return ['literal', theme.communityTints[0]!] as unknown as ExpressionSpecification;
  const pairs = communityIds.flatMap((id, i) => [id, theme.communityTints[i % theme.communityTints.length]!]);
  return [
    'match',
    ['number', ['feature-state', 'communityId'], -1],
    ...pairs,
    theme.communityTints[0]!,
  ] as unknown as ExpressionSpecification;
}

/** Main roads (OSM primary/secondary) are drawn wider than residential ones. */
function roadWidth(base: number): ExpressionSpecification {
  return ['match', ['get', 'kind'], ['primary', 'trunk'], base * 1.6, 'secondary', base * 1.25, base] as ExpressionSpecification;
}

function roadLine(id: string, color: string, widthAtZ12: number, widthAtZ17: number): LayerSpecification {
  return {
    id,
    type: 'line',
    source: SOURCE.roads,
    layout: { 'line-join': 'round', 'line-cap': 'round' },
    paint: {
      'line-color': color,
      'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 12, roadWidth(widthAtZ12), 17, roadWidth(widthAtZ17)],
    },
  };
}

const isSelected: ExpressionSpecification = ['boolean', ['feature-state', 'selected'], false];
const isHovered: ExpressionSpecification = ['boolean', ['feature-state', 'hover'], false];
/** Grids outside a legend band the user clicked fade back. */
const isDimmed: ExpressionSpecification = ['boolean', ['feature-state', 'dimmed'], false];

export function overlayLayers(theme: MapTheme, communityIds: readonly number[] = []): LayerSpecification[] {
  return [
    {
      id: LAYER.gridFill,
      type: 'fill',
      source: SOURCE.grids,
      'source-layer': SOURCE_LAYER.grids,
      paint: {
        // The metric colour arrives as feature-state (from /api/stats), so a metric or date
        // switch recolours without touching geometry; before it arrives, grids show their community.
        'fill-color': ['coalesce', ['feature-state', 'color'], communityTint(theme, communityIds)] as ExpressionSpecification,
        'fill-opacity': [
          'case',
          isDimmed,
          0.12,
          isSelected,
          theme.metricFillOpacity + 0.1,
          isHovered,
          theme.metricFillOpacity + 0.05,
          theme.metricFillOpacity,
        ] as ExpressionSpecification,
      },
    },
    // A casing under a lighter line: the way roads read on every street map.
    roadLine(LAYER.roadCasing, theme.roadCasing, 2, 22),
    roadLine(LAYER.road, theme.road, 1.2, 18),
    {
      id: LAYER.buildingFill,
      type: 'fill',
      source: SOURCE.buildings,
      'source-layer': SOURCE_LAYER.buildings,
      minzoom: BUILDING_MIN_ZOOM - 0.5,
      paint: {
        // Metric colours from z16, where single buildings are readable; neutral below, so the
        // grid colours stay the message at street scale.
        'fill-color': [
          'step',
          ['zoom'],
          theme.buildingFill,
          16,
          ['coalesce', ['feature-state', 'color'], theme.buildingFill],
        ] as ExpressionSpecification,
        'fill-opacity': 0.95,
      },
    },
    {
      id: LAYER.buildingOutline,
      type: 'line',
      source: SOURCE.buildings,
      'source-layer': SOURCE_LAYER.buildings,
      minzoom: BUILDING_MIN_ZOOM - 0.5,
      paint: { 'line-color': theme.buildingOutline, 'line-width': 0.6 },
    },
    {
      id: LAYER.gridOutline,
      type: 'line',
      source: SOURCE.grids,
      'source-layer': SOURCE_LAYER.grids,
      paint: {
        'line-color': theme.gridOutline,
        'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.6, 16, 1.6],
        'line-dasharray': [3, 2],
      },
    },
    {
      id: LAYER.communityOutline,
      type: 'line',
      source: SOURCE.communities,
      paint: {
        'line-color': theme.communityOutline,
        'line-width': ['interpolate', ['linear'], ['zoom'], 12, 1.5, 16, 3.5],
      },
    },
    {
      id: LAYER.gridSelected,
      type: 'line',
      source: SOURCE.grids,
      'source-layer': SOURCE_LAYER.grids,
      // Filters cannot read feature-state; opacity can, so selection never rebuilds the layer.
      paint: { 'line-color': theme.gridOutlineSelected, 'line-width': 3.5, 'line-opacity': ['case', isSelected, 1, 0] },
    },
    {
      id: LAYER.roadLabel,
      type: 'symbol',
      source: SOURCE.roads,
      minzoom: 14,
      layout: {
        'symbol-placement': 'line',
        'text-field': ['coalesce', ['get', 'name'], ''],
        'text-font': [theme.font],
        'text-size': ['interpolate', ['linear'], ['zoom'], 14, 10, 17, 13],
        'symbol-spacing': 320,
      },
      paint: { 'text-color': theme.roadLabel, 'text-halo-color': theme.road, 'text-halo-width': 1.4 },
    },
    {
      id: LAYER.gridLabel,
      type: 'symbol',
      source: SOURCE.gridLabels,
      layout: {
        'text-field': ['get', 'name'],
        'text-font': [theme.font],
        'text-size': ['interpolate', ['linear'], ['zoom'], 12, 11, 16, 15],
        'text-max-width': 7,
      },
      paint: { 'text-color': theme.labelText, 'text-halo-color': theme.labelHalo, 'text-halo-width': 1.6 },
    },
    // Issue pins on top of everything: they are what a worker acts on.
    ...issueLayers(theme),
  ];
}
