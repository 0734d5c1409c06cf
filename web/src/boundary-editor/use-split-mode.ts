import type { LineString } from 'geojson';
import { type RefObject, useCallback, useMemo, useState } from 'react';
import { validateSplitName } from '../../../geo/geometry/grid-change.reasons';
import type { GridCollection } from '../api';
import { useLocale } from '../i18n/locale';
import type { DrawSession } from './draw-session';
import type { GridFeature } from './use-boundary-context';

/** Splitting the grid: the cutting line drawn on the map, then the new grid's name (suggested from this grid's). */
export function useSplitMode(grid: GridFeature, grids: GridCollection, session: RefObject<DrawSession | null>) {
  const { t } = useLocale();
  const [split, setSplit] = useState<{ state: 'drawing' } | { state: 'ready'; line: LineString } | null>(null);
  /** The name of the grid a split creates. */
  const [name, setName] = useState(() => t('split_defaultName', { name: grid.properties.name }));
  // The same check as the server's: not empty, and no other grid of the community has the name.
  const nameCheck = useMemo(
    () =>
      validateSplitName(
        name,
        grids.features.filter((f) => f.properties.communityId === grid.properties.communityId).map((f) => f.properties.name),
      ),
    [name, grids, grid.properties.communityId],
  );
  const start = () => {
    setSplit({ state: 'drawing' });
    void session.current?.drawLine().then((line) => setSplit(line ? { state: 'ready', line } : null));
  };
  /** Escape: drops the line being drawn, else the split; false when there was no split to cancel. */
  const cancel = useCallback(() => {
    if (split?.state === 'drawing') {
      session.current?.cancelLine();
      return true;
    }
    if (!split) return false;
    setSplit(null);
    return true;
  }, [split, session]);
  return { split, name, setName, nameCheck, start, cancel, stop: () => setSplit(null) };
}
