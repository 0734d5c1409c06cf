import type { MultiPolygon } from 'geojson';
import type { Map as MapLibreMap } from 'maplibre-gl';
import { useEffect, useMemo, useState } from 'react';
import type { DisplayCrs } from '../../../geo/geometry/display-crs';
import { fitNeighbours } from '../../../geo/geometry/neighbour-fit';
import type { GridCollection } from '../api';
import { EDITOR_SOURCE } from './boundary-editor.layers';
import type { useBoundaryContext } from './use-boundary-context';
import { setSource } from './use-editor-layers';

/**
 * Whether neighbours follow a moved shared edge (sent with the save), or stay and show the overlap
 * / gap; the neighbours as they would be, drawn on the map, and the redraws a save sends.
 */
export function useNeighbourFit(
  map: MapLibreMap,
  crs: DisplayCrs,
  grids: GridCollection,
  input: ReturnType<typeof useBoundaryContext>['input'],
  { live, original, changed }: { live: MultiPolygon; original: MultiPolygon; changed: boolean },
) {
  const [fit, setFit] = useState(false);
  const fitted = useMemo(
    () =>
      fit && changed && input
        ? fitNeighbours({
            proposed: live,
            oldBoundary: original,
            community: input.community.boundary ?? original,
            neighbours: input.neighbours,
          })
        : [],
    [fit, changed, input, live, original],
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
  useEffect(() => {
    setSource(
      map,
      EDITOR_SOURCE.neighbours,
      { type: 'FeatureCollection', features: fitted.map((f) => ({ type: 'Feature', geometry: f.boundary, properties: { id: f.id } })) },
      crs,
    );
  }, [map, fitted, crs]);
  return { fit, setFit, fitted, neighbourRedraws };
}
