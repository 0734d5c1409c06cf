/**
 * The map's shareable state lives in the URL: metric, as-of date, view and selected grid, so a
 * link pasted into a chat opens the same picture. Only ids and numbers — never personal data.
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
}

export function parseState(search: string): ViewState {
  const p = new URLSearchParams(search);
  const metric = p.get('metric');
  const asOf = p.get('asOf');
  const grid = Number(p.get('grid'));
  const view = (p.get('view') ?? '').split(',').map(Number);
  return {
    metric: (METRICS as readonly string[]).includes(metric ?? '') ? (metric as MetricId) : 'coverage',
    asOf: asOf && /^\d{4}-\d{2}-\d{2}$/.test(asOf) ? asOf : null,
    grid: Number.isInteger(grid) && grid > 0 ? grid : null,
    view: view.length === 3 && view.every(Number.isFinite) ? (view as [number, number, number]) : null,
  };
}

export function formatState(s: ViewState, base: string): string {
  const p = new URLSearchParams(base);
  const set = (k: string, v: string | null) => (v === null ? p.delete(k) : p.set(k, v));
  set('metric', s.metric === 'coverage' ? null : s.metric);
  set('asOf', s.asOf);
  set('grid', s.grid === null ? null : String(s.grid));
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
