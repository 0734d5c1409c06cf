import type { MultiPolygon } from 'geojson';
import type { Map as MapLibreMap } from 'maplibre-gl';
import { useEffect, useMemo, useState } from 'react';
import type { DisplayCrs } from '../../../geo/geometry/display-crs';
import { type BoundaryProblem, type BoundaryProblemCode, validateGridBoundary } from '../../../geo/geometry/grid-boundary.validation';
import type { FittedNeighbour } from '../../../geo/geometry/neighbour-fit';
import type { BoundaryPreview } from './boundary-api';
import { EDITOR_SOURCE, impactFeatures, problemFeatures } from './boundary-editor.layers';
import type { useBoundaryContext } from './use-boundary-context';
import { sameGeometry } from './use-draw-session';
import { setSource } from './use-editor-layers';

export interface ShownProblem {
  code: BoundaryProblemCode;
  geometry: BoundaryProblem['geometry'];
  details: Record<string, unknown>;
}

/**
 * What is wrong with the shape and what it would change: validation on every shape, with the same
 * code the server runs (geo/), against the neighbours as they would be; the server's problems and
 * preview instead while they are for the shape on the map. Problems and impact are drawn on the map.
 */
export function useBoundaryChecks(
  map: MapLibreMap,
  crs: DisplayCrs,
  context: ReturnType<typeof useBoundaryContext>,
  live: MultiPolygon,
  fitted: readonly FittedNeighbour[],
) {
  const [preview, setPreview] = useState<{ geometry: MultiPolygon; result: BoundaryPreview } | null>(null);
  /** Problems the server found (preview or a 422), for the geometry it was sent. */
  const [serverProblems, setServerProblems] = useState<{ geometry: MultiPolygon; problems: ShownProblem[] } | null>(null);
  const local = useMemo(() => {
    if (!context.input) return null;
    const redrawn = new Map(fitted.map((f) => [f.id, f.boundary]));
    const neighbours = context.input.neighbours.map((n) => ({ id: n.id, boundary: redrawn.get(n.id) ?? n.boundary }));
    return validateGridBoundary({ ...context.input, neighbours, geometry: live });
  }, [context.input, live, fitted]);
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

  return { checked: !!local, problems, fromServer, shownPreview, setPreview, setServerProblems };
}
