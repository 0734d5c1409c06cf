import type { MultiPolygon } from 'geojson';
import type { Map as MapLibreMap } from 'maplibre-gl';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DisplayCrs } from '../../../geo/geometry/display-crs';
import { type EditHistory, pushEdit, startHistory } from '../../../geo/geometry/edit-history';
import { LIGHT_THEME } from '../map/map.theme';
import { type DrawSession, startDrawSession } from './draw-session';
import type { useBoundaryContext } from './use-boundary-context';

export const sameGeometry = (a: MultiPolygon, b: MultiPolygon) => JSON.stringify(a.coordinates) === JSON.stringify(b.coordinates);

/**
 * The shape being drawn: Terra Draw on the map (draw-session.ts) and the session's history, which
 * is ours (geo/geometry/edit-history.ts): whole geometries, so undo is exact and Terra Draw only
 * ever gets told "this is the shape now" (`apply`).
 */
export function useDrawSession(
  map: MapLibreMap,
  crs: DisplayCrs,
  original: MultiPolygon,
  /** A new session per grid and version. */
  gridId: number,
  startVersion: number,
  snapIndex: ReturnType<typeof useBoundaryContext>['snapIndex'],
) {
  const [history, setHistory] = useState<EditHistory<MultiPolygon>>(() => startHistory(original));
  /** The shape on the map right now, mid-drag included (refreshed once per animation frame). */
  const [live, setLive] = useState<MultiPolygon>(original);
  const session = useRef<DrawSession | null>(null);
  const snapIndexRef = useRef(snapIndex);
  snapIndexRef.current = snapIndex;

  // Terra Draw, started once per grid and version; every later shape arrives through setGeometry.
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new session per grid and version only; the rest is read through refs.
  useEffect(() => {
    let frame = 0;
    const s = startDrawSession(map, original, () => snapIndexRef.current, LIGHT_THEME, crs, {
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

  return { history, live, apply, session };
}
