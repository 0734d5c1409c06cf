/**
 * A grid's boundary versions (every past boundary stays): who changed it, when and why; compare any
 * version with the one before it (added area green, removed red, on the map); revert to an earlier
 * one, which the server writes as a new version with the reason given.
 */

import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { useEffect, useState } from 'react';
import { type DisplayCrs, toDisplay } from '../../../geo/geometry/display-crs';
import type { StringKey } from '../../../geo/i18n/strings';
import { ApiRequestError } from '../api';
import { useLocale } from '../i18n/locale';
import { useCompareVersions, useGridVersions, useRevertGrid } from './boundary-api';
import { compareFeatures, EDITOR_SOURCE } from './boundary-editor.layers';

export function BoundaryHistory({
  map,
  crs,
  gridId,
  version,
  reason,
  onReason,
}: {
  map: MapLibreMap;
  /** The basemap's coordinate system: the compared shapes are shifted to it on screen. */
  crs: DisplayCrs;
  gridId: number;
  /** The grid's current version, which a revert is based on. */
  version: number;
  reason: string;
  onReason(reason: string): void;
}) {
  const { t } = useLocale();
  const versions = useGridVersions(gridId);
  const [pair, setPair] = useState<{ from: number; to: number } | null>(null);
  const compare = useCompareVersions(gridId, pair);
  const revert = useRevertGrid(gridId);

  useEffect(() => {
    const data = pair && compare.data ? compareFeatures(compare.data.added, compare.data.removed) : compareFeatures(null, null);
    (map.getSource(EDITOR_SOURCE.compare) as GeoJSONSource | undefined)?.setData(toDisplay(data, crs));
    if (pair && compare.data) map.getContainer().setAttribute('data-boundary-compare', `${pair.from}-${pair.to}`);
    else map.getContainer().removeAttribute('data-boundary-compare');
  }, [map, pair, compare.data, crs]);

  if (versions.isError) {
    const e = versions.error;
    return (
      <p className="muted" role="alert">
        {e instanceof ApiRequestError && e.status === 404 ? t('history_unavailable') : `${t('loadFailed')}: ${e.message}`}
      </p>
    );
  }
  if (!versions.data) return <p className="muted">{t('loading')}</p>;
  const list = versions.data;
  return (
    <div className="boundary-history" data-testid="boundary-history">
      <ol>
        {list.map((v, i) => {
          const previous = list[i + 1];
          const comparing = pair?.to === v.version;
          return (
            <li key={v.version} data-version={v.version} className={comparing ? 'comparing' : undefined}>
              <div className="history-head">
                <strong>
                  v{v.version} {v.kind && <span className="muted small">{t(`history_kind_${v.kind}` as StringKey)}</span>}
                </strong>
                <span className="muted small">
                  {v.validFrom ? v.validFrom.slice(0, 10) : t('history_sinceStart')}
                  {v.validTo ? ` – ${v.validTo.slice(0, 10)}` : ` – ${t('history_current')}`}
                </span>
              </div>
              <div className="small">
                {v.staffName ?? t('history_unknownAuthor')}
                {v.reason ? `：${v.reason}` : ''}
              </div>
              <div className="history-actions">
                {previous && (
                  <button
                    type="button"
                    onClick={() => setPair(comparing ? null : { from: previous.version, to: v.version })}
                    aria-pressed={comparing}
                  >
                    {comparing ? t('history_hideCompare') : t('history_compare', { from: previous.version })}
                  </button>
                )}
                {v.version !== version && (
                  <button
                    type="button"
                    disabled={revert.isPending || !reason.trim()}
                    title={reason.trim() ? undefined : t('editor_reasonHint')}
                    onClick={() => revert.mutate({ toVersion: v.version, version, reason: reason.trim() })}
                  >
                    {t('history_revert')}
                  </button>
                )}
              </div>
              {comparing && compare.data && (
                <div className="small history-areas">
                  <span className="in">+{Math.round(compare.data.areaAddedM2)} m²</span>{' '}
                  <span className="out">−{Math.round(compare.data.areaRemovedM2)} m²</span>
                </div>
              )}
            </li>
          );
        })}
      </ol>
      <label className="editor-reason">
        <span>{t('editor_reason')}</span>
        <textarea value={reason} onChange={(e) => onReason(e.target.value)} rows={2} placeholder={t('editor_reasonHint')} />
      </label>
      {revert.isSuccess && <p role="status">{t('history_reverted')}</p>}
      {revert.isError && (
        <p role="alert">
          {revert.error instanceof ApiRequestError && revert.error.status === 409 ? t('editor_stale') : revert.error.message}
        </p>
      )}
    </div>
  );
}
