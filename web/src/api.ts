/**
 * The web app's only way to the server: a client typed from the API's own routes (Hono RPC), and
 * TanStack Query hooks that keep server data cached and shared between components.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { hc, type InferResponseType } from 'hono/client';
import type { AppType } from '../../api/app';

export const client = hc<AppType>(window.location.origin);

export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function unwrap<T>(res: { ok: boolean; status: number; json(): Promise<T> }): Promise<T> {
  if (res.ok) return res.json();
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  throw new ApiRequestError(res.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `HTTP ${res.status}`);
}

export type AppConfig = InferResponseType<typeof client.api.config.$get, 200>;
export type GridCollection = InferResponseType<typeof client.api.grids.$get, 200>;
export type CommunityCollection = InferResponseType<typeof client.api.communities.$get, 200>;
export type Legend = InferResponseType<typeof client.api.legend.$get, 200>;
export type GridStatsResponse = InferResponseType<typeof client.api.stats.grids.$get, 200>;
export type GridStats = GridStatsResponse['grids'][number];
export type BuildingStats = InferResponseType<typeof client.api.stats.buildings.$get, 200>['buildings'][number];
export type BuildingCollection = InferResponseType<typeof client.api.buildings.$get, 200>;

export function useConfig() {
  return useQuery({ queryKey: ['config'], queryFn: async () => unwrap(await client.api.config.$get()), staleTime: Infinity });
}

export function useGrids() {
  return useQuery({ queryKey: ['grids'], queryFn: async () => unwrap(await client.api.grids.$get()) });
}

export function useCommunities() {
  return useQuery({ queryKey: ['communities'], queryFn: async () => unwrap(await client.api.communities.$get()) });
}

export function useRoads() {
  return useQuery({ queryKey: ['roads'], queryFn: async () => unwrap(await client.api.roads.$get()), staleTime: Infinity });
}

export function useLegend(asOf: string | null) {
  return useQuery({
    queryKey: ['legend', asOf],
    queryFn: async () => unwrap(await client.api.legend.$get({ query: asOf ? { asOf } : {} })),
    placeholderData: keepPreviousData,
  });
}

/** asOf null means today; the server decides what today is (China time). */
export function useGridStats(asOf: string | null) {
  return useQuery({
    queryKey: ['stats', 'grids', asOf],
    queryFn: async () => unwrap(await client.api.stats.grids.$get({ query: asOf ? { asOf } : {} })),
    placeholderData: keepPreviousData,
  });
}

export function useBuildingStats(bbox: string | null, asOf: string | null) {
  return useQuery({
    queryKey: ['stats', 'buildings', bbox, asOf],
    queryFn: async () => unwrap(await client.api.stats.buildings.$get({ query: asOf ? { bbox: bbox!, asOf } : { bbox: bbox! } })),
    enabled: bbox !== null,
    placeholderData: keepPreviousData,
  });
}

/** A grid's mop-up list and how many visits lift it into the next coverage band. */
export function useOverdue(gridId: number | null, asOf: string | null) {
  return useQuery({
    queryKey: ['overdue', gridId, asOf],
    queryFn: async () =>
      unwrap(await client.api.grids[':id'].overdue.$get({ param: { id: String(gridId) }, query: asOf ? { asOf } : {} })),
    enabled: gridId !== null,
  });
}

/** bbox is rounded by the caller so small pans reuse the cached answer. */
export function useBuildings(bbox: string | null) {
  return useQuery({
    queryKey: ['buildings', bbox],
    queryFn: async () => unwrap(await client.api.buildings.$get({ query: { bbox: bbox! } })),
    enabled: bbox !== null,
    placeholderData: keepPreviousData,
  });
}
