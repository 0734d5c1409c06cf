/**
 * The boundary editor's server calls, all through the typed client (the routes of
 * api/routes/grid-boundaries.ts and grid-boundary-commit.ts). Every successful write refreshes what
 * a boundary change makes stale: the grids, their figures, the buildings' assignments and the
 * grid's history.
 */
import { type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { LineString, MultiPolygon, Position } from 'geojson';
import type { InferResponseType } from 'hono/client';
import { DEFAULT_POLICY } from '../../../geo/domain/visit-policy';
import type { BoundaryPolicy } from '../../../geo/geometry/grid-boundary.validation';
import { boundaryPolicy } from '../../../geo/geometry/grid-workload';
import { client, refreshAfterChange, unwrap } from '../api';
import { liveStreamOpen } from '../live/live-state';

export type BoundaryPreview = InferResponseType<(typeof client.api.grids)[':id']['boundary']['preview']['$post'], 200>;
export type BoundaryImpact = NonNullable<BoundaryPreview['impact']>;
export type ServerProblem = BoundaryPreview['problems'][number] & { message?: string };

type SaveResponse = InferResponseType<(typeof client.api.grids)[':id']['boundary']['$put']>;
/** The proposal a grid leader's save became when other grids' leaders must agree (a 202). */
export type SavedProposal = Extract<SaveResponse, { proposal: unknown }>['proposal'];

/** What a PUT can answer besides an error: saved, or a proposal waiting for community staff. */
export type SaveOutcome = { kind: 'saved'; version: number; impact: BoundaryImpact | null } | { kind: 'proposal'; proposal: SavedProposal };

/** One version of a grid's history, newest first in useGridVersions. */
export type GridVersion = InferResponseType<(typeof client.api.grids)[':id']['versions']['$get'], 200>['versions'][number];
export type VersionCompare = InferResponseType<(typeof client.api.grids)[':id']['versions']['compare']['$get'], 200>;

const param = (id: number) => ({ id: String(id) });

/**
 * After a committed boundary change: every figure that depends on which building is in which grid
 * (api.ts STALE_AFTER.grids). The live stream announces the commit to every open map, this one
 * included; only without it does this page refresh by itself (a second invalidation would restart
 * the refetch).
 */
export function refreshAfterBoundaryChange(queryClient: QueryClient): void {
  if (!liveStreamOpen()) refreshAfterChange(queryClient, ['grids']);
}

/** The policy's household range for the grid's community on the product's today (the server's rule). */
export function useBoundaryPolicy(communityId: number, today: string | null) {
  return useQuery({
    queryKey: ['policies'],
    queryFn: async () => (await unwrap(await client.api.policies.$get())).policies,
    staleTime: 5 * 60_000,
    select: (rows): BoundaryPolicy => {
      const inForce = rows
        .filter((r) => (r.communityId === communityId || r.communityId === null) && (!today || r.validFrom <= today))
        // A community's own version wins over the street's default; the latest date wins within each.
        .sort((a, b) => Number(a.communityId !== null) - Number(b.communityId !== null) || a.validFrom.localeCompare(b.validFrom));
      return boundaryPolicy(inForce.at(-1)?.settings ?? DEFAULT_POLICY);
    },
  });
}

/**
 * GeoJSON's positions are number[]; the API's schema takes [longitude, latitude]
 * (geo/domain/geojson.validation.ts), which is what every drawn position is.
 */
const lonLat = (p: Position): [number, number] => [p[0]!, p[1]!];
const wireArea = (g: MultiPolygon) => ({ type: g.type, coordinates: g.coordinates.map((poly) => poly.map((ring) => ring.map(lonLat))) });
const wireLine = (g: LineString) => ({ type: g.type, coordinates: g.coordinates.map(lonLat) });
const wireNeighbours = (ns: NeighbourRedraw[]) => ns.map((n) => ({ ...n, geometry: wireArea(n.geometry) }));

/** A neighbour redrawn with the grid (a shared edge moved): the PUT's `neighbours`. */
export interface NeighbourRedraw {
  gridId: number;
  version: number;
  geometry: MultiPolygon;
}

export function usePreviewBoundary(gridId: number) {
  return useMutation({
    mutationFn: async ({ geometry, neighbours }: { geometry: MultiPolygon; neighbours: NeighbourRedraw[] }) =>
      unwrap(
        await client.api.grids[':id'].boundary.preview.$post({
          param: param(gridId),
          json: { geometry: wireArea(geometry), neighbours: wireNeighbours(neighbours) },
        }),
      ),
  });
}

export function useSaveBoundary(gridId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({
      geometry,
      neighbours,
      ...rest
    }: {
      geometry: MultiPolygon;
      version: number;
      reason: string;
      neighbours: NeighbourRedraw[];
    }): Promise<SaveOutcome> => {
      const json = { ...rest, geometry: wireArea(geometry), neighbours: wireNeighbours(neighbours) };
      const body = await unwrap(await client.api.grids[':id'].boundary.$put({ param: param(gridId), json }));
      if ('proposal' in body) return { kind: 'proposal', proposal: body.proposal };
      return { kind: 'saved', version: body.grid.properties.version, impact: body.impact };
    },
    onSuccess: () => refreshAfterBoundaryChange(queryClient),
  });
}

export function useSplitGrid(gridId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ line, ...rest }: { line: LineString; version: number; reason: string; names: [string, string] }) =>
      unwrap(await client.api.grids[':id'].split.$post({ param: param(gridId), json: { ...rest, line: wireLine(line) } })),
    onSuccess: () => refreshAfterBoundaryChange(queryClient),
  });
}

export function useMergeGrids() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (json: { gridIds: [number, number]; versions: Record<string, number>; reason: string }) =>
      unwrap(await client.api.grids.merge.$post({ json })),
    onSuccess: () => refreshAfterBoundaryChange(queryClient),
  });
}

export function useRevertGrid(gridId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (json: { toVersion: number; version: number; reason: string }) =>
      unwrap(await client.api.grids[':id'].revert.$post({ param: param(gridId), json })),
    onSuccess: () => refreshAfterBoundaryChange(queryClient),
  });
}

export function useGridVersions(gridId: number) {
  return useQuery({
    queryKey: ['grid-versions', gridId],
    queryFn: async () =>
      (await unwrap(await client.api.grids[':id'].versions.$get({ param: param(gridId) }))).versions.sort((a, b) => b.version - a.version),
  });
}

export function useCompareVersions(gridId: number, pair: { from: number; to: number } | null) {
  return useQuery({
    queryKey: ['grid-versions', gridId, 'compare', pair?.from, pair?.to],
    queryFn: async () =>
      unwrap(
        await client.api.grids[':id'].versions.compare.$get({
          param: param(gridId),
          query: { from: String(pair!.from), to: String(pair!.to) },
        }),
      ),
    enabled: pair !== null,
  });
}
