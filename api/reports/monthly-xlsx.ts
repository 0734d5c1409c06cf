/**
 * The month report's tables as an XLSX workbook, for whoever keeps the 台账: key figures with
 * last month and the change, the grid ranking with its breakdown, and the matters. Shares are
 * numbers formatted as percentages, so a spreadsheet can keep computing with them.
 */
import ExcelJS from 'exceljs';
import { type Locale, type StringKey, translate } from '../../geo/i18n/strings';
import { KPI_IS_SHARE, KPIS } from '../../geo/report/kpis';
import type { MonthlyReport } from './monthly-report';

export async function renderMonthlyXlsx(report: MonthlyReport, locale: Locale = 'zh-CN'): Promise<Buffer> {
  const t = (key: StringKey, vars?: Record<string, string | number>) => translate(locale, key, vars);
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Minqing Map';
  wb.created = new Date(report.generatedAt);
  const scope = report.scope.communityName ?? t('meeting_scopeStreet', { street: report.scope.streetName });
  const header = (ws: ExcelJS.Worksheet, cols: string[]) => {
    ws.addRow([`${scope} · ${report.month} · ${t('meeting_asOf', { date: report.asOf })}`]).font = { bold: true, size: 13 };
    const row = ws.addRow(cols);
    row.font = { bold: true, color: { argb: 'FFFFFFFF' } };
    row.eachCell((c) => (c.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FF08306B' } }));
    ws.views = [{ state: 'frozen', ySplit: 2 }];
  };

  const kpis = wb.addWorksheet(t('meeting_sheetKpis'));
  header(kpis, [t('meeting_kpis'), t('meeting_value'), t('meeting_previous'), t('meeting_delta')]);
  for (const k of KPIS) {
    const v = report.kpis[k];
    const row = kpis.addRow([t(`kpi_${k}`), v.value, v.previous, v.change]);
    if (KPI_IS_SHARE[k]) for (const i of [2, 3, 4]) row.getCell(i).numFmt = '0.0%';
  }
  kpis.columns.forEach((c, i) => (c.width = i === 0 ? 22 : 14));

  const ranking = wb.addWorksheet(t('meeting_sheetRanking'));
  header(ranking, [
    t('meeting_rank'),
    t('meeting_grid'),
    t('metric_attention'),
    t('breakdown_coverageGap'),
    t('breakdown_atRiskOverdue'),
    t('breakdown_overdueIssues'),
    t('breakdown_patrolGap'),
    t('fieldHouseholds'),
    t('kpi_coverage'),
    t('kpi_overdueHouseholds'),
    t('kpi_atRiskOverdue'),
    t('metric_openIssues'),
    t('kpi_overdueIssues'),
    t('kpi_visitsDue'),
    t('kpi_visitsDone'),
    t('kpi_onTimeVisitRate'),
    t('kpi_patrolCompliance'),
  ]);
  for (const g of report.grids) {
    const row = ranking.addRow([
      g.rank,
      g.name,
      g.attention,
      g.attentionBreakdown.coverageGap,
      g.attentionBreakdown.atRiskOverdue,
      g.attentionBreakdown.overdueIssues,
      g.attentionBreakdown.patrolGap,
      g.households,
      g.coverage,
      g.overdueHouseholds,
      g.atRiskOverdue,
      g.openIssues,
      g.overdueIssues,
      g.visits.due,
      g.visits.done,
      g.visits.due > 0 ? g.visits.onTime / g.visits.due : null,
      g.patrol.daysJudged > 0 ? g.patrol.daysMet / g.patrol.daysJudged : null,
    ]);
    for (const i of [9, 16, 17]) row.getCell(i).numFmt = '0.0%';
  }
  ranking.columns.forEach((c, i) => (c.width = i === 1 ? 16 : 12));

  const issues = wb.addWorksheet(t('meeting_sheetIssues'));
  header(issues, [t('issueCategoryLabel'), t('meeting_byCategory')]);
  for (const c of report.issues.byCategory) issues.addRow([t(`issueCategory_${c.category}`), c.registered]);
  issues.addRow([]);
  issues.addRow([t('tierLabel'), t('meeting_byTier')]).font = { bold: true };
  for (const c of report.issues.byTier) issues.addRow([t(`issueTier_${c.tier}`), c.registered]);
  issues.addRow([]);
  issues.addRow([
    t('meeting_regNo'),
    t('meeting_grid'),
    t('issueCategoryLabel'),
    t('tierLabel'),
    t('meeting_received'),
    t('meeting_due'),
    t('meeting_daysOpen', { days: '' }).trim(),
  ]).font = { bold: true };
  for (const c of [...report.issues.escalated, ...report.issues.longOpen]) {
    issues.addRow([c.regNo, c.gridName, t(`issueCategory_${c.category}`), t(`issueTier_${c.tier}`), c.receivedOn, c.dueOn, c.daysOpen]);
  }
  issues.columns.forEach((c) => (c.width = 16));

  return Buffer.from(await wb.xlsx.writeBuffer());
}
