/**
 * The boundary editor's server calls. Preview goes through the typed client; save, split, merge,
 * revert and the version history follow the contract of issue #5's boundary routes and go through
 * requestJson (see its note). Every successful write refreshes what a boundary change makes stale:
 * the grids, their figures, the buildings' assignments and the grid's history.
 */
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { InferResponseType } from 'hono/client';
import type { LineString, MultiPolygon, Polygon } from 'geojson';
import { DEFAULT_POLICY, type PolicySettings } from '../../../geo/domain/visit-policy';
import type { BoundaryPolicy } from '../../../geo/geometry/grid-boundary.validation';
import { boundaryPolicy } from '../../../geo/geometry/grid-workload';
import { ApiRequestError, client, refreshAfterChange, requestJson } from '../api';
import { liveStreamOpen } from '../live/live-state';

export type BoundaryPreview = InferResponseType<(typeof client.api.grids)[':id']['boundary']['preview']['$post'], 200>;
export type BoundaryImpact = NonNullable<BoundaryPreview['impact']>;
export type ServerProblem = BoundaryPreview['problems'][number] & { message?: string };

/** What a PUT can answer besides an error: saved, or a proposal waiting for community staff. */
export type SaveOutcome =
  | { kind: 'saved'; version: number | null; impact: BoundaryImpact | null }
  | { kind: 'proposal'; proposal: Record<string, unknown> };

export interface GridVersion {
  version: number;
  validFrom: string | null;
  validTo: string | null;
  changedBy: string | null;
  reason: string | null;
  /** created, redrawn, split, merged, reverted (docs/boundaries.md). */
  kind: string | null;
  /** Anything else the server sends is shown as is. */
  [key: string]: unknown;
}

export interface VersionCompare {
  added: Polygon | MultiPolygon | null;
  removed: Polygon | MultiPolygon | null;
  areaAddedM2: number;
  areaRemovedM2: number;
}

const gridPath = (id: number) => `/api/grids/${id}`;

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
    queryFn: async () => {
      const res = await client.api.policies.$get();
      if (!res.ok) throw new ApiRequestError(res.status, 'http_error', `HTTP ${res.status}`);
      const body = (await res.json()) as unknown as { policies: { communityId: number | null; validFrom: string; settings: PolicySettings }[] };
      return body.policies;
    },
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

/** A neighbour redrawn with the grid (a shared edge moved): the PUT's `neighbours`. */
export interface NeighbourRedraw {
  gridId: number;
  version: number;
  geometry: MultiPolygon;
}

export function usePreviewBoundary(gridId: number) {
  return useMutation({
    mutationFn: async ({ geometry, neighbours }: { geometry: MultiPolygon; neighbours: NeighbourRedraw[] }) => {
      // The neighbours go along only when there are some: the preview route of the boundary
      // branch takes { geometry } alone (strict), though previewBoundary already takes overrides.
      const json = (neighbours.length ? { geometry, neighbours } : { geometry }) as never;
      const res = await client.api.grids[':id'].boundary.preview.$post({ param: { id: String(gridId) }, json });
      if (res.ok) return (await res.json()) as BoundaryPreview;
      const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; details?: unknown } } | null;
      throw new ApiRequestError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `HTTP ${res.status}`, body?.error?.details ?? null);
    },
  });
}

function savedOrProposal(status: number, body: Record<string, unknown>): SaveOutcome {
  if (status === 202) return { kind: 'proposal', proposal: (body.proposal ?? body) as Record<string, unknown> };
  const grid = body.grid as { properties?: { version?: number } } | undefined;
  return { kind: 'saved', version: grid?.properties?.version ?? null, impact: (body.impact as BoundaryImpact | undefined) ?? null };
}

export function useSaveBoundary(gridId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ neighbours, ...input }: { geometry: MultiPolygon; version: number; reason: string; neighbours: NeighbourRedraw[] }) => {
      const body_ = neighbours.length ? { ...input, neighbours } : input;
      const { status, body } = await requestJson<Record<string, unknown>>('PUT', `${gridPath(gridId)}/boundary`, body_);
      return savedOrProposal(status, body);
    },
    onSuccess: () => refreshAfterBoundaryChange(queryClient),
  });
}

export function useSplitGrid(gridId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (input: { line: LineString; version: number; reason: string; names: [string, string] }) =>
      (await requestJson<Record<string, unknown>>('POST', `${gridPath(gridId)}/split`, input)).body,
    onSuccess: () => refreshAfterBoundaryChange(queryClient),
  });
}

export function useMergeGrids() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (input: { gridIds: [number, number]; versions: Record<string, number>; reason: string }) =>
      (await requestJson<Record<string, unknown>>('POST', '/api/grids/merge', input)).body,
    onSuccess: () => refreshAfterBoundaryChange(queryClient),
  });
}

export function useRevertGrid(gridId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (input: { toVersion: number; version: number; reason: string }) =>
      (await requestJson<Record<string, unknown>>('POST', `${gridPath(gridId)}/revert`, input)).body,
    onSuccess: () => refreshAfterBoundaryChange(queryClient),
  });
}

/** Reads a version row whatever its spelling (camelCase from the API, or the table's snake_case). */
function toVersion(row: Record<string, unknown>): GridVersion {
  const pick = (...keys: string[]) => keys.map((k) => row[k]).find((v) => v !== undefined && v !== null);
  const str = (v: unknown) => (v === undefined || v === null ? null : String(v));
  const by = pick('staffName', 'changedBy', 'changed_by');
  return {
    ...row,
    version: Number(pick('version')),
    validFrom: str(pick('validFrom', 'valid_from')),
    validTo: str(pick('validTo', 'valid_to')),
    changedBy: typeof by === 'object' && by !== null ? str((by as { name?: unknown }).name) : str(by),
    reason: str(pick('reason')),
    kind: str(pick('kind')),
  };
}

export function useGridVersions(gridId: number) {
  return useQuery({
    queryKey: ['grid-versions', gridId],
    queryFn: async () => {
      const { body } = await requestJson<unknown>('GET', `${gridPath(gridId)}/versions`);
      const rows = (Array.isArray(body) ? body : ((body as { versions?: unknown[] }).versions ?? [])) as Record<string, unknown>[];
      return rows.map(toVersion).sort((a, b) => b.version - a.version);
    },
  });
}

export function useCompareVersions(gridId: number, pair: { from: number; to: number } | null) {
  return useQuery({
    queryKey: ['grid-versions', gridId, 'compare', pair?.from, pair?.to],
    queryFn: async () => (await requestJson<VersionCompare>('GET', `${gridPath(gridId)}/versions/compare?from=${pair!.from}&to=${pair!.to}`)).body,
    enabled: pair !== null,
  });
}
