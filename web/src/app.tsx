import type { Map as MapLibreMap } from 'maplibre-gl';
import { useCallback, useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { MANAGEABLE_ROLES } from '../../geo/domain/staff';
import { BAND_COLORS, type BandOrNone } from '../../geo/metrics/legend';
import { type Household, useCommunities, useConfig, useGridStats, useGrids, useIssuePins, useLegend, useMe } from './api';
import { AppHeader } from './app-header';
import { usePresentation } from './auth/presentation';
import type { IssueLocation } from './fieldwork/issue-form';
import { useLocale } from './i18n/locale';
import type { ImportKind } from './imports/import-api';
import { ImportWizard } from './imports/import-wizard';
import { IssueBoard } from './issues/issue-board';
import { IssueLayerPanel } from './issues/issue-layer-panel';
import { DEFAULT_PIN_FILTER, filterPins, type IssuePinFilter } from './map/issues.layers';
import { MapView } from './map/map-view';
import { GridPanel } from './panels/grid-panel';
import { LegendPanel } from './panels/legend-panel';
import { MetricBar } from './panels/metric-bar';
import { RankingPanel } from './panels/ranking-panel';
import { areaTooltipHtml } from './panels/tooltips';
import { SetupChecklist } from './setup/setup-checklist';
import type { SideOverlay } from './side-overlay';
import { SideOverlayPanel } from './side-overlay-panel';
import { useUrlState } from './url-state';

export function App() {
  const { t } = useLocale();
  const [state, update] = useUrlState();
  const me = useMe();
  const presentation = usePresentation();
  const config = useConfig();
  const grids = useGrids(state.asOf);
  const communities = useCommunities();
  const legend = useLegend(state.asOf);
  const stats = useGridStats(state.asOf);
  const [fitRequest, setFitRequest] = useState(0);
  const [flyToGrid, setFlyToGrid] = useState<{ id: number; nonce: number } | null>(null);
  const [highlight, setHighlight] = useState<BandOrNone | null>(null);
  const pins = useIssuePins(state.asOf);
  const [pinFilter, setPinFilter] = useState<IssuePinFilter>(DEFAULT_PIN_FILTER);
  const shownPins = useMemo(() => (pins.data ? filterPins(pins.data, pinFilter) : null), [pins.data, pinFilter]);
  /** What covers the side panel's content (side-overlay.ts): one at a time. */
  const [overlay, setOverlay] = useState<SideOverlay | null>(null);
  const [issueLocation, setIssueLocation] = useState<IssueLocation | null>(null);
  const [building, setBuilding] = useState<{ id: number; address: string } | null>(null);
  const [focus, setFocus] = useState<{ center: [number, number]; zoom: number; nonce: number } | null>(null);
  const [map, setMap] = useState<MapLibreMap | null>(null);
  /** What the last committed boundary change did, until the next grid is picked. */
  const [notice, setNotice] = useState<string | null>(null);
  /** The open import wizard: the kinds it offers (the header's, or the staff screen's roster) and the one to start on. */
  const [importing, setImporting] = useState<{ kinds: readonly ImportKind[]; kind: ImportKind | null } | null>(null);

  const failed = [config, grids, communities, legend, stats].find((q) => q.isError);
  // The panels (legend counts, the ranking's hundreds of rows) follow a metric switch in a
  // render of their own, after the map has been recoloured: their re-layout never delays it.
  const panelMetric = useDeferredValue(state.metric);
  const street = config.data?.streets[0];
  const gridStats = stats.data?.grids ?? [];
  const statsById = useMemo(() => new Map(gridStats.map((s) => [s.id, s])), [gridStats]);
  const gridColors = useMemo(() => new Map(gridStats.map((s) => [s.id, BAND_COLORS[s.bands[state.metric]]])), [gridStats, state.metric]);
  const staffScope = overlay?.kind === 'staff' ? overlay.scope : null;
  const dimmedGrids = useMemo(() => {
    // A person's scope being edited: every other grid dimmed, so the chosen ones stand out.
    if (staffScope) return new Set(gridStats.filter((s) => !staffScope.includes(s.id)).map((s) => s.id));
    return highlight === null ? null : new Set(gridStats.filter((s) => s.bands[state.metric] !== highlight).map((s) => s.id));
  }, [highlight, gridStats, state.metric, staffScope]);
  const firstScopeGrid = staffScope?.[0] ?? null;
  useEffect(() => {
    if (firstScopeGrid !== null) setFlyToGrid({ id: firstScopeGrid, nonce: Date.now() });
  }, [firstScopeGrid]);
  const selectedGrid = grids.data?.features.find((f) => f.properties.id === state.grid)?.properties ?? null;
  const today = config.data?.today ?? null;
  const can = me.data?.can;
  // What this account may import: the street leader the street's communities and grids (street-wide),
  // community staff their community's map and ledgers, grid leaders ledgers.
  const importKinds: ImportKind[] = [
    ...(can?.importStreetMap ? (['communities', 'grids'] as const) : []),
    ...(can?.importMap ? (['grids', 'buildings'] as const) : []),
    ...(can?.importLedgers ? (['households', 'visits', 'issues'] as const) : []),
  ];
  // The board and issue pages are for staff who handle or oversee matters; the projector account sees only pins.
  const seesIssues = !!me.data?.staff && me.data.staff.role !== 'presenter';
  // 人员管理: whoever manages anyone (the street leader, community staff), not on the projector.
  const managesStaff = !!me.data?.staff && MANAGEABLE_ROLES[me.data.staff.role].length > 0 && !presentation;
  const openIssue = useCallback((issue: number) => update({ issue }), [update]);
  const onIssueLocation = useCallback((l: IssueLocation) => {
    setIssueLocation(l);
    if (l.from === 'building') setFocus({ center: l.point, zoom: 16.5, nonce: Date.now() });
  }, []);
  // A form or an issue page covers the side panel's content, which stays mounted underneath:
  // closing it returns to the same place in the same list, with the same filters.
  const editingGrid = overlay?.kind === 'editing' ? (grids.data?.features.find((f) => f.properties.id === overlay.gridId) ?? null) : null;
  const overlayOpen =
    (overlay !== null && (overlay.kind !== 'editing' || editingGrid !== null) && (overlay.kind !== 'staff' || managesStaff)) ||
    (state.issue !== null && seesIssues);
  // The form overlay itself (not only its kind): registering an issue starts its form's page at the top again.
  const form = overlay?.kind === 'visit-form' || overlay?.kind === 'issue-form' ? overlay : null;
  const side = useRef<HTMLElement>(null);
  const listScroll = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: another overlay, a new form or issue page starts at the top too, not only the overlay's opening.
  useLayoutEffect(() => {
    if (side.current) side.current.scrollTop = overlayOpen ? 0 : listScroll.current;
  }, [overlayOpen, overlay?.kind, form, state.issue]);
  const startForm = (next: { kind: 'visit-form'; household: Household } | { kind: 'issue-form'; household: Household | null }) => {
    setIssueLocation(null);
    setOverlay(next.kind === 'visit-form' ? next : { ...next, done: false });
  };

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
      <AppHeader
        street={street}
        me={me.data}
        onImport={importKinds.length > 0 ? () => setImporting({ kinds: importKinds, kind: null }) : null}
        onOpenStaff={managesStaff ? () => setOverlay({ kind: 'staff', scope: null }) : null}
        onOpenProposals={() => setOverlay({ kind: 'proposals' })}
        onOpenDiary={can?.logVisits ? () => setOverlay({ kind: 'diary' }) : null}
      />
      {importing && importing.kinds.length > 0 && (
        <ImportWizard
          kinds={importing.kinds}
          initialKind={importing.kind}
          streetWide={!!can?.importStreetMap}
          onClose={() => setImporting(null)}
        />
      )}
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
        onAsOf={(asOf) => {
          // Boundaries are edited as they are today; a past date closes the editor.
          if (asOf !== null) setOverlay((o) => (o?.kind === 'editing' ? null : o));
          update({ asOf });
        }}
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
        ) : config.data && communities.data && grids.data ? (
          // MapView could start without the grids' GeoJSON (shapes are tiles, colours the stats), but
          // measured on the district (3 interleaved runs in SwiftShader) starting the map while the
          // first answers arrive was slower: its frames compete with them for the main thread.
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
            onSelectGrid={(grid) => {
              setBuilding(null);
              setNotice(null);
              update({ grid });
            }}
            gridTooltip={gridTooltip}
            initialView={state.view}
            onViewChange={(view) => update({ view })}
            fitRequest={fitRequest}
            flyToGrid={flyToGrid}
            focus={focus}
            issuePins={shownPins}
            showIssues={state.pins}
            selectedIssueId={state.issue}
            onOpenIssue={(issue) => (seesIssues ? openIssue(issue) : undefined)}
            onSelectBuilding={(b) => {
              setBuilding(can?.readHouseholds ? { id: b.id, address: b.address } : null);
              update({ grid: b.gridId, issue: null, tab: 'map' });
            }}
            pick={
              overlay?.kind === 'issue-form' && !overlay.done
                ? { location: issueLocation?.point ?? null, onPick: (point) => setIssueLocation({ point, from: 'map' }) }
                : null
            }
            editing={editingGrid !== null}
            onMap={setMap}
          />
        ) : (
          <div className="state">{t('loading')}</div>
        )}
        <aside
          ref={side}
          className={`side${overlayOpen ? ' expanded' : ''}${overlay?.kind === 'visit-form' ? ' sheet' : ''}`}
          onScroll={() => {
            if (!overlayOpen && side.current) listScroll.current = side.current.scrollTop;
          }}
        >
          <SideOverlayPanel
            overlay={overlay}
            setOverlay={setOverlay}
            editingGrid={editingGrid}
            map={map}
            config={config.data}
            grids={grids.data}
            communities={communities.data}
            me={me.data}
            today={today}
            managesStaff={managesStaff}
            issue={seesIssues ? state.issue : null}
            issueLocation={issueLocation}
            onIssueLocation={onIssueLocation}
            onOpenIssue={openIssue}
            onCloseIssue={() => update({ issue: null })}
            onShowOnMap={(center) => setFocus({ center, zoom: 17, nonce: Date.now() })}
            onBoundaryDone={setNotice}
            refetchGrids={grids.refetch}
            onImportStaff={() => setImporting({ kinds: ['staff'], kind: 'staff' })}
          />
          <div className="side-content" hidden={overlayOpen}>
            {seesIssues && (
              <div className="side-tabs" role="tablist">
                {(['map', 'issues'] as const).map((tab) => (
                  <button
                    key={tab}
                    type="button"
                    role="tab"
                    data-tab={tab}
                    aria-selected={state.tab === tab}
                    onClick={() => update({ tab })}
                  >
                    {t(tab === 'map' ? 'tabMap' : 'tabIssues')}
                  </button>
                ))}
              </div>
            )}
            {state.tab === 'issues' && seesIssues && grids.data ? (
              <IssueBoard
                grids={grids.data}
                visibleGridIds={me.data?.scope.visibleGridIds ?? null}
                canRegister={!!can?.logVisits}
                onOpen={openIssue}
                onRegister={() => startForm({ kind: 'issue-form', household: null })}
              />
            ) : (
              <>
                <SetupChecklist
                  enabled={me.data?.staff?.role === 'street_leader' && !presentation}
                  canOpen={(target) => ('import' in target ? importKinds.includes(target.import as ImportKind) : managesStaff)}
                  onOpen={(target) => {
                    if ('import' in target) setImporting({ kinds: importKinds, kind: target.import as ImportKind });
                    else setOverlay({ kind: 'staff', scope: null });
                  }}
                />
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
                {notice && (
                  <div className="form-success" role="status" data-testid="boundary-notice">
                    <p>{notice}</p>
                  </div>
                )}
                <GridPanel
                  grid={selectedGrid}
                  stats={state.grid === null ? null : (statsById.get(state.grid) ?? null)}
                  asOf={state.asOf}
                  can={can}
                  onClose={() => {
                    setBuilding(null);
                    update({ grid: null });
                  }}
                  building={building}
                  onClearBuilding={() => setBuilding(null)}
                  actions={{
                    onLogVisit: (household) => startForm({ kind: 'visit-form', household }),
                    onRegisterIssue: (household) => startForm({ kind: 'issue-form', household }),
                    onOpenIssue: openIssue,
                  }}
                  today={today}
                  labelScheme={
                    // Code and name: the staff of the grid's community, on today's map (20261129000100_grid_codes.sql).
                    can?.editGridLabels && selectedGrid && state.asOf === null && me.data?.staff?.communityId === selectedGrid.communityId
                      ? {
                          streetPattern: street?.gridCodePattern ?? null,
                          communityCode: street?.communities.find((c) => c.id === selectedGrid.communityId)?.code ?? '',
                        }
                      : null
                  }
                  onEditBoundary={
                    // Shown to whoever may redraw this grid (its leader, its community's staff); off for past dates.
                    can?.editBoundaries && state.grid !== null && me.data?.scope.fullGridIds.includes(state.grid)
                      ? state.asOf === null
                        ? () => {
                            update({ issue: null });
                            setOverlay({ kind: 'editing', gridId: state.grid!, key: 0 });
                          }
                        : null
                      : undefined
                  }
                />
                {legend.data && (
                  <LegendPanel
                    legend={legend.data}
                    metric={panelMetric}
                    stats={gridStats}
                    highlighted={highlight}
                    onHighlight={setHighlight}
                  />
                )}
                <IssueLayerPanel
                  shown={state.pins}
                  onShown={(on) => update({ pins: on })}
                  filter={pinFilter}
                  onFilter={setPinFilter}
                  pins={shownPins}
                />
                {grids.data && (
                  <RankingPanel
                    metric={panelMetric}
                    stats={gridStats}
                    grids={grids.data}
                    selected={state.grid}
                    onPick={(id) => {
                      update({ grid: id });
                      setFlyToGrid({ id, nonce: Date.now() });
                    }}
                  />
                )}
              </>
            )}
          </div>
        </aside>
      </main>
    </div>
  );
}
