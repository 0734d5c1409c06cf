/**
 * The web app's only way to the server: a client typed from the API's own routes (Hono RPC), and
 * TanStack Query hooks that keep server data cached and shared between components. Every request
 * carries the session's bearer token and, in projector mode, `X-Presentation: 1`.
 */
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { hc, type InferResponseType } from 'hono/client';
import type { AppType } from '../../api/app';
import { presentationOn, usePresentation } from './auth/presentation';
import { currentToken, signOut, useSession } from './auth/session';

function requestHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const token = currentToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (presentationOn()) headers['x-presentation'] = '1';
  return headers;
}

/**
 * A 401 to a request that carried the current token means the session is over (expired or
 * revoked). One that carried an older token (replaced by a refresh meanwhile) means nothing.
 */
const sessionAwareFetch: typeof fetch = async (input, init) => {
  const res = await fetch(input, init);
  if (res.status === 401) {
    const sent = new Headers(init?.headers).get('authorization');
    const token = currentToken();
    if (sent && token && sent === `Bearer ${token}`) signOut('expired');
  }
  return res;
};

export const client = hc<AppType>(window.location.origin, { headers: requestHeaders, fetch: sessionAwareFetch });

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

/** How this deployment signs in; public, so the sign-in page can ask before anyone has a token. */
export type AuthConfig = InferResponseType<typeof client.api.auth.config.$get, 200>;
/** Who is signed in, and `can`: what the server will let them do (the UI shows an action only when its flag is true). */
export type Me = InferResponseType<typeof client.api.auth.me.$get, 200>;
/** A household as this caller may see it: `masked` when the database masked its personal fields. */
export type Household = InferResponseType<typeof client.api.households.$get, 200>['households'][number];

export function useAuthConfig() {
  return useQuery({
    queryKey: ['auth-config'],
    queryFn: async () => unwrap(await client.api.auth.config.$get()),
    staleTime: Infinity,
  });
}

export async function logIn(email: string, password: string) {
  return unwrap(await client.api.auth.login.$post({ json: { email, password } }));
}

/**
 * Who is signed in; cleared with the rest of the cache when a session ends. In projector mode
 * the server answers with every capability off, which hides every personal-data action.
 */
export function useMe() {
  const { session } = useSession();
  return useQuery({
    queryKey: ['me'],
    queryFn: async () => unwrap(await client.api.auth.me.$get()),
    enabled: session !== null,
    staleTime: 5 * 60_000,
  });
}

/**
 * A grid's households as this caller may see them. Projector mode is part of the key so turning
 * it on never shows the unmasked answer cached a moment before.
 */
export function useHouseholds(gridId: number | null, enabled: boolean) {
  const presentation = usePresentation();
  return useQuery({
    queryKey: ['households', gridId, presentation],
    queryFn: async () => unwrap(await client.api.households.$get({ query: { gridId: String(gridId) } })),
    enabled: enabled && gridId !== null,
  });
}

/** Unmasks one household; the server records who looked and why. */
export function useRevealHousehold() {
  return useMutation({
    mutationFn: async ({ id, reason }: { id: number; reason: string }) =>
      unwrap(await client.api.households[':id'].reveal.$post({ param: { id: String(id) }, json: { reason } })),
  });
}
