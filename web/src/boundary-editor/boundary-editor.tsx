/**
 * Edit mode for one grid's boundary (issue #5): Terra Draw on the map (draw-session.ts), the
 * server's validator run in the browser on every change (one code path, geo/), each problem drawn
 * where it is and listed here, preview of the impact, and save / split / merge with a reason.
 *
 * The history of the session is ours (geo/geometry/edit-history.ts): whole geometries, so undo is
 * exact and Terra Draw only ever gets told "this is the shape now".
 */

import { booleanIntersects } from '@turf/turf';
import type { GeoJSON, LineString, MultiPolygon } from 'geojson';
import type { GeoJSONSource, Map as MapLibreMap, MapMouseEvent, MapTouchEvent } from 'maplibre-gl';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { nearestVertex, removeVertex, type VertexRef } from '../../../geo/geometry/boundary-edit';
import { metresPerPixel } from '../../../geo/geometry/boundary-snap';
import { type DisplayCrs, fromDisplayPoint, toDisplay } from '../../../geo/geometry/display-crs';
import { canRedo, canUndo, type EditHistory, pushEdit, redo, startHistory, undo } from '../../../geo/geometry/edit-history';
import {
  BOUNDARY_PROBLEM_MESSAGE,
  type BoundaryProblem,
  type BoundaryProblemCode,
  validateGridBoundary,
} from '../../../geo/geometry/grid-boundary.validation';
import { GRID_CHANGE_MESSAGE, type GridChangeReason, validateSplitName } from '../../../geo/geometry/grid-change.reasons';
import { fitNeighbours } from '../../../geo/geometry/neighbour-fit';
import type { StringKey } from '../../../geo/i18n/strings';
import { ApiRequestError, type CommunityCollection, type GridCollection } from '../api';
import { useLocale } from '../i18n/locale';
import { LIGHT_THEME } from '../map/map.theme';
import { type BoundaryPreview, type SaveOutcome, useMergeGrids, usePreviewBoundary, useSaveBoundary, useSplitGrid } from './boundary-api';
import {
  compareFeatures,
  EDITOR_LAYER,
  EDITOR_SOURCE,
  editorLayers,
  editorSources,
  HATCH_IMAGE,
  hatchImage,
  impactFeatures,
  problemFeatures,
  vertexFeatures,
} from './boundary-editor.layers';
import { BoundaryHistory } from './boundary-history';
import { type DrawSession, SNAP_PIXELS, startDrawSession } from './draw-session';
import { type GridFeature, useBoundaryContext } from './use-boundary-context';

export interface ShownProblem {
  code: BoundaryProblemCode;
  geometry: BoundaryProblem['geometry'];
  details: Record<string, unknown>;
}

type Outcome =
  | { kind: 'saved'; version: number | null }
  | { kind: 'proposal'; proposal: Record<string, unknown> }
  | { kind: 'stale'; message: string }
  | { kind: 'error'; message: string }
  | { kind: 'done'; message: string };

interface Props {
  map: MapLibreMap;
  /** The basemap's coordinate system: over a GCJ-02 basemap the editor draws shifted and saves WGS84. */
  crs?: DisplayCrs;
  grid: GridFeature;
  grids: GridCollection;
  communities: CommunityCollection;
  today: string | null;
  onClose(): void;
  /** After a 409: re-read the grids and start over from the current version. */
  onReload(): void;
  /** A change was committed (saved, split, merged): close with this message for the side panel. */
  onDone(message: string): void;
  /** After a 202: the proposals screen, where the proposal now waits. */
  onOpenProposals?(): void;
}

const sameGeometry = (a: MultiPolygon, b: MultiPolygon) => JSON.stringify(a.coordinates) === JSON.stringify(b.coordinates);

/** Adds the editor's sources and layers below anything Terra Draw adds later; removes them on cleanup. */
function useEditorLayers(map: MapLibreMap) {
  useEffect(() => {
    if (!map.hasImage(HATCH_IMAGE)) map.addImage(HATCH_IMAGE, hatchImage(LIGHT_THEME.boundary.overlap));
    for (const [id, source] of Object.entries(editorSources())) if (!map.getSource(id)) map.addSource(id, source);
    const layers = editorLayers(LIGHT_THEME);
    for (const layer of layers) if (!map.getLayer(layer.id)) map.addLayer(layer);
    return () => {
      if (!map.getStyle()) return;
      for (const layer of layers) if (map.getLayer(layer.id)) map.removeLayer(layer.id);
      for (const id of Object.values(EDITOR_SOURCE)) if (map.getSource(id)) map.removeSource(id);
      if (map.hasImage(HATCH_IMAGE)) map.removeImage(HATCH_IMAGE);
    };
  }, [map]);
}

/** Puts WGS84 GeoJSON on the map, shifted to the basemap's system (geo/geometry/display-crs.ts). */
function setSource(map: MapLibreMap, id: string, data: GeoJSON, crs: DisplayCrs) {
  (map.getSource(id) as GeoJSONSource | undefined)?.setData(toDisplay(data, crs));
}

export function BoundaryEditor({
  map,
  crs = 'wgs84',
  grid: current,
  grids,
  communities,
  today,
  onClose,
  onReload,
  onDone,
  onOpenProposals,
}: Props) {
  const { t } = useLocale();
  // The grid as it was when editing began: its version is what the save is based on, even if a
  // live update brings a newer one meanwhile (the server then answers 409 and the user reloads).
  const [grid] = useState(() => current);
  const gridId = grid.properties.id;
  const startVersion = grid.properties.version;
  const original = grid.geometry as MultiPolygon;
  const context = useBoundaryContext(grid, grids, communities, today);
  const [history, setHistory] = useState<EditHistory<MultiPolygon>>(() => startHistory(original));
  /** The shape on the map right now, mid-drag included (refreshed once per animation frame). */
  const [live, setLive] = useState<MultiPolygon>(original);
  const [active, setActive] = useState<VertexRef | null>(null);
  const [reason, setReason] = useState('');
  const [tab, setTab] = useState<'edit' | 'history'>('edit');
  const [preview, setPreview] = useState<{ geometry: MultiPolygon; result: BoundaryPreview } | null>(null);
  /** Problems the server found (preview or a 422), for the geometry it was sent. */
  const [serverProblems, setServerProblems] = useState<{ geometry: MultiPolygon; problems: ShownProblem[] } | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [split, setSplit] = useState<{ state: 'drawing' } | { state: 'ready'; line: LineString } | null>(null);
  const [mergeWith, setMergeWith] = useState<number | null>(null);
  /** The name of the grid a split creates; suggested from this grid's name. */
  const [splitName, setSplitName] = useState(() => t('split_defaultName', { name: current.properties.name }));
  /** Whether neighbours follow a moved shared edge (sent with the save), or stay and show the overlap / gap. */
  const [fit, setFit] = useState(false);
  const session = useRef<DrawSession | null>(null);
  const snapIndex = useRef(context.snapIndex);
  snapIndex.current = context.snapIndex;
  const neighbourName = (id: number) => grids.features.find((f) => f.properties.id === id)?.properties.name ?? `#${id}`;
  const previewCall = usePreviewBoundary(gridId);
  const save = useSaveBoundary(gridId);
  const splitCall = useSplitGrid(gridId);
  const mergeCall = useMergeGrids();
  const busy = previewCall.isPending || save.isPending || splitCall.isPending || mergeCall.isPending;

  useEditorLayers(map);

  // Terra Draw, started once per grid and version; every later shape arrives through setGeometry.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new session per grid and version only; the rest is read through refs.
  useEffect(() => {
    let frame = 0;
    const s = startDrawSession(map, original, () => snapIndex.current, LIGHT_THEME, crs, {
      onChange: () => {
        if (frame) return;
        frame = requestAnimationFrame(() => {
          frame = 0;
          setLive(s.current());
        });
      },
      onEdit: (g) => {
        setLive(g);
        setHistory((h) => pushEdit(h, g, sameGeometry));
      },
    });
    session.current = s;
    map.getContainer().setAttribute('data-boundary-editing', String(gridId));
    return () => {
      cancelAnimationFrame(frame);
      s.stop();
      session.current = null;
      map.getContainer().removeAttribute('data-boundary-editing');
    };
  }, [map, gridId, startVersion]);

  const apply = useCallback((next: EditHistory<MultiPolygon>) => {
    setHistory(next);
    setLive(next.present);
    session.current?.setGeometry(next.present);
  }, []);

  const changed = !sameGeometry(live, original);
  const fitted = useMemo(
    () =>
      fit && changed && context.input
        ? fitNeighbours({
            proposed: live,
            oldBoundary: original,
            community: context.input.community.boundary ?? original,
            neighbours: context.input.neighbours,
          })
        : [],
    [fit, changed, context.input, live, original],
  );
  const neighbourRedraws = useMemo(
    () =>
      fitted.map((f) => ({
        gridId: f.id,
        version: grids.features.find((g) => g.properties.id === f.id)?.properties.version ?? 0,
        geometry: f.boundary,
      })),
    [fitted, grids],
  );
  // Validation on every shape, with the same code the server runs, against the neighbours as they would be.
  const local = useMemo(() => {
    if (!context.input) return null;
    const redrawn = new Map(fitted.map((f) => [f.id, f.boundary]));
    const neighbours = context.input.neighbours.map((n) => ({ id: n.id, boundary: redrawn.get(n.id) ?? n.boundary }));
    return validateGridBoundary({ ...context.input, neighbours, geometry: live });
  }, [context.input, live, fitted]);
  useEffect(() => {
    setSource(
      map,
      EDITOR_SOURCE.neighbours,
      { type: 'FeatureCollection', features: fitted.map((f) => ({ type: 'Feature', geometry: f.boundary, properties: { id: f.id } })) },
      crs,
    );
  }, [map, fitted, crs]);
  const problems: ShownProblem[] =
    serverProblems && sameGeometry(serverProblems.geometry, live) ? serverProblems.problems : (local?.problems ?? []);
  const fromServer = !!serverProblems && sameGeometry(serverProblems.geometry, live);
  const shownPreview = preview && sameGeometry(preview.geometry, live) ? preview.result : null;

  useEffect(() => {
    setSource(map, EDITOR_SOURCE.problems, problemFeatures(problems), crs);
    map.getContainer().setAttribute('data-boundary-problems', problems.map((p) => p.code).join(','));
  }, [map, problems, crs]);

  useEffect(() => {
    const impact = shownPreview?.impact;
    setSource(map, EDITOR_SOURCE.impact, impactFeatures(context.footprints, impact?.buildingsIn ?? [], impact?.buildingsOut ?? []), crs);
  }, [map, shownPreview, context.footprints, crs]);

  // The vertex Delete removes: the one nearest to the last tap or click on the map.
  const activePosition = active ? (live.coordinates[active.polygon]?.[active.ring]?.[active.index] ?? null) : null;
  useEffect(() => setSource(map, EDITOR_SOURCE.vertex, vertexFeatures(activePosition), crs), [map, activePosition, crs]);
  const liveRef = useRef(live);
  liveRef.current = live;
  useEffect(() => {
    const pick = (e: MapMouseEvent | MapTouchEvent) => {
      const tolerance = SNAP_PIXELS * metresPerPixel(e.lngLat.lat, map.getZoom());
      const v = nearestVertex(liveRef.current, fromDisplayPoint([e.lngLat.lng, e.lngLat.lat], crs), tolerance);
      setActive(v ? { polygon: v.polygon, ring: v.ring, index: v.index } : null);
    };
    map.on('mousedown', pick);
    map.on('touchstart', pick);
    return () => {
      map.off('mousedown', pick);
      map.off('touchstart', pick);
    };
  }, [map, crs]);

  const deleteActive = useCallback(() => {
    if (!active) return;
    const r = removeVertex(liveRef.current, active);
    if (!r.ok) {
      setOutcome({ kind: 'error', message: t(r.reason === 'TOO_FEW_CORNERS' ? 'editor_tooFewCorners' : 'editor_noVertex') });
      return;
    }
    setActive(null);
    apply(pushEdit(history, r.geometry, sameGeometry));
  }, [active, apply, history, t]);

  const cancel = useCallback(() => {
    if (split?.state === 'drawing') {
      session.current?.cancelLine();
      return;
    }
    if (split) return setSplit(null);
    onClose();
  }, [split, onClose]);

  // Keys: undo / redo, Escape cancels, Delete removes the chosen vertex. Typing a reason is left alone.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'z' && !typing) {
        e.preventDefault();
        apply(e.shiftKey ? redo(history) : undo(history));
      } else if (mod && e.key.toLowerCase() === 'y' && !typing) {
        e.preventDefault();
        apply(redo(history));
      } else if (e.key === 'Escape') {
        e.preventDefault();
        // In the reason field, Escape leaves the field; a second one leaves the editor.
        if (typing) (e.target as HTMLElement).blur();
        else cancel();
      } else if ((e.key === 'Delete' || e.key === 'Backspace') && !typing) {
        e.preventDefault();
        deleteActive();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [apply, history, cancel, deleteActive]);

  // A neighbour is named, not numbered: the messages' {gridId} gets the grid's name.
  const message = (p: ShownProblem) => {
    const details = { ...(p.details as Record<string, string | number>) };
    if (typeof details.gridId === 'number')
      details.gridId = grids.features.find((f) => f.properties.id === details.gridId)?.properties.name ?? details.gridId;
    return t(BOUNDARY_PROBLEM_MESSAGE[p.code] as StringKey, details);
  };

  const onError = (e: unknown, geometry: MultiPolygon | null) => {
    if (e instanceof ApiRequestError && e.status === 409) {
      setOutcome({ kind: 'stale', message: e.message });
    } else if (e instanceof ApiRequestError && e.status === 422 && geometry) {
      const list = ((e.details as { problems?: ShownProblem[] } | null)?.problems ?? []).filter((p) => p.code in BOUNDARY_PROBLEM_MESSAGE);
      setServerProblems({ geometry, problems: list });
      setOutcome({ kind: 'error', message: t('editor_serverRefused') });
    } else {
      // Split, merge and revert refusals carry a named reason (geo/geometry/grid-change.reasons.ts).
      const details = e instanceof ApiRequestError ? (e.details as Record<string, string | number> | null) : null;
      const reason = details?.reason as GridChangeReason | undefined;
      const named = reason && reason in GRID_CHANGE_MESSAGE ? t(GRID_CHANGE_MESSAGE[reason], details!) : null;
      setOutcome({ kind: 'error', message: named ?? (e instanceof Error ? e.message : String(e)) });
    }
  };

  const runPreview = () => {
    const geometry = live;
    setOutcome(null);
    previewCall.mutate(
      { geometry, neighbours: neighbourRedraws },
      {
        onSuccess: (result) => {
          setPreview({ geometry, result });
          setServerProblems({ geometry, problems: result.problems as ShownProblem[] });
        },
        onError: (e) => onError(e, geometry),
      },
    );
  };

  const runSave = () => {
    const geometry = live;
    setOutcome(null);
    save.mutate(
      { geometry, version: startVersion, reason: reason.trim(), neighbours: neighbourRedraws },
      {
        onSuccess: (r: SaveOutcome) => (r.kind === 'saved' ? onDone(t('editor_saved', { version: r.version ?? '?' })) : setOutcome(r)),
        onError: (e) => onError(e, geometry),
      },
    );
  };

  const startSplit = () => {
    setOutcome(null);
    setSplit({ state: 'drawing' });
    void session.current?.drawLine().then((line) => setSplit(line ? { state: 'ready', line } : null));
  };
  // The same check as the server's: not empty, and no other grid of the community has the name.
  const splitNameCheck = useMemo(
    () =>
      validateSplitName(
        splitName,
        grids.features.filter((f) => f.properties.communityId === grid.properties.communityId).map((f) => f.properties.name),
      ),
    [splitName, grids, grid.properties.communityId],
  );
  const runSplit = (line: LineString) =>
    splitCall.mutate(
      { line, version: startVersion, reason: reason.trim(), names: [grid.properties.name, splitNameCheck.name] },
      { onSuccess: () => onDone(t('editor_splitDone')), onError: (e) => onError(e, live) },
    );

  const touching = useMemo(() => context.neighbours.filter((n) => booleanIntersects(n, grid)), [context.neighbours, grid]);
  const runMerge = (other: number) => {
    const absorbed = grids.features.find((f) => f.properties.id === other);
    mergeCall.mutate(
      { gridIds: [gridId, other], versions: { [gridId]: startVersion, [other]: absorbed?.properties.version ?? 0 }, reason: reason.trim() },
      { onSuccess: () => onDone(t('editor_mergeDone')), onError: (e) => onError(e, null) },
    );
  };

  const reasonOk = reason.trim().length > 0;
  const finished = outcome?.kind === 'saved' || outcome?.kind === 'proposal' || outcome?.kind === 'done';

  return (
    <section className="boundary-editor" aria-labelledby="boundary-editor-title" data-testid="boundary-editor">
      <header>
        <h2 id="boundary-editor-title">{t('editor_title', { name: grid.properties.name })}</h2>
        <button type="button" className="close" onClick={onClose} aria-label={t('panelClose')}>
          ×
        </button>
      </header>
      <p className="muted small">{t('editor_basedOn', { version: startVersion })}</p>
      <div className="side-tabs" role="tablist">
        {(['edit', 'history'] as const).map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} onClick={() => setTab(k)}>
            {t(k === 'edit' ? 'editor_tabEdit' : 'editor_tabHistory')}
          </button>
        ))}
      </div>
      {tab === 'history' ? (
        <BoundaryHistory map={map} crs={crs} gridId={gridId} version={startVersion} reason={reason} onReason={setReason} />
      ) : (
        <>
          <p className="editor-help">{t(split?.state === 'drawing' ? 'editor_splitHelp' : 'editor_help')}</p>
          <div className="editor-tools" role="toolbar" aria-label={t('editor_tools')}>
            <button type="button" onClick={() => apply(undo(history))} disabled={!canUndo(history)} aria-keyshortcuts="Control+Z">
              ↶ {t('editor_undo')}
            </button>
            <button type="button" onClick={() => apply(redo(history))} disabled={!canRedo(history)} aria-keyshortcuts="Control+Shift+Z">
              ↷ {t('editor_redo')}
            </button>
            <button type="button" onClick={deleteActive} disabled={!active} aria-keyshortcuts="Delete">
              {t('editor_deleteVertex')}
            </button>
            <button type="button" onClick={() => apply(pushEdit(history, original, sameGeometry))} disabled={!changed}>
              {t('editor_reset')}
            </button>
          </div>

          <label className="editor-fit">
            <input type="checkbox" checked={fit} onChange={(e) => setFit(e.target.checked)} data-action="fit-neighbours" />
            <span>{t('editor_fitNeighbours')}</span>
          </label>
          {fitted.length > 0 && (
            <ul className="editor-fitted small" data-testid="boundary-fitted">
              {fitted.map((f) => (
                <li key={f.id}>
                  {t(f.deltaM2 > 0 ? 'editor_neighbourGains' : 'editor_neighbourLoses', {
                    name: neighbourName(f.id),
                    areaM2: Math.abs(Math.round(f.deltaM2)),
                  })}
                </li>
              ))}
            </ul>
          )}

          <div className="editor-problems" data-testid="boundary-problems" aria-live="polite">
            <h3>
              {!local && !fromServer
                ? t('editor_loadingContext')
                : problems.length === 0
                  ? t('editor_valid')
                  : t('editor_problemCount', { n: problems.length })}
              {fromServer && <span className="muted small"> · {t('editor_checkedByServer')}</span>}
            </h3>
            <ul>
              {problems.map((p, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the list is replaced whole on each check; two problems may share a code.
                <li key={i} data-code={p.code} className={`problem problem-${p.code}`}>
                  {message(p)}
                </li>
              ))}
            </ul>
          </div>

          <div className="editor-actions">
            <button type="button" onClick={runPreview} disabled={busy || !changed} data-action="preview">
              {t('editor_preview')}
            </button>
          </div>
          {shownPreview?.impact && <ImpactView impact={shownPreview.impact} neighbourName={neighbourName} />}

          <label className="editor-reason">
            <span>{t('editor_reason')}</span>
            <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={2} placeholder={t('editor_reasonHint')} required />
          </label>
          <div className="editor-actions">
            <button
              type="button"
              className="primary"
              onClick={runSave}
              disabled={busy || !changed || !reasonOk || finished}
              data-action="save"
            >
              {save.isPending ? t('editor_saving') : t('editor_save')}
            </button>
          </div>

          <details className="editor-more">
            <summary>{t('editor_splitMerge')}</summary>
            <div className="editor-actions">
              {split?.state === 'ready' ? (
                <>
                  <label className="editor-reason split-name">
                    <span>{t('split_newName')}</span>
                    <input
                      value={splitName}
                      onChange={(e) => setSplitName(e.target.value)}
                      maxLength={60}
                      aria-invalid={!splitNameCheck.valid}
                      data-field="split-name"
                    />
                  </label>
                  {!splitNameCheck.valid && (
                    <p className="small out" role="alert" data-testid="split-name-problem">
                      {t(GRID_CHANGE_MESSAGE[splitNameCheck.reason], { name: splitNameCheck.name })}
                    </p>
                  )}
                  <button
                    type="button"
                    className="primary"
                    disabled={busy || !reasonOk || !splitNameCheck.valid}
                    onClick={() => runSplit(split.line)}
                  >
                    {t('editor_splitConfirm')}
                  </button>
                  <button type="button" onClick={() => setSplit(null)}>
                    {t('editor_cancel')}
                  </button>
                </>
              ) : (
                <button type="button" onClick={startSplit} disabled={busy || split !== null || changed}>
                  {t('editor_split')}
                </button>
              )}
            </div>
            <div className="editor-actions">
              <select
                value={mergeWith ?? ''}
                onChange={(e) => setMergeWith(e.target.value ? Number(e.target.value) : null)}
                aria-label={t('editor_mergeWith')}
              >
                <option value="">{t('editor_mergeWith')}</option>
                {touching.map((n) => (
                  <option key={n.properties.id} value={n.properties.id}>
                    {n.properties.name}
                  </option>
                ))}
              </select>
              <button
                type="button"
                disabled={busy || mergeWith === null || !reasonOk || changed}
                onClick={() => mergeWith !== null && runMerge(mergeWith)}
              >
                {t('editor_merge')}
              </button>
            </div>
          </details>
        </>
      )}

      {outcome && (
        <div
          className={`editor-outcome ${outcome.kind}`}
          role={outcome.kind === 'error' || outcome.kind === 'stale' ? 'alert' : 'status'}
          data-outcome={outcome.kind}
        >
          {outcome.kind === 'saved' && <p>{t('editor_saved', { version: outcome.version ?? '?' })}</p>}
          {outcome.kind === 'proposal' && (
            <>
              <p>{t('editor_proposal', { community: grid.properties.communityName })}</p>
              {onOpenProposals && (
                <button type="button" onClick={onOpenProposals} data-action="open-proposals">
                  {t('proposals_open')}
                </button>
              )}
            </>
          )}
          {outcome.kind === 'stale' && (
            <>
              <p>{t('editor_stale')}</p>
              <p className="small">{outcome.message}</p>
              <button type="button" onClick={onReload}>
                {t('editor_reload')}
              </button>
            </>
          )}
          {(outcome.kind === 'error' || outcome.kind === 'done') && <p>{outcome.message}</p>}
          {finished && (
            <button type="button" onClick={onClose}>
              {t('editor_close')}
            </button>
          )}
        </div>
      )}
      <CompareLegendReset map={map} active={tab === 'history'} />
    </section>
  );
}

/** The compare layer belongs to the history tab; leaving it clears the map. */
function CompareLegendReset({ map, active }: { map: MapLibreMap; active: boolean }) {
  // Empty collections: nothing to shift.
  useEffect(() => {
    if (!active) setSource(map, EDITOR_SOURCE.compare, compareFeatures(null, null), 'wgs84');
  }, [map, active]);
  return null;
}

function ImpactView({ impact, neighbourName }: { impact: NonNullable<BoundaryPreview['impact']>; neighbourName(id: number): string }) {
  const { t } = useLocale();
  return (
    <div className="editor-impact" data-testid="boundary-impact">
      <h3>{t('editor_impact')}</h3>
      <dl>
        <div>
          <dt>{t('editor_buildingsIn')}</dt>
          <dd className="in">{impact.buildingsIn.length}</dd>
        </div>
        <div>
          <dt>{t('editor_buildingsOut')}</dt>
          <dd className="out">{impact.buildingsOut.length}</dd>
        </div>
        <div>
          <dt>{t('editor_households')}</dt>
          <dd>{impact.households}</dd>
        </div>
        <div>
          <dt>{t('editor_workload')}</dt>
          <dd>
            {impact.workloadBefore} → {impact.workloadAfter}
          </dd>
        </div>
        <div>
          <dt>{t('editor_openIssues')}</dt>
          <dd>{impact.openIssues}</dd>
        </div>
      </dl>
      {impact.neighbours.length > 0 && (
        <table className="editor-neighbours">
          <thead>
            <tr>
              <th>{t('editor_neighbour')}</th>
              <th>{t('editor_householdsBeforeAfter')}</th>
            </tr>
          </thead>
          <tbody>
            {impact.neighbours.map((n) => (
              <tr key={n.gridId}>
                <td>{neighbourName(n.gridId)}</td>
                <td>
                  {n.householdsBefore} → {n.householdsAfter}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export { EDITOR_LAYER };
