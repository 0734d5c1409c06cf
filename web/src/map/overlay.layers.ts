/**
 * Our own map layers as pure functions of a theme (the protomaps basemaps pattern): no map
 * instance, no I/O, so tests validate them with the style-spec validator and any base style
 * (offline background, OSM, 天地图, a style URL) gets the same overlay on top.
 */
import type {
  ExpressionSpecification,
  LayerSpecification,
  SourceSpecification,
} from '@maplibre/maplibre-gl-style-spec';
import { issueLayers, issueSource, ISSUE_SOURCE } from './issues.layers';
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


/** Empty GeoJSON sources; data arrives later with setData. promoteId enables feature-state. */
export function overlaySources(): Record<string, SourceSpecification> {
  const empty = () => ({ type: 'FeatureCollection' as const, features: [] });
  return {
    [SOURCE.communities]: { type: 'geojson', data: empty(), promoteId: 'id' },
    [SOURCE.grids]: { type: 'geojson', data: empty(), promoteId: 'id' },
    [SOURCE.gridLabels]: { type: 'geojson', data: empty() },
    [SOURCE.buildings]: { type: 'geojson', data: empty(), promoteId: 'id' },
    [SOURCE.roads]: { type: 'geojson', data: empty() },
    [ISSUE_SOURCE]: issueSource(),
  };
}

/** Community index → tint, by the order of communities in the street. */
function communityTint(theme: MapTheme, communityIds: readonly number[]): ExpressionSpecification {
  if (communityIds.length === 0) return ['literal', theme.communityTints[0]!] as unknown as ExpressionSpecification;
  const pairs = communityIds.flatMap((id, i) => [id, theme.communityTints[i % theme.communityTints.length]!]);
  return ['match', ['get', 'communityId'], ...pairs, theme.communityTints[0]!] as unknown as ExpressionSpecification;
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
      paint: {
        // The metric colour arrives as feature-state (from /api/stats), so a metric or date
        // switch recolours without touching geometry; before it arrives, grids show their community.
        'fill-color': ['coalesce', ['feature-state', 'color'], communityTint(theme, communityIds)] as ExpressionSpecification,
        'fill-opacity': [
          'case',
          isDimmed, 0.12,
          isSelected, theme.metricFillOpacity + 0.1,
          isHovered, theme.metricFillOpacity + 0.05,
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
      minzoom: BUILDING_MIN_ZOOM - 0.5,
      paint: {
        // Metric colours from z16, where single buildings are readable; neutral below, so the
        // grid colours stay the message at street scale.
        'fill-color': ['step', ['zoom'], theme.buildingFill, 16, ['coalesce', ['feature-state', 'color'], theme.buildingFill]] as ExpressionSpecification,
        'fill-opacity': 0.95,
      },
    },
    {
      id: LAYER.buildingOutline,
      type: 'line',
      source: SOURCE.buildings,
      minzoom: BUILDING_MIN_ZOOM - 0.5,
      paint: { 'line-color': theme.buildingOutline, 'line-width': 0.6 },
    },
    {
      id: LAYER.gridOutline,
      type: 'line',
      source: SOURCE.grids,
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
