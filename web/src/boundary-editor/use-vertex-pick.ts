import type { MultiPolygon } from 'geojson';
import type { Map as MapLibreMap, MapMouseEvent, MapTouchEvent } from 'maplibre-gl';
import { useCallback, useEffect, useRef, useState } from 'react';
import { nearestVertex, removeVertex, type VertexRef } from '../../../geo/geometry/boundary-edit';
import { metresPerPixel } from '../../../geo/geometry/boundary-snap';
import { type DisplayCrs, fromDisplayPoint } from '../../../geo/geometry/display-crs';
import { type EditHistory, pushEdit } from '../../../geo/geometry/edit-history';
import { useLocale } from '../i18n/locale';
import { EDITOR_SOURCE, vertexFeatures } from './boundary-editor.layers';
import { SNAP_PIXELS } from './draw-session';
import { sameGeometry } from './use-draw-session';
import { setSource } from './use-editor-layers';

/**
 * The vertex Delete removes: the one nearest to the last tap or click on the map, marked there.
 * A removal the shape cannot take (too few corners left) is refused with a message.
 */
export function useVertexPick(
  map: MapLibreMap,
  crs: DisplayCrs,
  { live, history, apply }: { live: MultiPolygon; history: EditHistory<MultiPolygon>; apply(next: EditHistory<MultiPolygon>): void },
  onRefused: (message: string) => void,
) {
  const { t } = useLocale();
  const [active, setActive] = useState<VertexRef | null>(null);
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
      onRefused(t(r.reason === 'TOO_FEW_CORNERS' ? 'editor_tooFewCorners' : 'editor_noVertex'));
      return;
    }
    setActive(null);
    apply(pushEdit(history, r.geometry, sameGeometry));
  }, [active, apply, history, t, onRefused]);

  return { active, deleteActive };
}
