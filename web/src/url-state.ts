/**
 * The map's shareable state lives in the URL: metric, as-of date, view, selected grid, the open
 * issue, the side panel's tab and whether issue pins are shown, so a link pasted into a chat
 * opens the same picture. Only ids and numbers — never personal data.
 */
import { useCallback, useEffect, useState } from 'react';
import { METRICS, type MetricId } from '../../geo/metrics/legend';

export interface ViewState {
  metric: MetricId;
  /** null = today */
  asOf: string | null;
  grid: number | null;
  /** lon, lat, zoom; null = fit the street */
  view: [number, number, number] | null;
  /** The issue whose page is open in the side panel. */
  issue: number | null;
  /** The side panel's tab: the map's figures or the issue board. */
  tab: 'map' | 'issues';
  /** Whether the issue layer is drawn. */
  pins: boolean;
}

export function parseState(search: string): ViewState {
  const p = new URLSearchParams(search);
  const metric = p.get('metric');
  const asOf = p.get('asOf');
  const grid = Number(p.get('grid'));
  const issue = Number(p.get('issue'));
  const view = (p.get('view') ?? '').split(',').map(Number);
  return {
    metric: (METRICS as readonly string[]).includes(metric ?? '') ? (metric as MetricId) : 'coverage',
    asOf: asOf && /^\d{4}-\d{2}-\d{2}$/.test(asOf) ? asOf : null,
    grid: Number.isInteger(grid) && grid > 0 ? grid : null,
    view: view.length === 3 && view.every(Number.isFinite) ? (view as [number, number, number]) : null,
    issue: Number.isInteger(issue) && issue > 0 ? issue : null,
    tab: p.get('tab') === 'issues' ? 'issues' : 'map',
    pins: p.get('pins') !== '0',
  };
}

export function formatState(s: ViewState, base: string): string {
  const p = new URLSearchParams(base);
  const set = (k: string, v: string | null) => (v === null ? p.delete(k) : p.set(k, v));
  set('metric', s.metric === 'coverage' ? null : s.metric);
  set('asOf', s.asOf);
  set('grid', s.grid === null ? null : String(s.grid));
  set('issue', s.issue === null ? null : String(s.issue));
  set('tab', s.tab === 'map' ? null : s.tab);
  set('pins', s.pins ? null : '0');
  set('view', s.view ? `${s.view[0].toFixed(5)},${s.view[1].toFixed(5)},${s.view[2].toFixed(2)}` : null);
  const q = p.toString();
  return q ? `?${q}` : '';
}

export function useUrlState(): [ViewState, (patch: Partial<ViewState>) => void] {
  const [state, setState] = useState(() => parseState(window.location.search));
  const update = useCallback((patch: Partial<ViewState>) => setState((s) => ({ ...s, ...patch })), []);
  useEffect(() => {
    const next = formatState(state, window.location.search);
    if (next !== window.location.search) window.history.replaceState(null, '', `${window.location.pathname}${next}`);
  }, [state]);
  return [state, update];
}
