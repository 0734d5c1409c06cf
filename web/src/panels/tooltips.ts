/**
 * Tooltip HTML for a grid or a building: numbers only, never personal data. Text is escaped
 * because names and addresses come from imported data.
 */
import type { StringKey } from '../../../geo/i18n/strings';
import type { GridStats } from '../api';
import { categoryLabel } from '../issues/labels';
import { ISSUE_STAGES, type IssueStage } from '../map/issues.layers';
import { formatMetric } from './format';

type T = (key: StringKey, vars?: Record<string, string | number>) => string;
type Figures = Omit<GridStats, 'id' | 'bands'>;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function areaTooltipHtml(t: T, title: string, s: Figures): string {
  const row = (label: string, value: string) => `<div><span>${escapeHtml(label)}</span><b>${escapeHtml(value)}</b></div>`;
  return `<strong>${escapeHtml(title)}</strong>${[
    row(t('fieldCoverage'), `${formatMetric('coverage', s.coverage)} (${s.coveredHouseholds}/${s.households})`),
    row(t('fieldOverdueHouseholds'), String(s.overdueHouseholds)),
    row(t('fieldAtRiskOverdue'), `${s.atRiskOverdue}/${s.atRiskHouseholds}`),
    row(t('fieldOpenIssues'), `${s.openIssues} · ${t('fieldOverdueIssues')} ${s.overdueIssues}`),
    row(t('fieldAttention'), formatMetric('attention', s.attention)),
    row(t('breakdown_coverageGap'), s.attentionBreakdown.coverageGap.toFixed(1)),
    row(t('breakdown_atRiskOverdue'), s.attentionBreakdown.atRiskOverdue.toFixed(1)),
    row(t('breakdown_overdueIssues'), s.attentionBreakdown.overdueIssues.toFixed(1)),
    row(t('breakdown_patrolGap'), s.attentionBreakdown.patrolGap.toFixed(1)),
  ].join('')}`;
}

/** A pin's tooltip: registration number, category and deadline stage — what /api/issues/pins serves to everyone. */
export function issuePinTooltipHtml(t: T, p: { regNo: string; category: string; stage: string }): string {
  const stage = (ISSUE_STAGES as readonly string[]).includes(p.stage) ? t(`stage_${p.stage as IssueStage}`) : p.stage;
  return `<strong>${escapeHtml(t('issueTitle', { regNo: p.regNo }))}</strong><div><span>${escapeHtml(categoryLabel(t, p.category))}</span><b>${escapeHtml(stage)}</b></div>`;
}
