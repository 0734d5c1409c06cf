/**
 * Edit mode for one grid's boundary (issue #5): Terra Draw on the map (use-draw-session.ts), the
 * server's validator run in the browser on every change (one code path, geo/; use-boundary-checks.ts),
 * each problem drawn where it is and listed here, preview of the impact, and save / split / merge
 * with a reason (use-boundary-commands.ts).
 *
 * The history of the session is ours (geo/geometry/edit-history.ts): whole geometries, so undo is
 * exact and Terra Draw only ever gets told "this is the shape now".
 */

import { booleanIntersects } from '@turf/turf';
import type { MultiPolygon } from 'geojson';
import type { Map as MapLibreMap } from 'maplibre-gl';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { DisplayCrs } from '../../../geo/geometry/display-crs';
import { canRedo, canUndo, pushEdit, redo, undo } from '../../../geo/geometry/edit-history';
import { BOUNDARY_PROBLEM_MESSAGE } from '../../../geo/geometry/grid-boundary.validation';
import { GRID_CHANGE_MESSAGE } from '../../../geo/geometry/grid-change.reasons';
import type { StringKey } from '../../../geo/i18n/strings';
import type { CommunityCollection, GridCollection } from '../api';
import { useLocale } from '../i18n/locale';
import type { BoundaryPreview } from './boundary-api';
import { compareFeatures, EDITOR_LAYER, EDITOR_SOURCE } from './boundary-editor.layers';
import { BoundaryHistory } from './boundary-history';
import { type ShownProblem, useBoundaryChecks } from './use-boundary-checks';
import { useBoundaryCommands } from './use-boundary-commands';
import { type GridFeature, useBoundaryContext } from './use-boundary-context';
import { sameGeometry, useDrawSession } from './use-draw-session';
import { useEditorKeys } from './use-editor-keys';
import { setSource, useEditorLayers } from './use-editor-layers';
import { useNeighbourFit } from './use-neighbour-fit';
import { useSplitMode } from './use-split-mode';
import { useVertexPick } from './use-vertex-pick';

export type { ShownProblem };

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
  const [reason, setReason] = useState('');
  const [tab, setTab] = useState<'edit' | 'history'>('edit');
  const [mergeWith, setMergeWith] = useState<number | null>(null);
  const neighbourName = (id: number) => grids.features.find((f) => f.properties.id === id)?.properties.name ?? `#${id}`;

  useEditorLayers(map);
  const draw = useDrawSession(map, crs, original, gridId, startVersion, context.snapIndex);
  const { history, live, apply } = draw;
  const changed = !sameGeometry(live, original);
  const { fit, setFit, fitted, neighbourRedraws } = useNeighbourFit(map, crs, grids, context.input, { live, original, changed });
  const checks = useBoundaryChecks(map, crs, context, live, fitted);
  const { problems, fromServer, shownPreview } = checks;
  const commands = useBoundaryCommands({ grid, grids, live, reason, neighbourRedraws, checks, onDone });
  const { outcome, finished, busy } = commands;
  const { active, deleteActive } = useVertexPick(map, crs, draw, commands.refuse);
  const splitMode = useSplitMode(grid, grids, draw.session);
  const { split, cancel: cancelSplit } = splitMode;
  const cancel = useCallback(() => {
    if (!cancelSplit()) onClose();
  }, [cancelSplit, onClose]);
  useEditorKeys({ history, apply, cancel, deleteActive });

  // A neighbour is named, not numbered: the messages' {gridId} gets the grid's name.
  const message = (p: ShownProblem) => {
    const details = { ...(p.details as Record<string, string | number>) };
    if (typeof details.gridId === 'number')
      details.gridId = grids.features.find((f) => f.properties.id === details.gridId)?.properties.name ?? details.gridId;
    return t(BOUNDARY_PROBLEM_MESSAGE[p.code] as StringKey, details);
  };

  const startSplit = () => {
    commands.clearOutcome();
    splitMode.start();
  };
  const touching = useMemo(() => context.neighbours.filter((n) => booleanIntersects(n, grid)), [context.neighbours, grid]);
  const reasonOk = reason.trim().length > 0;

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
              {!checks.checked && !fromServer
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
            <button type="button" onClick={commands.runPreview} disabled={busy || !changed} data-action="preview">
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
              onClick={commands.runSave}
              disabled={busy || !changed || !reasonOk || finished}
              data-action="save"
            >
              {commands.saving ? t('editor_saving') : t('editor_save')}
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
                      value={splitMode.name}
                      onChange={(e) => splitMode.setName(e.target.value)}
                      maxLength={60}
                      aria-invalid={!splitMode.nameCheck.valid}
                      data-field="split-name"
                    />
                  </label>
                  {!splitMode.nameCheck.valid && (
                    <p className="small out" role="alert" data-testid="split-name-problem">
                      {t(GRID_CHANGE_MESSAGE[splitMode.nameCheck.reason], { name: splitMode.nameCheck.name })}
                    </p>
                  )}
                  <button
                    type="button"
                    className="primary"
                    disabled={busy || !reasonOk || !splitMode.nameCheck.valid}
                    onClick={() => commands.runSplit(split.line, splitMode.nameCheck.name)}
                  >
                    {t('editor_splitConfirm')}
                  </button>
                  <button type="button" onClick={splitMode.stop}>
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
                onClick={() => mergeWith !== null && commands.runMerge(mergeWith)}
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
