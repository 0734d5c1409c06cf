/**
 * The import wizard's preview map: the dry run's problem geometries (errors red, warnings amber)
 * over the features that will be written as they are, from the typed theme.
 */
import type { ExpressionSpecification, LayerSpecification } from 'maplibre-gl';
import type { MapTheme } from '../map/map.theme';

export const PREVIEW_SOURCE = 'import-preview';

export const PREVIEW_LAYER = {
  fill: 'import-preview-fill',
  outline: 'import-preview-outline',
} as const;

/** Colour by the feature's worst problem: `severity` is null for a feature written as it is. */
function bySeverity(theme: MapTheme): ExpressionSpecification {
  return [
    'match',
    ['coalesce', ['get', 'severity'], 'none'],
    'error',
    theme.boundary.overlap,
    'warning',
    theme.boundary.gap,
    theme.gridOutline,
  ];
}

export function previewLayers(theme: MapTheme): LayerSpecification[] {
  return [
    {
      id: PREVIEW_LAYER.fill,
      type: 'fill',
      source: PREVIEW_SOURCE,
      filter: ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]],
      paint: { 'fill-color': bySeverity(theme), 'fill-opacity': ['case', ['==', ['get', 'severity'], null], 0.12, 0.45] },
    },
    {
      id: PREVIEW_LAYER.outline,
      type: 'line',
      source: PREVIEW_SOURCE,
      paint: { 'line-color': bySeverity(theme), 'line-width': ['case', ['==', ['get', 'severity'], null], 1, 2] },
    },
  ];
}
