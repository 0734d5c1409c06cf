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

const CHINA_OFFSET_MS = 8 * 3600_000;

/** An instant as China's wall-clock time, "YYYY-MM-DD HH:mm" (every street is on UTC+8). */
export function formatChinaTime(iso: string): string {
  return new Date(Date.parse(iso) + CHINA_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * "Now" as a datetime-local value in China time, on the product's today: the server's today is
 * pinned on a demo street (DEMO_TODAY), and a record made "now" must fall on the day the map shows.
 * Never later than the real now, which the server would refuse as the future.
 */
export function productNowLocal(today: string | null, now = new Date()): string {
  const real = new Date(now.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 16);
  if (!today || today >= real.slice(0, 10)) return real;
  return `${today}${real.slice(10)}`;
}

/** A datetime-local value entered in China time, as the ISO time with offset the API takes. */
export function chinaLocalToIso(local: string): string {
  return `${local.length === 16 ? `${local}:00` : local}+08:00`;
}
