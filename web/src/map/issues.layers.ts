/**
 * The issue layer (民情民意事项): one pin per matter from /api/issues/pins, clustered at street
 * scale and coloured by its deadline stage. Pure functions of the theme, like overlay.layers.ts,
 * so tests validate them with the style-spec validator.
 *
 * Filtering happens before the data reaches the source (filterPins), not in layer filters: a
 * clustered source counts every point it holds, so a hidden pin would still swell its cluster.
 */
import type {
  ExpressionSpecification,
  FilterSpecification,
  GeoJSONSourceSpecification,
  LayerSpecification,
} from '@maplibre/maplibre-gl-style-spec';
import type { IssueCategory, IssueStatus, IssueTier } from '../../../geo/domain/issue';
import { PALETTE } from '../../../geo/style/palette';
import type { MapTheme } from './map.theme';

export const ISSUE_SOURCE = 'issues';

export const ISSUE_LAYER = {
  clusters: 'issue-clusters',
  clusterCount: 'issue-cluster-count',
  selected: 'issue-selected',
  pins: 'issue-pins',
  pinLabel: 'issue-pin-label',
} as const;

export const ISSUE_LAYER_IDS: readonly string[] = Object.values(ISSUE_LAYER);

/** Deadline stages as /api/issues/pins computes them for the as-of date (cancelled counts as closed). */
export const ISSUE_STAGES = ['on_track', 'past_half', 'overdue', 'resolved', 'closed'] as const;
export type IssueStage = (typeof ISSUE_STAGES)[number];

/** Pins gather into clusters up to this zoom; from the next, every matter stands alone. */
export const ISSUE_CLUSTER_MAX_ZOOM = 14;

export interface PinProperties {
  id: number;
  regNo: string;
  gridId: number;
  category: string;
  tier: string;
  status: string;
  stage: string;
}

/**
 * The tooltip's part of a rendered pin's properties: MapLibre hands them back untyped (and
 * clusters carry none of these), so each is read as the text it was put there as.
 */
export function renderedPin(p: Record<string, unknown>): Pick<PinProperties, 'regNo' | 'category' | 'stage'> {
  return { regNo: String(p.regNo ?? ''), category: String(p.category ?? ''), stage: String(p.stage ?? '') };
}

interface PinCollection {
  type: 'FeatureCollection';
  features: { type: 'Feature'; id?: number | string; geometry: { type: 'Point'; coordinates: number[] }; properties: PinProperties }[];
}

export interface IssuePinFilter {
  /** Statuses shown; resolved, closed and cancelled matters are hidden until asked for. */
  statuses: readonly IssueStatus[];
  category: IssueCategory | null;
  tier: IssueTier | null;
}

export const OPEN_STATUSES: readonly IssueStatus[] = ['registered', 'accepted', 'in_progress'];
export const DEFAULT_PIN_FILTER: IssuePinFilter = { statuses: OPEN_STATUSES, category: null, tier: null };

export function filterPins<T extends PinCollection>(pins: T, filter: IssuePinFilter): T {
  const shown = (p: PinProperties) =>
    (filter.statuses as readonly string[]).includes(p.status) &&
    (filter.category === null || p.category === filter.category) &&
    (filter.tier === null || p.tier === filter.tier);
  return { ...pins, features: pins.features.filter((f) => shown(f.properties)) };
}

/** How many of the pins are in each stage (the legend's counts). */
export function countStages(pins: PinCollection): Record<IssueStage, number> {
  const counts = Object.fromEntries(ISSUE_STAGES.map((s) => [s, 0])) as Record<IssueStage, number>;
  for (const f of pins.features) if (f.properties.stage in counts) counts[f.properties.stage as IssueStage]++;
  return counts;
}

const isStage = (stage: IssueStage): ExpressionSpecification => ['==', ['get', 'stage'], stage];
/** Per cluster, how many of its pins are in each stage that matters for its colour. */
const CLUSTER_COUNTS = { overdue: 'overdue', pastHalf: 'past_half', onTrack: 'on_track' } as const;

export function issueSource(): GeoJSONSourceSpecification {
  return {
    type: 'geojson',
    data: { type: 'FeatureCollection', features: [] },
    cluster: true,
    clusterMaxZoom: ISSUE_CLUSTER_MAX_ZOOM,
    clusterRadius: 42,
    clusterProperties: Object.fromEntries(
      Object.entries(CLUSTER_COUNTS).map(([key, stage]) => [key, ['+', ['case', isStage(stage), 1, 0]]]),
    ),
  };
}

/** A pin's colour is its stage's. */
function stageColor(theme: MapTheme): ExpressionSpecification {
  return [
    'match',
    ['get', 'stage'],
    ...ISSUE_STAGES.flatMap((s) => [s, theme.issueStage[s]]),
    theme.issueStage.closed,
  ] as unknown as ExpressionSpecification;
}

/** A cluster takes the colour of the most urgent stage among its pins. */
function clusterColor(theme: MapTheme): ExpressionSpecification {
  return [
    'case',
    ['>', ['get', 'overdue'], 0],
    theme.issueStage.overdue,
    ['>', ['get', 'pastHalf'], 0],
    theme.issueStage.past_half,
    ['>', ['get', 'onTrack'], 0],
    theme.issueStage.on_track,
    theme.issueStage.closed,
  ] as ExpressionSpecification;
}

const clustered: FilterSpecification = ['has', 'point_count'];
const single: FilterSpecification = ['!', ['has', 'point_count']];

/** Shows only the open issue's pin in the highlight layer (none: id 0 matches nothing). */
export function selectedIssueFilter(id: number | null): FilterSpecification {
  return ['all', single, ['==', ['get', 'id'], id ?? 0]] as FilterSpecification;
}

export function issueLayers(theme: MapTheme): LayerSpecification[] {
  return [
    {
      id: ISSUE_LAYER.clusters,
      type: 'circle',
      source: ISSUE_SOURCE,
      filter: clustered,
      paint: {
        'circle-color': clusterColor(theme),
        'circle-radius': ['step', ['get', 'point_count'], 12, 5, 15, 15, 19, 40, 23],
        'circle-stroke-color': theme.issuePinRing,
        'circle-stroke-width': 2,
        'circle-opacity': 0.92,
      },
    },
    {
      id: ISSUE_LAYER.clusterCount,
      type: 'symbol',
      source: ISSUE_SOURCE,
      filter: clustered,
      layout: {
        'text-field': ['get', 'point_count_abbreviated'],
        'text-font': [theme.font],
        'text-size': 12,
        'text-allow-overlap': true,
      },
      paint: { 'text-color': theme.issueClusterText },
    },
    {
      id: ISSUE_LAYER.selected,
      type: 'circle',
      source: ISSUE_SOURCE,
      filter: selectedIssueFilter(null),
      paint: {
        'circle-color': PALETTE.transparent,
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 10, 17, 15],
        'circle-stroke-color': theme.gridOutlineSelected,
        'circle-stroke-width': 3,
      },
    },
    {
      id: ISSUE_LAYER.pins,
      type: 'circle',
      source: ISSUE_SOURCE,
      filter: single,
      paint: {
        'circle-color': stageColor(theme),
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 5, 17, 8],
        'circle-stroke-color': theme.issuePinRing,
        'circle-stroke-width': 2,
      },
    },
    {
      id: ISSUE_LAYER.pinLabel,
      type: 'symbol',
      source: ISSUE_SOURCE,
      filter: single,
      minzoom: 16,
      layout: {
        'text-field': ['get', 'regNo'],
        'text-font': [theme.font],
        'text-size': 11,
        'text-offset': [0, -1.3],
        'text-anchor': 'bottom',
      },
      paint: { 'text-color': theme.labelText, 'text-halo-color': theme.labelHalo, 'text-halo-width': 1.4 },
    },
  ];
}
