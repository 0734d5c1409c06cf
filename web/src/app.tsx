import { useCallback, useMemo, useState } from 'react';
import { BAND_COLORS, type BandOrNone } from '../../geo/metrics/legend';
import { useCommunities, useConfig, useGrids, useGridStats, useLegend, useMe } from './api';
import { AccountBar } from './auth/account-bar';
import { usePresentation } from './auth/presentation';
import { LanguageSelect } from './i18n/language-select';
import { useLocale } from './i18n/locale';
import { MapView } from './map/map-view';
import { GridPanel } from './panels/grid-panel';
import { LegendPanel } from './panels/legend-panel';
import { MetricBar } from './panels/metric-bar';
import { RankingPanel } from './panels/ranking-panel';
import { areaTooltipHtml } from './panels/tooltips';
import { useUrlState } from './url-state';

export function App() {
  const { t } = useLocale();
  const [state, update] = useUrlState();
  const me = useMe();
  const presentation = usePresentation();
  const config = useConfig();
  const grids = useGrids();
  const communities = useCommunities();
  const legend = useLegend(state.asOf);
  const stats = useGridStats(state.asOf);
  const [fitRequest, setFitRequest] = useState(0);
  const [flyToGrid, setFlyToGrid] = useState<{ id: number; nonce: number } | null>(null);
  const [highlight, setHighlight] = useState<BandOrNone | null>(null);

  const failed = [config, grids, communities, legend, stats].find((q) => q.isError);
  const street = config.data?.streets[0];
  const gridStats = stats.data?.grids ?? [];
  const statsById = useMemo(() => new Map(gridStats.map((s) => [s.id, s])), [gridStats]);
  const gridColors = useMemo(
    () => new Map(gridStats.map((s) => [s.id, BAND_COLORS[s.bands[state.metric]]])),
    [gridStats, state.metric],
  );
  const dimmedGrids = useMemo(
    () => (highlight === null ? null : new Set(gridStats.filter((s) => s.bands[state.metric] !== highlight).map((s) => s.id))),
    [highlight, gridStats, state.metric],
  );
  const selectedGrid = grids.data?.features.find((f) => f.properties.id === state.grid)?.properties ?? null;
  const today = config.data?.today ?? null;

  const gridTooltip = useCallback(
    (id: number) => {
      const s = statsById.get(id);
      const name = grids.data?.features.find((f) => f.properties.id === id)?.properties.name;
      return s && name ? areaTooltipHtml(t, name, s) : null;
    },
    [statsById, grids.data, t],
  );

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <h1>{t('appTitle')}</h1>
          <span className="subtitle">{t('appSubtitle')}</span>
        </div>
        {street && (
          <div className="street">
            <strong>{street.name}</strong>
            {street.isDemo && (
              <span className="demo-badge" title={t('demoNotice')}>
                {t('demoBadge')}
              </span>
            )}
          </div>
        )}
        <div className="topbar-end">
          <AccountBar me={me.data} />
          <LanguageSelect />
        </div>
      </header>
      {me.data && me.data.staff === null && (
        <div className="banner warn" role="alert">
          {t('noStaffRecord')}
        </div>
      )}
      {presentation && (
        <div className="banner presenting" role="status">
          {t('presentationActive')}
        </div>
      )}
      <MetricBar
        metric={state.metric}
        onMetric={(metric) => {
          setHighlight(null);
          update({ metric });
        }}
        asOf={state.asOf}
        today={today}
        onAsOf={(asOf) => update({ asOf })}
      />
      <main className="body">
        {failed ? (
          <div className="state error" role="alert">
            <p>
              {t('loadFailed')}: {failed.error?.message}
            </p>
            <button type="button" onClick={() => void failed.refetch()}>
              {t('retry')}
            </button>
          </div>
        ) : config.data && grids.data && communities.data ? (
          <MapView
            config={config.data}
            grids={grids.data}
            communities={communities.data}
            metric={state.metric}
            asOf={state.asOf}
            colorsAsOf={stats.isPlaceholderData ? null : (stats.data?.asOf ?? null)}
            gridColors={gridColors}
            dimmedGrids={dimmedGrids}
            selectedGridId={state.grid}
            onSelectGrid={(grid) => update({ grid })}
            gridTooltip={gridTooltip}
            initialView={state.view}
            onViewChange={(view) => update({ view })}
            fitRequest={fitRequest}
            flyToGrid={flyToGrid}
          />
        ) : (
          <div className="state">{t('loading')}</div>
        )}
        <aside className="side">
          {grids.data && (
            <div className="summary">
              <div>
                {t('gridCount', { n: grids.data.features.length })} ·{' '}
                {t('householdCount', { n: gridStats.reduce((sum, s) => sum + s.households, 0) })}
              </div>
              <button type="button" onClick={() => setFitRequest((n) => n + 1)}>
                {t('fitAll')}
              </button>
            </div>
          )}
          <GridPanel
            grid={selectedGrid}
            stats={state.grid === null ? null : (statsById.get(state.grid) ?? null)}
            asOf={state.asOf}
            can={me.data?.can}
            onClose={() => update({ grid: null })}
          />
          {legend.data && (
            <LegendPanel legend={legend.data} metric={state.metric} stats={gridStats} highlighted={highlight} onHighlight={setHighlight} />
          )}
          {grids.data && (
            <RankingPanel
              metric={state.metric}
              stats={gridStats}
              grids={grids.data}
              selected={state.grid}
              onPick={(id) => {
                update({ grid: id });
                setFlyToGrid({ id, nonce: Date.now() });
              }}
            />
          )}
        </aside>
      </main>
    </div>
  );
}
