/**
 * What the browser needs to run the server's validator on a grid being redrawn: its community's
 * boundary, the community's other grids, the buildings around it (with their households) and the
 * policy's household range — all from queries the map already makes, so validating costs no
 * request. Buildings carry their point on surface, computed once here rather than on every frame.
 */

import { bbox as turfBBox } from '@turf/turf';
import type { MultiPolygon } from 'geojson';
import { useMemo } from 'react';
import { SnapIndex } from '../../../geo/geometry/boundary-snap';
import type { BoundaryBuilding, BoundaryPolicy, GridBoundaryInput } from '../../../geo/geometry/grid-boundary.validation';
import { pointOnSurface } from '../../../geo/geometry/point-on-surface';
import { type CommunityCollection, type GridCollection, useBuildings } from '../api';
import { useBoundaryPolicy } from './boundary-api';

/** Buildings this far around the grid are loaded: a dragged edge rarely moves further in one session. */
const MARGIN_DEG = 0.002;

export type GridFeature = GridCollection['features'][number];

export interface BoundaryContext {
  /** Everything validateGridBoundary needs but the geometry; null while loading. */
  input: Omit<GridBoundaryInput, 'geometry'> | null;
  snapIndex: SnapIndex | null;
  footprints: ReadonlyMap<number, MultiPolygon>;
  neighbours: GridFeature[];
  policy: BoundaryPolicy | undefined;
}

export function useBoundaryContext(
  grid: GridFeature,
  grids: GridCollection,
  communities: CommunityCollection,
  today: string | null,
): BoundaryContext {
  const communityId = grid.properties.communityId;
  const bboxParam = useMemo(() => {
    const [w, s, e, n] = turfBBox(grid);
    return [w - MARGIN_DEG, s - MARGIN_DEG, e + MARGIN_DEG, n + MARGIN_DEG]
      .map((v, i) => (i < 2 ? Math.floor(v * 1000) / 1000 : Math.ceil(v * 1000) / 1000).toFixed(3))
      .join(',');
  }, [grid]);
  const buildings = useBuildings(bboxParam);
  const policy = useBoundaryPolicy(communityId, today);
  const neighbours = useMemo(
    () => grids.features.filter((f) => f.properties.communityId === communityId && f.properties.id !== grid.properties.id),
    [grids, communityId, grid.properties.id],
  );
  const community = communities.features.find((f) => f.properties.id === communityId);
  const loaded = buildings.data && !buildings.isPlaceholderData ? buildings.data : null;
  const boundaryBuildings = useMemo<BoundaryBuilding[]>(
    () =>
      (loaded?.features ?? []).map((f) => ({
        id: f.properties.id,
        footprint: f.geometry as MultiPolygon,
        households: f.properties.households,
        // The stored policy has no workload range yet (grid-workload.ts), so the browser does not
        // need each household's required visits; the server computes them on preview and save.
        requiredVisitsPerMonth: 0,
        pointOnSurface: pointOnSurface(f.geometry as MultiPolygon) ?? undefined,
      })),
    [loaded],
  );
  const footprints = useMemo(() => new Map(boundaryBuildings.map((b) => [b.id, b.footprint as MultiPolygon])), [boundaryBuildings]);
  const snapIndex = useMemo(
    () =>
      new SnapIndex([
        ...neighbours.map((n) => ({ geometry: n.geometry as MultiPolygon })),
        ...boundaryBuildings.map((b) => ({ geometry: b.footprint })),
      ]),
    [neighbours, boundaryBuildings],
  );
  const input = useMemo(() => {
    if (!community || !loaded || !policy.data) return null;
    return {
      gridId: grid.properties.id,
      community: { id: communityId, boundary: community.geometry },
      neighbours: neighbours.map((n) => ({ id: n.properties.id, boundary: n.geometry as MultiPolygon })),
      buildings: boundaryBuildings,
      policy: policy.data,
      oldBoundary: grid.geometry as MultiPolygon,
    };
  }, [community, loaded, policy.data, grid, communityId, neighbours, boundaryBuildings]);
  return { input, snapIndex, footprints, neighbours, policy: policy.data };
}
