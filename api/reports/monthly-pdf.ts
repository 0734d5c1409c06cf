/**
 * The month report as an A4-landscape PDF: the slides of meeting mode, page for page, drawn with
 * pdfkit and no browser (npm start must work on a machine without Chromium). The map is vector
 * paths from the grid geometry, projected by the same code as the slides' SVG map
 * (geo/report/map-projection.ts) and painted with the legend's colours.
 */

import type { MultiPolygon, Polygon } from 'geojson';
import PDFDocument from 'pdfkit';
import { ISSUE_TIERS } from '../../geo/domain/issue';
import { type Locale, type StringKey, translate } from '../../geo/i18n/strings';
import { BAND_COLORS, type BandOrNone } from '../../geo/metrics/legend';
import { gridLabelLines } from '../../geo/report/grid-label';
import { changeTone, formatChange, formatKpi, KPI_IS_SHARE, KPIS, type KpiId, monthLabel } from '../../geo/report/kpis';
import { type Box, projectAreas } from '../../geo/report/map-projection';
import { drawText, type TextStyle, textWidth } from './cjk-font';
import type { MonthlyReport, ReportAction } from './monthly-report';

export interface GridShape {
  id: number;
  geometry: Polygon | MultiPolygon;
}

/** The boundaries in force at the report's date and at the previous month's end. */
export interface ReportShapes {
  current: GridShape[];
  previous: GridShape[];
}

const W = 841.89;
const H = 595.28;
const M = 36;
const NAVY = '#08306b';
const GOOD = '#08519c';
const BAD = '#a50f15';
const TREND_KPIS: KpiId[] = ['coverage', 'onTimeVisitRate', 'overdueHouseholds', 'closureRate', 'satisfactionRate', 'patrolCompliance'];

/** Renders the report; resolves with the PDF bytes. */
export function renderMonthlyPdf(report: MonthlyReport, shapes: ReportShapes, locale: Locale = 'zh-CN'): Promise<Buffer> {
  const t = (key: StringKey, vars?: Record<string, string | number>) => translate(locale, key, vars);
  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: 0,
    bufferPages: true,
    info: { Title: `${t('meeting_title')} ${report.month}`, Creator: 'Minqing Map' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const text = (s: string, x: number, y: number, style: TextStyle) => drawText(doc, s, x, y, style);
  const scope = report.scope.communityName ?? t('meeting_scopeStreet', { street: report.scope.streetName });
  const month = monthLabel(locale, report.month);
  const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
  let first = true;
  const page = (title: string | null) => {
    if (!first) doc.addPage();
    first = false;
    if (title) {
      text(title, M, M, { size: 24, weight: 700, color: NAVY });
      doc
        .moveTo(M, M + 36)
        .lineTo(W - M, M + 36)
        .lineWidth(2.5)
        .strokeColor(NAVY)
        .stroke();
    }
  };
  const table = (headers: string[], rows: string[][], widths: number[], y0: number, tones: Array<Array<'good' | 'bad' | null>> = []) => {
    const rowH = 26;
    let x = M;
    doc.rect(M, y0, W - 2 * M, rowH).fill(NAVY);
    headers.forEach((h, i) => {
      text(h, x + 6, y0 + 6, { size: 12, weight: 700, color: '#ffffff', maxWidth: widths[i]! - 12 });
      x += widths[i]!;
    });
    rows.forEach((r, ri) => {
      const y = y0 + rowH * (ri + 1);
      x = M;
      r.forEach((cell, i) => {
        const tone = tones[ri]?.[i];
        text(cell, x + 6, y + 6, {
          size: 12,
          color: tone === 'good' ? GOOD : tone === 'bad' ? BAD : '#111111',
          weight: tone ? 700 : 400,
          maxWidth: widths[i]! - 12,
        });
        x += widths[i]!;
      });
      doc
        .moveTo(M, y + rowH)
        .lineTo(W - M, y + rowH)
        .lineWidth(0.7)
        .strokeColor('#bbbbbb')
        .stroke();
    });
  };
  const actionPage = (title: string, actions: ReportAction[]) => {
    page(title);
    if (actions.length === 0) {
      text(t('meeting_noActions'), M, M + 60, { size: 18 });
      return;
    }
    table(
      [t('meeting_grid'), t('meeting_decision'), t('meeting_owner'), t('meeting_due'), ''],
      actions
        .slice(0, 16)
        .map((a) => [
          a.gridName,
          a.decision,
          a.ownerName ?? '',
          a.dueOn,
          a.done ? `✔ ${t('meeting_done')} ${a.doneOn ?? ''}` : `✘ ${t('meeting_notDone')}`,
        ]),
      [110, 330, 100, 90, 140],
      M + 52,
      actions.slice(0, 16).map((a) => [null, null, null, null, a.done ? 'good' : 'bad']),
    );
  };
  const map = (box: Box, areas: GridShape[], bands: Map<number, BandOrNone>, caption: string, withLegend: boolean) => {
    const mapBox = { x: box.x, y: box.y + 22, width: withLegend ? box.width * 0.7 : box.width, height: box.height - 44 };
    const projected = projectAreas(areas, mapBox);
    doc.rect(box.x, box.y, box.width, box.height).lineWidth(0.8).strokeColor('#888888').stroke();
    text(caption, box.x + 6, box.y + 4, { size: 12, weight: 700, maxWidth: box.width - 12 });
    for (const a of projected.areas) {
      doc
        .path(a.path)
        .lineWidth(0.8)
        .fillColor(BAND_COLORS[bands.get(a.id) ?? 'none'])
        .strokeColor('#222222')
        .fillAndStroke();
    }
    const names = new Map(report.grids.map((g) => [g.id, g.name]));
    // Labels on a light plate, readable on the darkest band too; the full map only (as the slides).
    const size = 8;
    for (const a of withLegend ? projected.areas : []) {
      const lines = gridLabelLines(names.get(a.id) ?? '');
      const w = Math.max(...lines.map((l) => textWidth(doc, l, size)));
      const lineHeight = size * 1.2;
      const top = a.label[1] - (lines.length * lineHeight) / 2;
      doc
        .rect(a.label[0] - w / 2 - 2, top - 2, w + 4, lines.length * lineHeight + 4)
        .fillOpacity(0.8)
        .fillColor('#ffffff')
        .fill()
        .fillOpacity(1);
      lines.forEach((l, i) => text(l, a.label[0], top + i * lineHeight, { size, align: 'center' }));
    }
    // North arrow
    const nx = mapBox.x + mapBox.width - 22;
    const ny = box.y + 40;
    doc
      .path(`M${nx} ${ny - 14} L${nx + 7} ${ny + 8} L${nx} ${ny + 3} L${nx - 7} ${ny + 8} Z`)
      .fillColor('#111111')
      .fill();
    text(t('meeting_north'), nx, ny + 10, { size: 10, weight: 700, align: 'center' });
    // Scale bar
    const sb = projected.scaleBar;
    const sx = box.x + 10;
    const sy = box.y + box.height - 16;
    doc
      .rect(sx, sy, sb.length / 2, 5)
      .fillColor('#111111')
      .fill();
    doc
      .rect(sx + sb.length / 2, sy, sb.length / 2, 5)
      .lineWidth(0.8)
      .strokeColor('#111111')
      .stroke();
    text(sb.label, sx + sb.length + 6, sy - 4, { size: 10 });
    if (withLegend) {
      const lx = box.x + box.width * 0.73;
      let ly = box.y + 50;
      text(report.coverageLegend.labels[locale], lx, ly, { size: 14, weight: 700 });
      ly += 26;
      for (const b of report.coverageLegend.bands) {
        const range = b.min === null && b.max === null ? '' : `${Math.round((b.min ?? 0) * 100)}–${Math.round((b.max ?? 1) * 100)}%`;
        const count = report.grids.filter((g) => g.bands.coverage === b.id).length;
        doc.rect(lx, ly, 22, 16).fillColor(b.color).strokeColor('#222222').lineWidth(0.6).fillAndStroke();
        text(`${b.labels[locale]} ${range} · ${count}`, lx + 30, ly + 1, { size: 11 });
        ly += 26;
      }
    }
  };

  // 1. Title
  page(null);
  text(t('meeting_title'), M + 20, 150, { size: 22, weight: 700, color: NAVY });
  text(scope, M + 20, 190, { size: 40, weight: 700 });
  text(t('meeting_reportTitle', { month }), M + 20, 250, { size: 28 });
  text(t('meeting_asOf', { date: report.asOf }), M + 20, 300, { size: 16, color: '#333333' });

  // 2. Last meeting's decisions
  actionPage(t('meeting_previousActions'), report.previousActions);

  // 3. KPIs
  page(t('meeting_kpis'));
  const cols = 5;
  const cw = (W - 2 * M - (cols - 1) * 10) / cols;
  KPIS.forEach((k, i) => {
    const x = M + (i % cols) * (cw + 10);
    const y = M + 56 + Math.floor(i / cols) * 150;
    const v = report.kpis[k];
    doc.roundedRect(x, y, cw, 136, 6).lineWidth(1.5).strokeColor(NAVY).stroke();
    text(t(`kpi_${k}`), x + 10, y + 10, { size: 13, maxWidth: cw - 20 });
    text(formatKpi(k, v.value), x + 10, y + 40, { size: 30, weight: 700 });
    const tone = changeTone(k, v.change);
    text(t('meeting_change', { change: formatChange(k, v.change) }), x + 10, y + 100, {
      size: 11,
      color: tone === 'good' ? GOOD : tone === 'bad' ? BAD : '#333333',
      weight: tone === 'neutral' ? 400 : 700,
      maxWidth: cw - 20,
    });
  });

  // 4. The map
  page(`${t('meeting_mapTitle')} · ${month}`);
  const bandsNow = new Map(report.grids.map((g) => [g.id, g.bands.coverage]));
  map(
    { x: M, y: M + 48, width: W - 2 * M, height: H - 2 * M - 78 },
    shapes.current,
    bandsNow,
    `${scope} · ${t('meeting_mapTitle')} · ${t('meeting_asOf', { date: report.asOf })}`,
    true,
  );

  // 5. This month beside last month
  page(t('meeting_compare'));
  const half = (W - 2 * M - 16) / 2;
  text(`${t('meeting_lastMonth')} · ${monthLabel(locale, report.previousMonth)} · ${pct(report.kpis.coverage.previous)}`, M, M + 50, {
    size: 14,
    weight: 700,
  });
  text(`${t('meeting_thisMonth')} · ${month} · ${pct(report.kpis.coverage.value)}`, M + half + 16, M + 50, { size: 14, weight: 700 });
  map(
    { x: M, y: M + 74, width: half, height: H - 2 * M - 104 },
    shapes.previous,
    new Map(report.previousGrids.map((g) => [g.id, g.coverageBand])),
    `${scope} · ${t('meeting_asOf', { date: report.previousAsOf })}`,
    false,
  );
  map(
    { x: M + half + 16, y: M + 74, width: half, height: H - 2 * M - 104 },
    shapes.current,
    bandsNow,
    `${scope} · ${t('meeting_asOf', { date: report.asOf })}`,
    false,
  );

  // 6. Worst grids
  page(t('meeting_worstGrids'));
  table(
    [
      t('meeting_rank'),
      t('meeting_grid'),
      t('metric_attention'),
      t('kpi_coverage'),
      t('breakdown_coverageGap'),
      t('breakdown_atRiskOverdue'),
      t('breakdown_overdueIssues'),
      t('breakdown_patrolGap'),
    ],
    report.grids
      .slice(0, 12)
      .map((g) => [
        String(g.rank),
        g.name,
        g.attention.toFixed(1),
        pct(g.coverage),
        g.attentionBreakdown.coverageGap.toFixed(1),
        g.attentionBreakdown.atRiskOverdue.toFixed(1),
        g.attentionBreakdown.overdueIssues.toFixed(1),
        g.attentionBreakdown.patrolGap.toFixed(1),
      ]),
    [50, 150, 90, 90, 95, 95, 95, 104],
    M + 52,
  );

  // 7. Issues
  page(t('meeting_issues'));
  text(t('meeting_byCategory'), M, M + 52, { size: 15, weight: 700 });
  const maxCat = Math.max(1, ...report.issues.byCategory.map((c) => c.registered));
  let y = M + 82;
  for (const c of report.issues.byCategory.filter((x) => x.registered > 0)) {
    text(t(`issueCategory_${c.category}`), M, y, { size: 13 });
    const bw = (c.registered / maxCat) * 260;
    doc
      .rect(M + 90, y + 2, bw, 13)
      .fillColor(NAVY)
      .fill();
    text(String(c.registered), M + 96 + bw, y, { size: 13, weight: 700 });
    y += 26;
  }
  const rx = M + 450;
  text(t('meeting_byTier'), rx, M + 52, { size: 15, weight: 700 });
  y = M + 82;
  for (const tier of ISSUE_TIERS) {
    text(t(`issueTier_${tier}`), rx, y, { size: 13 });
    text(String(report.issues.byTier.find((x) => x.tier === tier)?.registered ?? 0), rx + 200, y, { size: 13, weight: 700 });
    y += 26;
  }
  y += 20;
  for (const k of ['closureRate', 'onTimeClosureRate', 'satisfactionRate', 'overdueIssues'] as const) {
    text(t(`kpi_${k}`), rx, y, { size: 13 });
    text(formatKpi(k, report.kpis[k].value), rx + 200, y - 3, { size: 18, weight: 700 });
    y += 32;
  }

  // 8. Hard cases
  page(t('meeting_cases'));
  const cases = [...report.issues.escalated, ...report.issues.longOpen];
  if (cases.length === 0) text(t('meeting_none'), M, M + 60, { size: 18 });
  else {
    table(
      [t('meeting_regNo'), t('meeting_grid'), t('issueCategoryLabel'), t('tierLabel'), t('meeting_received'), ''],
      cases
        .slice(0, 16)
        .map((c) => [
          c.regNo,
          c.gridName,
          t(`issueCategory_${c.category}`),
          t(`issueTier_${c.tier}`),
          c.receivedOn,
          t('meeting_daysOpen', { days: c.daysOpen }),
        ]),
      [110, 150, 130, 140, 110, 130],
      M + 52,
      cases.slice(0, 16).map((c) => [null, null, null, null, null, c.overdue ? 'bad' : null]),
    );
  }

  // 9. Trends
  page(t('meeting_trend'));
  const tw = (W - 2 * M - 2 * 20) / 3;
  const th = 200;
  TREND_KPIS.forEach((k, i) => {
    const x0 = M + (i % 3) * (tw + 20);
    const y0 = M + 56 + Math.floor(i / 3) * (th + 20);
    const values = report.trend.map((p) => p[k]);
    const nums = values.filter((v): v is number => v !== null);
    const max = KPI_IS_SHARE[k] ? 1 : Math.max(1, ...nums);
    const min = KPI_IS_SHARE[k] ? Math.max(0, Math.floor((Math.min(1, ...nums) - 0.05) * 10) / 10) : 0;
    text(t(`kpi_${k}`), x0, y0, { size: 13, weight: 700 });
    text(formatKpi(k, values.at(-1) ?? null), x0 + tw, y0 - 2, { size: 16, weight: 700, color: NAVY, align: 'right' });
    const px = (j: number) => x0 + (j * tw) / Math.max(1, values.length - 1);
    const py = (v: number) => y0 + 30 + (1 - (v - min) / (max - min || 1)) * (th - 60);
    doc
      .moveTo(x0, py(min))
      .lineTo(x0 + tw, py(min))
      .lineWidth(0.6)
      .strokeColor('#999999')
      .stroke();
    // The scale's floor and ceiling, so a flat-looking line is not misread.
    text(formatKpi(k, min), x0 + tw, py(min) + 2, { size: 8, color: '#555555', align: 'right' });
    text(formatKpi(k, max), x0 + tw, py(max) - 10, { size: 8, color: '#555555', align: 'right' });
    let started = false;
    values.forEach((v, j) => {
      if (v === null) return;
      if (!started) doc.moveTo(px(j), py(v));
      else doc.lineTo(px(j), py(v));
      started = true;
    });
    if (started) doc.lineWidth(2.5).strokeColor(NAVY).stroke();
    values.forEach((v, j) => {
      if (v !== null)
        doc
          .circle(px(j), py(v), j === values.length - 1 ? 4 : 2.5)
          .fillColor(NAVY)
          .fill();
    });
    text(report.trend[0]?.month ?? '', x0, y0 + th - 24, { size: 9, color: '#333333' });
    text(report.trend.at(-1)?.month ?? '', x0 + tw, y0 + th - 24, { size: 9, color: '#333333', align: 'right' });
  });

  // 10. This meeting's decisions
  actionPage(t('meeting_actions'), report.actions);

  // Footers: scope, month, page numbers and the generation time on every page.
  const range = doc.bufferedPageRange();
  const generated = t('meeting_generated', { time: `${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC` });
  for (let i = 0; i < range.count; i++) {
    doc.switchToPage(range.start + i);
    doc.rect(0, H - 24, W, 24).fill(NAVY);
    text(`${scope} · ${month} · ${t('meeting_asOf', { date: report.asOf })}`, M, H - 18, { size: 10, color: '#ffffff' });
    text(generated, W / 2, H - 18, { size: 10, color: '#ffffff', align: 'center' });
    text(t('meeting_page', { n: i + 1, total: range.count }), W - M, H - 18, { size: 10, color: '#ffffff', align: 'right' });
  }
  doc.end();
  return done;
}
