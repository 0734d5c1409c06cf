import type { GridCodeScheme } from '../../../geo/import/grid-code';
import { PALETTE } from '../../../geo/style/palette';
import { type GridCollection, type GridStats, type Me, useOverdue } from '../api';
import { useLocale } from '../i18n/locale';
import { GridIssueIndicators, PatrolCard } from '../records/patrol-card';
import { FieldList } from './field-list';
import { formatMetric } from './format';
import { GridLabelEditor } from './grid-label-editor';
import { type HouseholdActions, HouseholdList } from './household-list';

type GridProperties = GridCollection['features'][number]['properties'];

export function GridPanel({
  grid,
  stats,
  asOf,
  can,
  onClose,
  building,
  onClearBuilding,
  actions,
  today,
  onEditBoundary,
  labelScheme = null,
}: {
  grid: GridProperties | null;
  stats: GridStats | null;
  asOf: string | null;
  /** The signed-in account's permissions; undefined while they load (nothing extra is shown). */
  can: Me['can'] | undefined;
  onClose(): void;
  /** A building clicked on the map: its households only. */
  building: { id: number; address: string } | null;
  onClearBuilding(): void;
  actions: HouseholdActions;
  /** The product's today (pinned on a demo street): the month of the patrol and issue figures. */
  today: string | null;
  /** Opens the boundary editor; absent when this caller may not redraw this grid. */
  onEditBoundary?: (() => void) | null;
  /** The street's code scheme, when this caller may change this grid's code and name; else null. */
  labelScheme?: GridCodeScheme | null;
}) {
  const { t } = useLocale();
  if (!grid) return <p className="panel-hint">{t('panelHint')}</p>;
  const days = (n: number | null) => (n === null ? t('never') : t('days', { n }));
  const rows: [string, string][] = [
    [t('fieldCode'), grid.code],
    [t('fieldCommunity'), grid.communityName],
    [t('fieldLeader'), grid.leader ?? t('noLeader')],
    [t('fieldHouseholds'), t('householdCount', { n: stats?.households ?? grid.households })],
  ];
  if (stats) {
    rows.push(
      [t('fieldCoverage'), `${formatMetric('coverage', stats.coverage)} (${stats.coveredHouseholds}/${stats.households})`],
      [t('fieldOverdueHouseholds'), String(stats.overdueHouseholds)],
      [t('fieldAtRiskOverdue'), `${stats.atRiskOverdue} / ${stats.atRiskHouseholds}`],
      [t('fieldOpenIssues'), `${stats.openIssues}（${t('fieldOverdueIssues')} ${stats.overdueIssues}）`],
      [t('fieldDaysSinceVisit'), days(stats.daysSinceLastVisit)],
      [t('fieldDaysSincePatrol'), days(stats.daysSinceLastPatrol)],
      [t('fieldAttention'), formatMetric('attention', stats.attention)],
    );
  }
  rows.push([t('fieldVersion'), `v${grid.version}`]);
  return (
    <section className="grid-panel" aria-label={grid.name} data-testid="grid-panel">
      <header>
        <h2>{grid.name}</h2>
        <button type="button" onClick={onClose} aria-label={t('panelClose')}>
          ×
        </button>
      </header>
      <FieldList rows={rows} data-testid="grid-figures" />
      {onEditBoundary !== undefined && (
        <div className="grid-actions">
          <button
            type="button"
            onClick={onEditBoundary ?? undefined}
            disabled={!onEditBoundary}
            title={onEditBoundary ? undefined : t('editor_pastDate')}
            data-action="edit-boundary"
          >
            {t('editor_editBoundary')}
          </button>
        </div>
      )}
      {labelScheme && <GridLabelEditor key={grid.id} grid={grid} scheme={labelScheme} />}
      {stats && <AttentionBars stats={stats} />}
      <MopUpHint gridId={grid.id} asOf={asOf} />
      {today && can?.readHouseholds && (
        <>
          <PatrolCard key={`patrol-${grid.id}`} gridId={grid.id} month={today.slice(0, 7)} canPatrol={can.logVisits} />
          <GridIssueIndicators gridId={grid.id} month={today.slice(0, 7)} today={today} />
        </>
      )}
      {can?.readHouseholds && (
        <HouseholdList
          key={grid.id}
          gridId={grid.id}
          can={can}
          asOf={asOf}
          building={building}
          onClearBuilding={onClearBuilding}
          actions={actions}
        />
      )}
    </section>
  );
}

/** The attention score's breakdown as stacked points, so "why is this grid red" has an answer. */
export function AttentionBars({ stats }: { stats: GridStats }) {
  const { t } = useLocale();
  const parts = [
    ['coverageGap', PALETTE.brown900],
    ['atRiskOverdue', PALETTE.orange700],
    ['overdueIssues', PALETTE.orange300],
    ['patrolGap', PALETTE.tintBlue],
  ] as const;
  return (
    // biome-ignore lint/a11y/useSemanticElements: a labelled group of bars, not a form section.
    <div className="attention-bars" role="group" aria-label={t('fieldAttention')}>
      {parts.map(([key, color]) => (
        <div key={key} className="attention-row">
          <span>{t(`breakdown_${key}`)}</span>
          <span className="bar">
            <span style={{ width: `${Math.min(100, stats.attentionBreakdown[key] * 2.5)}%`, background: color }} />
          </span>
          <span className="pts">{stats.attentionBreakdown[key].toFixed(1)}</span>
        </div>
      ))}
    </div>
  );
}

/** What it takes to improve this grid: the mop-up list's size and the visits to the next band. */
function MopUpHint({ gridId, asOf }: { gridId: number; asOf: string | null }) {
  const { t } = useLocale();
  const overdue = useOverdue(gridId, asOf);
  if (!overdue.data) return null;
  const { overdue: list, nextBand } = overdue.data;
  return (
    <div className="mop-up" data-testid="mop-up">
      <div>{t('overdueList', { n: list.length, risk: list.filter((h) => h.atRisk).length })}</div>
      {nextBand && <div>{t('nextBand', { n: nextBand.visits, band: t(`band_${nextBand.band}`) })}</div>}
    </div>
  );
}
