/**
 * The proposals screen (issue #5): boundary changes a grid leader made that take buildings from
 * another leader's grid wait here. Community staff see their community's, compare the proposed
 * shape with the boundary as it is on the map, and approve or reject with a note; the proposer
 * and the leader losing buildings see theirs and how they ended. The server decides who may do
 * what (mayDecide) and re-checks versions on approval: a proposal overtaken by a later change is
 * refused with the name of whoever changed the grid.
 */

import { bbox as turfBBox } from '@turf/turf';
import type { MultiPolygon } from 'geojson';
import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import { useEffect, useState } from 'react';
import { ApiRequestError, type GridCollection } from '../api';
import { useLocale } from '../i18n/locale';
import { LIGHT_THEME } from '../map/map.theme';
import { formatChinaTime } from '../panels/format';
import { PROPOSAL_SOURCE, type ProposalShapes, proposalFeatures, proposalLayers, proposalSources } from './proposal.layers';
import { type Proposal, useDecideProposal, useProposals } from './proposals-api';

interface Props {
  map: MapLibreMap;
  grids: GridCollection;
  onClose(): void;
}

/** Adds the proposal layers while the screen is open. */
function useProposalLayers(map: MapLibreMap) {
  useEffect(() => {
    for (const [id, source] of Object.entries(proposalSources())) if (!map.getSource(id)) map.addSource(id, source);
    const layers = proposalLayers(LIGHT_THEME);
    for (const layer of layers) if (!map.getLayer(layer.id)) map.addLayer(layer);
    return () => {
      if (!map.getStyle()) return;
      for (const layer of layers) if (map.getLayer(layer.id)) map.removeLayer(layer.id);
      if (map.getSource(PROPOSAL_SOURCE)) map.removeSource(PROPOSAL_SOURCE);
      map.getContainer().removeAttribute('data-proposal-shown');
    };
  }, [map]);
}

function shapesOf(p: Proposal, grids: GridCollection): ProposalShapes {
  const current = (id: number) => (grids.features.find((f) => f.properties.id === id)?.geometry as MultiPolygon | undefined) ?? null;
  return {
    grids: [
      { gridId: p.gridId, current: current(p.gridId), proposed: p.geometry },
      ...p.neighbours.map((n) => ({ gridId: n.gridId, current: current(n.gridId), proposed: n.geometry })),
    ],
  };
}

export function ProposalsPanel({ map, grids, onClose }: Props) {
  const { t } = useLocale();
  const [view, setView] = useState<'pending' | 'decided'>('pending');
  const list = useProposals(view);
  const [shown, setShown] = useState<number | null>(null);
  /** What the last decision did; stays after the proposal leaves the pending list. */
  const [notice, setNotice] = useState<string | null>(null);
  useProposalLayers(map);

  const shownProposal = list.data?.find((p) => p.id === shown) ?? null;
  useEffect(() => {
    const shapes = shownProposal ? shapesOf(shownProposal, grids) : null;
    (map.getSource(PROPOSAL_SOURCE) as GeoJSONSource | undefined)?.setData(proposalFeatures(shapes));
    if (shownProposal) map.getContainer().setAttribute('data-proposal-shown', String(shownProposal.id));
    else map.getContainer().removeAttribute('data-proposal-shown');
  }, [map, shownProposal, grids]);

  const show = (p: Proposal) => {
    if (shown === p.id) return setShown(null);
    setShown(p.id);
    const [w, s, e, n] = turfBBox(proposalFeatures(shapesOf(p, grids)));
    map.fitBounds([w, s, e, n], { padding: 60, maxZoom: 18, duration: 0 });
  };

  return (
    <section className="boundary-editor proposals-panel" data-testid="proposals-panel" aria-labelledby="proposals-title">
      <header>
        <h2 id="proposals-title">{t('proposals_title')}</h2>
        <button type="button" className="close" onClick={onClose} aria-label={t('panelClose')}>
          ×
        </button>
      </header>
      <div className="side-tabs" role="tablist">
        {(['pending', 'decided'] as const).map((k) => (
          <button key={k} type="button" role="tab" aria-selected={view === k} onClick={() => setView(k)}>
            {t(k === 'pending' ? 'proposals_tabPending' : 'proposals_tabDecided')}
          </button>
        ))}
      </div>
      {notice && (
        <div className="form-success" role="status" data-testid="proposal-notice">
          <p>{notice}</p>
        </div>
      )}
      {list.isError && (
        <p className="muted" role="alert">
          {t('loadFailed')}: {list.error.message}
        </p>
      )}
      {!list.data && !list.isError && <p className="muted">{t('loading')}</p>}
      {list.data?.length === 0 && <p className="muted">{t('proposals_empty')}</p>}
      <ol className="proposal-list">
        {list.data?.map((p) => (
          <ProposalCard key={p.id} proposal={p} grids={grids} shown={shown === p.id} onShow={() => show(p)} onDecided={setNotice} />
        ))}
      </ol>
      {shownProposal && (
        <div className="proposal-legend small" aria-hidden>
          <span className="proposed">{t('proposals_legendProposed')}</span>
          <span className="current">{t('proposals_legendCurrent')}</span>
        </div>
      )}
    </section>
  );
}

function ProposalCard({
  proposal: p,
  grids,
  shown,
  onShow,
  onDecided,
}: {
  proposal: Proposal;
  grids: GridCollection;
  shown: boolean;
  onShow(): void;
  onDecided(message: string): void;
}) {
  const { t } = useLocale();
  const [note, setNote] = useState('');
  const [noteProblem, setNoteProblem] = useState(false);
  const decide = useDecideProposal();
  const grid = (id: number) => grids.features.find((f) => f.properties.id === id)?.properties;
  const name = (id: number) => grid(id)?.name ?? `#${id}`;
  const impact = p.impact;
  const error = decide.error;
  const stale = error instanceof ApiRequestError && error.code === 'proposal_stale';

  const run = (decision: 'approve' | 'reject') => {
    if (decision === 'reject' && note.trim().length < 2) return setNoteProblem(true);
    setNoteProblem(false);
    decide.mutate(
      { id: p.id, decision, note },
      {
        onSuccess: (r) =>
          onDecided(
            decision === 'approve' ? t('proposals_approvedDone', { version: r.committedVersion ?? '?' }) : t('proposals_rejectedDone'),
          ),
      },
    );
  };

  return (
    <li className={`proposal ${p.status}${shown ? ' shown' : ''}`} data-proposal={p.id} data-status={p.status}>
      <div className="history-head">
        <strong>{name(p.gridId)}</strong>
        <span className={`proposal-status ${p.status}`}>{t(`proposals_status_${p.status}`)}</span>
      </div>
      <div className="small muted">
        {t('proposals_by', { name: p.proposedByName ?? '—', date: formatChinaTime(p.proposedAt) })}
        {p.proposedByMe && <span className="tag">{t('proposals_mine')}</span>}
        {p.affectsMe && !p.proposedByMe && <span className="tag">{t('proposals_affectsMe')}</span>}
      </div>
      <div className="small">{t('proposals_grids', { grids: p.affectedGridIds.map(name).join('、') })}</div>
      <div className="small">{t('proposals_reason', { reason: p.reason })}</div>
      {impact && (
        <div className="small" data-testid="proposal-moving">
          {t('proposals_moving', {
            in: impact.buildingsIn.length,
            hin: p.householdsIn,
            out: impact.buildingsOut.length,
            hout: p.householdsOut,
          })}
        </div>
      )}
      {p.status !== 'pending' && (
        <div className="small">
          {t('proposals_decided', { name: p.decidedByName ?? '—', status: t(`proposals_status_${p.status}`), note: p.note ?? '—' })}
        </div>
      )}
      {p.status === 'pending' && !p.mayDecide && (
        <div className="small muted">{t('proposals_waiting', { community: grid(p.gridId)?.communityName ?? '' })}</div>
      )}
      <div className="history-actions">
        <button type="button" onClick={onShow} aria-pressed={shown} data-action="show">
          {shown ? t('proposals_hide') : t('proposals_show')}
        </button>
      </div>
      {p.status === 'pending' && p.mayDecide && (
        <>
          <label className="editor-reason">
            <span>{t('proposals_note')}</span>
            <textarea value={note} onChange={(e) => setNote(e.target.value)} rows={2} placeholder={t('proposals_noteHint')} />
          </label>
          {noteProblem && (
            <p className="small out" role="alert">
              {t('proposals_noteRequired')}
            </p>
          )}
          <div className="editor-actions">
            <button type="button" className="primary" disabled={decide.isPending} onClick={() => run('approve')} data-action="approve">
              {t('proposals_approve')}
            </button>
            <button type="button" disabled={decide.isPending} onClick={() => run('reject')} data-action="reject">
              {t('proposals_reject')}
            </button>
          </div>
        </>
      )}
      {error && (
        <div className="editor-outcome error" role="alert" data-testid="proposal-error">
          {stale && <p>{t('proposals_stale')}</p>}
          <p className="small">{error.message}</p>
        </div>
      )}
    </li>
  );
}
