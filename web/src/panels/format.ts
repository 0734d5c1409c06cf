import type { MetricId } from '../../../geo/metrics/legend';
import { METRIC_SPECS } from '../../../geo/metrics/legend';

export function formatMetric(metric: MetricId, value: number | null): string {
  if (value === null) return '—';
  const unit = METRIC_SPECS[metric].unit;
  if (unit === 'share') return `${(value * 100).toFixed(1)}%`;
  if (unit === 'score') return value.toFixed(1);
  return String(value);
}

/** The last day of each of the `count` months before `today` (month-end meeting dates). */
export function recentMonthEnds(today: string, count: number): string[] {
  const [y, m] = today.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const end = new Date(Date.UTC(y, m - 1 - i, 0));
    return end.toISOString().slice(0, 10);
  });
}
