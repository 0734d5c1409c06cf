/**
 * Meeting mode: the month report as full-screen slides for the 民情分析会 projector. Opened with
 * `?view=meeting&month=YYYY-MM[&communityId=…]`; it switches presentation mode on, so every
 * request is masked whatever the account. ←/→ and PageUp/PageDown (what presentation clickers
 * send) move between slides; Home/End jump; Escape goes back to the map.
 */
import { useQuery } from '@tanstack/react-query';
import type { InferResponseType } from 'hono/client';
import { type ReactNode, useCallback, useEffect, useMemo, useState } from 'react';
import { ISSUE_TIERS } from '../../../geo/domain/issue';
import type { BandOrNone } from '../../../geo/metrics/legend';
import { changeTone, formatChange, formatKpi, KPIS, type KpiId, monthLabel } from '../../../geo/report/kpis';
import { ApiRequestError, client, type GridCollection, useGrids } from '../api';
import { setPresentation } from '../auth/presentation';
import { currentToken } from '../auth/session';
import { useLocale } from '../i18n/locale';
import { downloadMapPng, SlideMap } from './slide-map';
import { TrendChart } from './trend-chart';

export type MonthlyReportJson = InferResponseType<typeof client.api.reports.monthly.$get, 200>;

/** The month before today's month: the last complete one, what a meeting usually reviews. */
export function lastCompleteMonth(today: Date = new Date()): string {
  const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1));
  return d.toISOString().slice(0, 7);
}

export function meetingParams(search: string): { month: string | null; communityId: number | null } | null {
  const p = new URLSearchParams(search);
  if (p.get('view') !== 'meeting') return null;
  const month = p.get('month');
  const communityId = Number(p.get('communityId'));
  return {
    month: month && /^\d{4}-\d{2}$/.test(month) ? month : null,
    communityId: Number.isInteger(communityId) && communityId > 0 ? communityId : null,
  };
}

const TREND_KPIS: KpiId[] = ['coverage', 'onTimeVisitRate', 'overdueHouseholds', 'closureRate', 'satisfactionRate', 'patrolCompliance'];
const HEADLINE_KPIS: KpiId[] = [...KPIS];

export function MeetingView({ month: wanted, communityId }: { month: string | null; communityId: number | null }) {
  const { t, locale } = useLocale();
  useEffect(() => setPresentation(true), []);
  const config = useQuery({ queryKey: ['config'], queryFn: async () => (await client.api.config.$get()).json(), staleTime: Infinity });
  const month = wanted ?? (config.data ? lastCompleteMonth(new Date(`${config.data.today}T00:00:00Z`)) : null);
  const report = useQuery({
    queryKey: ['report', 'monthly', month, communityId],
    enabled: month !== null,
    queryFn: async () => {
      const res = await client.api.reports.monthly.$get({
        query: communityId ? { month: month!, communityId: String(communityId) } : { month: month! },
      });
      if (!res.ok) {
        const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
        throw new ApiRequestError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `HTTP ${res.status}`);
      }
      return (await res.json()) as MonthlyReportJson;
    },
    staleTime: 5 * 60_000,
  });
  // Each map draws the boundaries in force at its own date: this month's end and last month's.
  const gridsNow = useGrids(report.data?.asOf ?? null, { enabled: report.data !== undefined });
  const gridsPrev = useGrids(report.data?.previousAsOf ?? null, { enabled: report.data !== undefined });
  // Another date's grids kept while these load would draw the wrong boundaries: wait for these.
  const now = gridsNow.isPlaceholderData ? undefined : gridsNow.data;
  const previous = gridsPrev.isPlaceholderData ? undefined : gridsPrev.data;
  const [index, setIndex] = useState(0);

  const slides = useMemo(
    () => (report.data && now && previous ? buildSlides(report.data, { now, previous }, t, locale) : []),
    [report.data, now, previous, t, locale],
  );
  const total = slides.length;
  const go = useCallback(
    (delta: number | 'first' | 'last') => {
      setIndex((i) =>
        delta === 'first' ? 0 : delta === 'last' ? Math.max(0, total - 1) : Math.min(Math.max(0, total - 1), Math.max(0, i + delta)),
      );
    },
    [total],
  );
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // The month and scope pickers take their own arrow keys.
      if (e.target instanceof HTMLSelectElement) return;
      if (e.key === 'ArrowRight' || e.key === 'PageDown' || e.key === ' ') go(1);
      else if (e.key === 'ArrowLeft' || e.key === 'PageUp') go(-1);
      else if (e.key === 'Home') go('first');
      else if (e.key === 'End') go('last');
      else if (e.key === 'Escape') window.location.assign(window.location.pathname);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [go]);

  if (report.isError) {
    return (
      <div className="meeting state error" role="alert">
        <p>{report.error.message}</p>
        <a href={window.location.pathname}>{t('meeting_exit')}</a>
      </div>
    );
  }
  if (!report.data || !now || !previous) return <div className="meeting state">{t('loading')}</div>;
  const r = report.data;
  const scope = r.scope.communityName ?? t('meeting_scopeStreet', { street: r.scope.streetName });
  const slide = slides[Math.min(index, total - 1)]!;
  const exportQuery = `month=${r.month}${communityId ? `&communityId=${communityId}` : ''}`;
  return (
    <div className="meeting" data-testid="meeting">
      <section
        className={`slide slide-${slide.id}`}
        data-testid="slide"
        data-slide={slide.id}
        aria-roledescription="slide"
        aria-label={slide.title}
      >
        {slide.id !== 'title' && <h2 className="slide-title">{slide.title}</h2>}
        <div className="slide-body">{slide.body}</div>
      </section>
      <footer className="slide-footer">
        <span>
          {scope} · {monthLabel(locale, r.month)} · {t('meeting_asOf', { date: r.asOf })}
        </span>
        <span className="slide-actions">
          <MeetingPicker
            month={r.month}
            today={config.data?.today ?? r.asOf}
            communityId={communityId}
            communities={config.data?.streets[0]?.communities ?? []}
            streetLabel={t('meeting_scopeStreet', { street: r.scope.streetName })}
          />
          <a
            href={`/api/reports/monthly.pdf?${exportQuery}`}
            onClick={(e) => void download(e, `/api/reports/monthly.pdf?${exportQuery}`, `report-${r.month}.pdf`)}
          >
            {t('meeting_pdf')}
          </a>
          <a
            href={`/api/reports/monthly.xlsx?${exportQuery}`}
            onClick={(e) => void download(e, `/api/reports/monthly.xlsx?${exportQuery}`, `report-${r.month}.xlsx`)}
          >
            {t('meeting_xlsx')}
          </a>
          {slide.id === 'map' && (
            // biome-ignore lint/a11y/useValidAnchor: one of the footer's download links, placed and styled as its neighbours.
            <a
              href="#png"
              data-testid="map-png"
              onClick={(e) => {
                e.preventDefault();
                const svg = document.querySelector<SVGSVGElement>('[data-testid="slide-map"]');
                if (svg) void downloadMapPng(svg, `minqing-map-${r.month}.png`);
              }}
            >
              PNG
            </a>
          )}
          <a href={window.location.pathname}>{t('meeting_exit')}</a>
        </span>
        <span data-testid="slide-number">
          {index + 1} / {total}
        </span>
      </footer>
    </div>
  );
}

/** Exports need the bearer token, which a plain link does not carry: fetch, then save the blob. */
async function download(e: { preventDefault(): void }, url: string, name: string) {
  e.preventDefault();
  const res = await fetch(url, { headers: { authorization: `Bearer ${currentToken() ?? ''}`, 'x-presentation': '1' } });
  if (!res.ok) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = name;
  a.click();
  URL.revokeObjectURL(a.href);
}

interface Slide {
  id: string;
  title: string;
  body: ReactNode;
}

type T = ReturnType<typeof useLocale>['t'];

function buildSlides(
  r: MonthlyReportJson,
  grids: { now: GridCollection; previous: GridCollection },
  t: T,
  locale: ReturnType<typeof useLocale>['locale'],
): Slide[] {
  const scope = r.scope.communityName ?? t('meeting_scopeStreet', { street: r.scope.streetName });
  const bandsNow = new Map<number, BandOrNone>(r.grids.map((g) => [g.id, g.bands.coverage]));
  const bandsPrev = new Map<number, BandOrNone>(r.previousGrids.map((g) => [g.id, g.coverageBand]));
  const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
  const actionTable = (actions: MonthlyReportJson['actions']) =>
    actions.length === 0 ? (
      <p className="slide-empty">{t('meeting_noActions')}</p>
    ) : (
      <table className="slide-table">
        <thead>
          <tr>
            <th>{t('meeting_grid')}</th>
            <th>{t('meeting_decision')}</th>
            <th>{t('meeting_owner')}</th>
            <th>{t('meeting_due')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {actions.map((a) => (
            <tr key={a.id} data-testid="action-row">
              <td>{a.gridName}</td>
              <td>{a.decision}</td>
              <td>{a.ownerName}</td>
              <td>{a.dueOn}</td>
              <td className={a.done ? 'tone-good' : 'tone-bad'}>
                {a.done ? `✔ ${t('meeting_done')} ${a.doneOn ?? ''}` : `✘ ${t('meeting_notDone')}`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  const maxCat = Math.max(1, ...r.issues.byCategory.map((c) => c.registered));
  const cases = [...r.issues.escalated, ...r.issues.longOpen];
  return [
    {
      id: 'title',
      title: t('meeting_title'),
      body: (
        <div className="slide-cover">
          <p className="cover-kicker">{t('meeting_title')}</p>
          <h1>{scope}</h1>
          <p className="cover-month">{t('meeting_reportTitle', { month: monthLabel(locale, r.month) })}</p>
          <p className="cover-meta">
            {t('meeting_asOf', { date: r.asOf })} · {t('meeting_generated', { time: new Date(r.generatedAt).toLocaleString(locale) })}
          </p>
        </div>
      ),
    },
    { id: 'previous-actions', title: t('meeting_previousActions'), body: actionTable(r.previousActions) },
    {
      id: 'kpis',
      title: t('meeting_kpis'),
      body: (
        <div className="kpi-grid">
          {HEADLINE_KPIS.map((k) => {
            const v = r.kpis[k];
            const tone = changeTone(k, v.change);
            return (
              <div key={k} className="kpi" data-kpi={k}>
                <div className="kpi-label">{t(`kpi_${k}`)}</div>
                <div className="kpi-value">{formatKpi(k, v.value)}</div>
                <div className={`kpi-change tone-${tone}`}>{t('meeting_change', { change: formatChange(k, v.change) })}</div>
              </div>
            );
          })}
        </div>
      ),
    },
    {
      id: 'map',
      title: `${t('meeting_mapTitle')} · ${monthLabel(locale, r.month)}`,
      body: (
        <SlideMap
          grids={grids.now}
          report={r}
          bands={bandsNow}
          caption={`${scope} · ${t('meeting_mapTitle')} · ${t('meeting_asOf', { date: r.asOf })}`}
        />
      ),
    },
    {
      id: 'compare',
      title: t('meeting_compare'),
      body: (
        <div className="split">
          <figure>
            <figcaption>
              {t('meeting_lastMonth')} · {monthLabel(locale, r.previousMonth)} · {pct(r.kpis.coverage.previous)}
            </figcaption>
            <SlideMap
              grids={grids.previous}
              report={r}
              bands={bandsPrev}
              legend={false}
              width={600}
              height={520}
              caption={`${scope} · ${t('meeting_asOf', { date: r.previousAsOf })}`}
            />
          </figure>
          <figure>
            <figcaption>
              {t('meeting_thisMonth')} · {monthLabel(locale, r.month)} · {pct(r.kpis.coverage.value)}
            </figcaption>
            <SlideMap
              grids={grids.now}
              report={r}
              bands={bandsNow}
              legend={false}
              width={600}
              height={520}
              caption={`${scope} · ${t('meeting_asOf', { date: r.asOf })}`}
            />
          </figure>
        </div>
      ),
    },
    {
      id: 'worst',
      title: t('meeting_worstGrids'),
      body: (
        <table className="slide-table">
          <thead>
            <tr>
              <th>{t('meeting_rank')}</th>
              <th>{t('meeting_grid')}</th>
              <th>{t('metric_attention')}</th>
              <th>{t('kpi_coverage')}</th>
              <th>{t('breakdown_coverageGap')}</th>
              <th>{t('breakdown_atRiskOverdue')}</th>
              <th>{t('breakdown_overdueIssues')}</th>
              <th>{t('breakdown_patrolGap')}</th>
            </tr>
          </thead>
          <tbody>
            {r.grids.slice(0, 6).map((g) => (
              <tr key={g.id} data-testid="worst-row">
                <td>{g.rank}</td>
                <td>{g.name}</td>
                <td className="num strong">{g.attention.toFixed(1)}</td>
                <td className="num">{pct(g.coverage)}</td>
                <td className="num">{g.attentionBreakdown.coverageGap.toFixed(1)}</td>
                <td className="num">{g.attentionBreakdown.atRiskOverdue.toFixed(1)}</td>
                <td className="num">{g.attentionBreakdown.overdueIssues.toFixed(1)}</td>
                <td className="num">{g.attentionBreakdown.patrolGap.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ),
    },
    {
      id: 'issues',
      title: t('meeting_issues'),
      body: (
        <div className="issues-slide">
          <div>
            <h3>{t('meeting_byCategory')}</h3>
            {r.issues.byCategory
              .filter((c) => c.registered > 0)
              .map((c) => (
                <div key={c.category} className="bar-row">
                  <span className="bar-label">{t(`issueCategory_${c.category}`)}</span>
                  <span className="bar" style={{ width: `${(c.registered / maxCat) * 60}%` }} />
                  <span className="bar-value">{c.registered}</span>
                </div>
              ))}
          </div>
          <div>
            <h3>{t('meeting_byTier')}</h3>
            {ISSUE_TIERS.map((tier) => (
              <div key={tier} className="bar-row">
                <span className="bar-label">{t(`issueTier_${tier}`)}</span>
                <span className="bar-value">{r.issues.byTier.find((x) => x.tier === tier)?.registered ?? 0}</span>
              </div>
            ))}
            <div className="kpi-mini">
              {(['closureRate', 'onTimeClosureRate', 'satisfactionRate', 'overdueIssues'] as const).map((k) => (
                <div key={k}>
                  <span>{t(`kpi_${k}`)}</span> <strong>{formatKpi(k, r.kpis[k].value)}</strong>
                </div>
              ))}
            </div>
          </div>
        </div>
      ),
    },
    {
      id: 'cases',
      title: t('meeting_cases'),
      body:
        cases.length === 0 ? (
          <p className="slide-empty">{t('meeting_none')}</p>
        ) : (
          <table className="slide-table">
            <thead>
              <tr>
                <th>{t('meeting_regNo')}</th>
                <th>{t('meeting_grid')}</th>
                <th>{t('issueCategoryLabel')}</th>
                <th>{t('tierLabel')}</th>
                <th>{t('meeting_received')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {cases.slice(0, 8).map((c) => (
                <tr key={c.regNo} data-testid="case-row">
                  <td>{c.regNo}</td>
                  <td>{c.gridName}</td>
                  <td>{t(`issueCategory_${c.category}`)}</td>
                  <td>{t(`issueTier_${c.tier}`)}</td>
                  <td>{c.receivedOn}</td>
                  <td className={c.overdue ? 'tone-bad' : ''}>{t('meeting_daysOpen', { days: c.daysOpen })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ),
    },
    {
      id: 'trend',
      title: t('meeting_trend'),
      body: (
        <div className="trend-grid">
          {TREND_KPIS.map((k) => (
            <TrendChart key={k} kpi={k} label={t(`kpi_${k}`)} points={r.trend.map((p) => ({ month: p.month, value: p[k] }))} />
          ))}
        </div>
      ),
    },
    { id: 'actions', title: t('meeting_actions'), body: actionTable(r.actions) },
  ];
}

/**
 * Which month and scope to present: the running month and the twelve before it, the street or
 * one community. A choice opens that report (its URL can be shared like any map view).
 */
function MeetingPicker({
  month,
  today,
  communityId,
  communities,
  streetLabel,
}: {
  month: string;
  today: string;
  communityId: number | null;
  communities: readonly { id: number; name: string }[];
  streetLabel: string;
}) {
  const { t, locale } = useLocale();
  const months = Array.from({ length: 13 }, (_, i) => {
    const d = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 1 - i, 1));
    return d.toISOString().slice(0, 7);
  });
  const open = (m: string, c: number | null) => {
    const q = new URLSearchParams({ view: 'meeting', month: m });
    if (c !== null) q.set('communityId', String(c));
    window.location.assign(`${window.location.pathname}?${q}`);
  };
  return (
    <span className="meeting-picker">
      <select
        aria-label={t('meeting_pickMonth')}
        data-testid="meeting-month"
        value={month}
        onChange={(e) => open(e.target.value, communityId)}
      >
        {months.map((m) => (
          <option key={m} value={m}>
            {monthLabel(locale, m)}
          </option>
        ))}
      </select>
      <select
        aria-label={t('meeting_pickScope')}
        data-testid="meeting-scope"
        value={communityId ?? ''}
        onChange={(e) => open(month, e.target.value === '' ? null : Number(e.target.value))}
      >
        <option value="">{streetLabel}</option>
        {communities.map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
    </span>
  );
}
