/**
 * Bands and colours for each map metric. The API serves these (GET /api/legend) and stamps each
 * grid's band in /api/stats, so the map, its legend and printed reports can never disagree.
 *
 * Colours: lightness falls monotonically from good to critical (L* ≈ 92 → 77 → 57 → 30), so the
 * order survives greyscale printing and a washed-out projector; blue → orange → dark red avoids
 * the red/green pair that the common colour-vision deficiencies confuse.
 */
import { LOCALES, type Locale, type StringKey, stringsOf } from '../i18n/strings';
import { PALETTE } from '../style/palette';

export const METRICS = ['coverage', 'overdueHouseholds', 'atRiskOverdue', 'openIssues', 'overdueIssues', 'attention'] as const;
export type MetricId = (typeof METRICS)[number];

export const BANDS = ['good', 'fair', 'poor', 'critical'] as const;
export type BandId = (typeof BANDS)[number];
/** `none`: the value is undefined (a grid with no households has no coverage). */
export type BandOrNone = BandId | 'none';

export const BAND_COLORS: Record<BandOrNone, string> = {
  good: PALETTE.blue50,
  fair: PALETTE.orange300,
  poor: PALETTE.orange700,
  critical: PALETTE.brown900,
  none: PALETTE.grey85,
};

export interface MetricSpec {
  id: MetricId;
  /** Coverage: more is better; counts and the attention score: less is better. */
  higherIsBetter: boolean;
  unit: 'share' | 'count' | 'score';
  /** The boundaries between good|fair, fair|poor and poor|critical. A value on a boundary gets the better band. */
  thresholds: readonly [number, number, number];
}

export const METRIC_SPECS: Record<MetricId, MetricSpec> = {
  coverage: { id: 'coverage', higherIsBetter: true, unit: 'share', thresholds: [0.95, 0.85, 0.7] },
  overdueHouseholds: { id: 'overdueHouseholds', higherIsBetter: false, unit: 'count', thresholds: [10, 25, 60] },
  atRiskOverdue: { id: 'atRiskOverdue', higherIsBetter: false, unit: 'count', thresholds: [0, 2, 5] },
  openIssues: { id: 'openIssues', higherIsBetter: false, unit: 'count', thresholds: [2, 5, 10] },
  overdueIssues: { id: 'overdueIssues', higherIsBetter: false, unit: 'count', thresholds: [0, 1, 3] },
  attention: { id: 'attention', higherIsBetter: false, unit: 'score', thresholds: [10, 25, 40] },
};

export type Thresholds = Partial<Record<MetricId, readonly [number, number, number]>>;

export function bandOf(metric: MetricId, value: number | null, overrides: Thresholds = {}): BandOrNone {
  if (value === null) return 'none';
  const [a, b, c] = overrides[metric] ?? METRIC_SPECS[metric].thresholds;
  if (METRIC_SPECS[metric].higherIsBetter) return value >= a ? 'good' : value >= b ? 'fair' : value >= c ? 'poor' : 'critical';
  return value <= a ? 'good' : value <= b ? 'fair' : value <= c ? 'poor' : 'critical';
}

export type Labels = Record<Locale, string>;
const labels = (key: StringKey): Labels => Object.fromEntries(LOCALES.map((l) => [l, stringsOf(l)[key]])) as Labels;

export interface LegendBand {
  id: BandOrNone;
  /** Inclusive bounds in the metric's unit; null where the band is open-ended. */
  min: number | null;
  max: number | null;
  color: string;
  labels: Labels;
}
export interface LegendMetric {
  id: MetricId;
  unit: MetricSpec['unit'];
  higherIsBetter: boolean;
  labels: Labels;
  bands: LegendBand[];
}

export function legend(overrides: Thresholds = {}): LegendMetric[] {
  return METRICS.map((id) => {
    const spec = METRIC_SPECS[id];
    const [a, b, c] = overrides[id] ?? spec.thresholds;
    const ranges: [number | null, number | null][] = spec.higherIsBetter
      ? [
          [a, spec.unit === 'share' ? 1 : null],
          [b, a],
          [c, b],
          [spec.unit === 'share' ? 0 : null, c],
        ]
      : [
          [0, a],
          [a, b],
          [b, c],
          [c, null],
        ];
    const bands: LegendBand[] = BANDS.map((band, i) => ({
      id: band,
      min: ranges[i]![0],
      max: ranges[i]![1],
      color: BAND_COLORS[band],
      labels: labels(`band_${band}`),
    }));
    if (id === 'coverage') bands.push({ id: 'none', min: null, max: null, color: BAND_COLORS.none, labels: labels('band_none') });
    return { id, unit: spec.unit, higherIsBetter: spec.higherIsBetter, labels: labels(`metric_${id}`), bands };
  });
}
