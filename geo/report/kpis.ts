/**
 * The month report's key figures (docs/metrics.md "Month report"), and how to print them: the
 * slides, the PDF and the XLSX format them with these same functions.
 */
import { type Locale, translate } from '../i18n/strings';

export const KPIS = [
  'coverage',
  'overdueHouseholds',
  'atRiskOverdue',
  'visitsDue',
  'visitsDone',
  'onTimeVisitRate',
  'issuesRegistered',
  'issuesClosed',
  'overdueIssues',
  'closureRate',
  'onTimeClosureRate',
  'satisfactionRate',
  'patrolCompliance',
] as const;
export type KpiId = (typeof KPIS)[number];
/** Shares are fractions in [0, 1]; null when the denominator is 0. */
export type KpiValues = Record<KpiId, number | null>;
/** Whether a rise is good news (for colouring changes on the slides). */
export const KPI_HIGHER_IS_BETTER: Record<KpiId, boolean | null> = {
  coverage: true,
  overdueHouseholds: false,
  atRiskOverdue: false,
  visitsDue: null,
  visitsDone: true,
  onTimeVisitRate: true,
  issuesRegistered: null,
  issuesClosed: true,
  overdueIssues: false,
  closureRate: true,
  onTimeClosureRate: true,
  satisfactionRate: true,
  patrolCompliance: true,
};
export const KPI_IS_SHARE: Record<KpiId, boolean> = Object.fromEntries(
  KPIS.map((k) => [
    k,
    ['coverage', 'onTimeVisitRate', 'closureRate', 'onTimeClosureRate', 'satisfactionRate', 'patrolCompliance'].includes(k),
  ]),
) as Record<KpiId, boolean>;

/** A KPI value as printed: shares as percentages with one decimal, counts as integers. */
export function formatKpi(kpi: KpiId, value: number | null): string {
  if (value === null) return '—';
  return KPI_IS_SHARE[kpi] ? `${(value * 100).toFixed(1)}%` : String(Math.round(value));
}

/** The change from last month: "+2.3 个百分点" style for shares, "+5" for counts. */
export function formatChange(kpi: KpiId, change: number | null): string {
  if (change === null) return '—';
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  const abs = Math.abs(change);
  return KPI_IS_SHARE[kpi] ? `${sign}${(abs * 100).toFixed(1)} pp` : `${sign}${Math.round(abs)}`;
}

/** 'good' when the change is an improvement, 'bad' when a worsening, 'neutral' otherwise. */
export function changeTone(kpi: KpiId, change: number | null): 'good' | 'bad' | 'neutral' {
  const up = KPI_HIGHER_IS_BETTER[kpi];
  if (change === null || up === null || Math.abs(change) < 1e-9) return 'neutral';
  return change > 0 === up ? 'good' : 'bad';
}

/** "2026年10月" / "October 2026". */
export function monthLabel(locale: Locale, month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  if (locale === 'en')
    return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return `${y}年${m}月`;
}

export function kpiLabel(locale: Locale, kpi: KpiId): string {
  return translate(locale, `kpi_${kpi}`);
}
