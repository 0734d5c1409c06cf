import { useState } from 'react';
import { useCommunities, useConfig, useGrids } from './api';
import { useLocale } from './i18n/locale';
import { LOCALE_NAMES, LOCALES, type Locale } from '../../geo/i18n/strings';
import { MapView } from './map/map-view';
import { LIGHT_THEME } from './map/map.theme';
import { GridPanel } from './panels/grid-panel';

export function App() {
  const { t, locale, setLocale } = useLocale();
  const config = useConfig();
  const grids = useGrids();
  const communities = useCommunities();
  const [selected, setSelected] = useState<number | null>(null);
  const [fitRequest, setFitRequest] = useState(0);

  const failed = [config, grids, communities].find((q) => q.isError);
  const street = config.data?.streets[0];
  const selectedGrid = grids.data?.features.find((f) => f.properties.id === selected)?.properties ?? null;
  const households = grids.data?.features.reduce((sum, f) => sum + f.properties.households, 0) ?? 0;

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
        <label className="lang">
          <span>{t('language')}</span>
          <select value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
            {LOCALES.map((l) => (
              <option key={l} value={l}>
                {LOCALE_NAMES[l]}
              </option>
            ))}
          </select>
        </label>
      </header>
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
            selectedGridId={selected}
            onSelectGrid={setSelected}
            fitRequest={fitRequest}
          />
        ) : (
          <div className="state">{t('loading')}</div>
        )}
        <aside className="side">
          {grids.data && communities.data && (
            <div className="summary">
              <div>
                {t('gridCount', { n: grids.data.features.length })} · {t('householdCount', { n: households })}
              </div>
              <button type="button" onClick={() => setFitRequest((n) => n + 1)}>
                {t('fitAll')}
              </button>
            </div>
          )}
          <GridPanel grid={selectedGrid} onClose={() => setSelected(null)} />
          {communities.data && (
            <section className="legend" aria-label={t('legendTitle')}>
              <h3>{t('legendTitle')}</h3>
              <ul>
                {communities.data.features.map((f, i) => (
                  <li key={f.properties.id}>
                    <span
                      className="swatch"
                      style={{ background: LIGHT_THEME.communityTints[i % LIGHT_THEME.communityTints.length], opacity: 0.75 }}
                    />
                    {f.properties.name}
                  </li>
                ))}
                <li>
                  <span className="swatch line community" />
                  {t('legendCommunity')}
                </li>
                <li>
                  <span className="swatch line grid" />
                  {t('legendGrid')}
                </li>
                <li>
                  <span className="swatch building" />
                  {t('legendBuilding')}
                </li>
              </ul>
            </section>
          )}
        </aside>
      </main>
    </div>
  );
}
