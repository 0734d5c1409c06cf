/**
 * A boundary proposal on the map, next to the boundaries as they are: each grid the proposal
 * redraws has its current outline (dashed) and its proposed shape (tinted, solid outline), so
 * staff see what moves before they approve. Pure functions of the theme, like map/*.layers.ts.
 */
import type { FilterSpecification, LayerSpecification, SourceSpecification } from '@maplibre/maplibre-gl-style-spec';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import type { MapTheme } from '../map/map.theme';

export const PROPOSAL_SOURCE = 'boundary-proposal';

export const PROPOSAL_LAYER = {
  proposedFill: 'boundary-proposal-fill',
  proposedOutline: 'boundary-proposal-outline',
  currentOutline: 'boundary-proposal-current',
} as const;

type Areal = Polygon | MultiPolygon;

export interface ProposalShapes {
  /** Each grid the proposal redraws: its shape now and as proposed. */
  grids: readonly { gridId: number; current: Areal | null; proposed: Areal }[];
}

export function proposalFeatures(shapes: ProposalShapes | null): FeatureCollection<Areal> {
  const features: Feature<Areal>[] = [];
  for (const g of shapes?.grids ?? []) {
    features.push({ type: 'Feature', geometry: g.proposed, properties: { gridId: g.gridId, shape: 'proposed' } });
    if (g.current) features.push({ type: 'Feature', geometry: g.current, properties: { gridId: g.gridId, shape: 'current' } });
  }
  return { type: 'FeatureCollection', features };
}

export function proposalSources(): Record<string, SourceSpecification> {
  return { [PROPOSAL_SOURCE]: { type: 'geojson', data: proposalFeatures(null) } };
}

export function proposalLayers(theme: MapTheme): LayerSpecification[] {
  const proposed: FilterSpecification = ['==', ['get', 'shape'], 'proposed'];
  const current: FilterSpecification = ['==', ['get', 'shape'], 'current'];
  return [
    {
      id: PROPOSAL_LAYER.proposedFill,
      type: 'fill',
      source: PROPOSAL_SOURCE,
      filter: proposed,
      paint: { 'fill-color': theme.boundary.editFill, 'fill-opacity': 0.18 },
    },
    {
      id: PROPOSAL_LAYER.proposedOutline,
      type: 'line',
      source: PROPOSAL_SOURCE,
      filter: proposed,
      paint: { 'line-color': theme.boundary.editOutline, 'line-width': 3 },
    },
    {
      id: PROPOSAL_LAYER.currentOutline,
      type: 'line',
      source: PROPOSAL_SOURCE,
      filter: current,
      paint: { 'line-color': theme.boundary.removed, 'line-width': 2, 'line-dasharray': [2, 2] },
    },
  ];
}
