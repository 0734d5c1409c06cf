/**
 * The web app's only way to the server: a client typed from the API's own routes (Hono RPC), and
 * TanStack Query hooks that keep server data cached and shared between components. Every request
 * carries the session's bearer token and, in projector mode, `X-Presentation: 1`.
 */
import { keepPreviousData, type QueryClient, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { hc, type InferRequestType, type InferResponseType } from 'hono/client';
import type { AppType } from '../../api/app';
import type { DisplayCrs } from '../../geo/geometry/display-crs';
import { presentationOn, usePresentation } from './auth/presentation';
import { currentToken, signOut, useSession } from './auth/session';
import { liveStreamOpen } from './live/live-state';

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
    /** The error's `details` as the server sent them (e.g. the allowed transitions of a 409). */
    readonly details: unknown = null,
  ) {
    super(message);
  }
}

/** The body of a typed response; for a route that answers several ways, the union of its successes. */
type BodyOf<R> = R extends { json(): Promise<infer T> } ? T : never;

/** A typed call's body when it succeeded; otherwise an ApiRequestError with the API's code and details. */
export async function unwrap<R extends { ok: boolean; status: number; json(): Promise<unknown> }>(res: R): Promise<BodyOf<R>> {
  if (res.ok) return (await res.json()) as BodyOf<R>;
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; details?: unknown } } | null;
  throw new ApiRequestError(
    res.status,
    body?.error?.code ?? 'http_error',
    body?.error?.message ?? `HTTP ${res.status}`,
    body?.error?.details ?? null,
  );
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

/**
 * The grids, as their boundaries are today or were at the end of `asOf` (issue #5: past dates use
 * the boundaries valid then). The previous answer stays on screen while another date loads, so the
 * map is never torn down for a date change.
 */
export function useGrids(asOf: string | null = null, { enabled = true }: { enabled?: boolean } = {}) {
  return useQuery({
    queryKey: ['grids', asOf],
    queryFn: async () => unwrap(await client.api.grids.$get({ query: asOf ? { asOf } : {} })),
    enabled,
    placeholderData: keepPreviousData,
  });
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

/**
 * The TileJSON of the map's grids or buildings: the tile URL with the current geometry version in
 * it, for the date (grids: the boundaries in force then) and the basemap's coordinate system.
 * Keyed under 'grids', so a boundary change (which refreshes the grids) also fetches the new
 * geometry version: the map then points its source at the new tile URLs, and nothing else ever
 * re-requests shapes.
 */
export function useTileJson(layer: 'grids' | 'buildings', { asOf = null, crs }: { asOf?: string | null; crs?: DisplayCrs }) {
  const query = { ...(layer === 'grids' && asOf ? { asOf } : {}), ...(crs === 'gcj02' ? { crs } : {}) };
  return useQuery({
    queryKey: ['grids', 'tilejson', layer, query],
    queryFn: async () =>
      unwrap(await client.api.tiles[':file{(grids|buildings)\\.json}'].$get({ param: { file: `${layer}.json` }, query })),
    placeholderData: keepPreviousData,
  });
}

/** A grid's mop-up list and how many visits lift it into the next coverage band. */
export function useOverdue(gridId: number | null, asOf: string | null) {
  return useQuery({
    queryKey: ['overdue', gridId, asOf],
    queryFn: async () => unwrap(await client.api.grids[':id'].overdue.$get({ param: { id: String(gridId) }, query: asOf ? { asOf } : {} })),
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
    // Not while presenting: the server refuses it, and asking before the new capabilities arrive
    // would flash a refusal where the list was.
    enabled: enabled && gridId !== null && !presentation,
  });
}

/** Unmasks one household; the server records who looked and why. */
export function useRevealHousehold() {
  return useMutation({
    mutationFn: async ({ id, reason }: { id: number; reason: string }) =>
      unwrap(await client.api.households[':id'].reveal.$post({ param: { id: String(id) }, json: { reason } })),
  });
}

/* ------------------------------------------------------------------------------------------------
 * Field work: visits, issues and the live feed that keeps every open map current.
 * ---------------------------------------------------------------------------------------------- */

/** The issue layer's pins: ids, registration numbers and deadline stages, never personal data. */
export type IssuePins = InferResponseType<typeof client.api.issues.pins.$get, 200>;
export type IssuePin = IssuePins['features'][number];
export type IssueListItem = InferResponseType<typeof client.api.issues.$get, 200>['issues'][number];
/** One issue with its timeline and the transitions this caller may make now (none for read-only roles). */
export type IssueDetail = InferResponseType<(typeof client.api.issues)[':id']['$get'], 200>;
export type IssueEvent = IssueDetail['events'][number];
export type VisitRequest = InferRequestType<typeof client.api.visits.$post>['json'];
export type IssueRegistration = InferRequestType<typeof client.api.issues.$post>['json'];
export type TransitionRequest = InferRequestType<(typeof client.api.issues)[':id']['transitions']['$post']>['json'];

/** The board's filters, as the list endpoint takes them (empty = no filter). */
export interface IssueListFilters {
  status: string[];
  category: string | null;
  tier: string | null;
  overdue: boolean | null;
  gridId: number | null;
}

/**
 * Which cached answers a committed change can make stale, by the table the database named.
 * Stats cover grids and buildings; the legend's counts are computed from them. A visit does not
 * change the household list (the overdue marks come from the mop-up list), and every unmasked
 * read of that list is written to the audit log, so it is re-read only when households change.
 */
const STALE_AFTER: Record<string, readonly (readonly string[])[]> = {
  visits: [['stats'], ['legend'], ['overdue'], ['visits'], ['setup', 'checklist']],
  issues: [['stats'], ['legend'], ['issues'], ['visits', 'timeline'], ['setup', 'checklist']],
  issue_events: [['issues']],
  patrols: [['stats'], ['legend'], ['patrols']],
  households: [['stats'], ['legend'], ['overdue'], ['households'], ['setup', 'checklist']],
  // A boundary commit (issue #5) moves buildings, and with them households, figures and history.
  grids: [['grids'], ['stats'], ['legend'], ['buildings'], ['overdue'], ['households'], ['grid-versions'], ['setup', 'checklist']],
  boundary_proposals: [['boundary-proposals']],
  // A community import or edit moves the street's outline and names (the header, the staff screen's scopes).
  communities: [['config'], ['communities'], ['grids'], ['stats'], ['legend'], ['setup', 'checklist']],
};

const startsWith = (key: readonly unknown[], prefix: readonly string[]) => prefix.every((p, i) => key[i] === p);
/**
 * Refetched before the rest: the grids' figures are what every open map recolours from. The rest
 * waits a moment, so that every open page's request for them reaches the database (which answers
 * one statement at a time on the embedded engine) before anyone's slower extras.
 */
const FIRST = ['stats', 'grids'];
const REST_AFTER_MS = 400;

/**
 * Marks what a change touched as stale; TanStack Query refetches what is on screen and the rest
 * when next shown. `null` (or a table this client does not know) refreshes everything live.
 * Each query is invalidated once (a second invalidation would restart its refetch).
 */
export function refreshAfterChange(queryClient: QueryClient, tables: readonly string[] | null): void {
  const all = tables === null || tables.some((t) => !(t in STALE_AFTER));
  const prefixes = all ? Object.values(STALE_AFTER).flat() : tables.flatMap((t) => STALE_AFTER[t]!);
  const stale = (key: readonly unknown[]) => prefixes.some((p) => startsWith(key, p));
  void queryClient.invalidateQueries({ predicate: (q) => startsWith(q.queryKey, FIRST) && stale(q.queryKey) });
  setTimeout(
    () => void queryClient.invalidateQueries({ predicate: (q) => !startsWith(q.queryKey, FIRST) && stale(q.queryKey) }),
    REST_AFTER_MS,
  );
}

/** After this page's own change: the live stream will say so when it is open; otherwise refresh now. */
function refreshAfterOwnChange(queryClient: QueryClient, table: string): void {
  if (!liveStreamOpen()) refreshAfterChange(queryClient, [table]);
}

export function useIssuePins(asOf: string | null) {
  return useQuery({
    queryKey: ['issues', 'pins', asOf],
    queryFn: async () => unwrap(await client.api.issues.pins.$get({ query: asOf ? { asOf } : {} })),
    placeholderData: keepPreviousData,
  });
}

export function useIssues(filters: IssueListFilters) {
  const presentation = usePresentation();
  const query: Record<string, string> = {};
  if (filters.status.length) query.status = filters.status.join(',');
  if (filters.category) query.category = filters.category;
  if (filters.tier) query.tier = filters.tier;
  if (filters.overdue !== null) query.overdue = String(filters.overdue);
  if (filters.gridId !== null) query.gridId = String(filters.gridId);
  return useQuery({
    queryKey: ['issues', 'list', query, presentation],
    queryFn: async () => unwrap(await client.api.issues.$get({ query })),
    placeholderData: keepPreviousData,
  });
}

const issueKey = (id: number | null, presentation: boolean) => ['issues', 'detail', id, presentation] as const;

export function useIssue(id: number | null) {
  const presentation = usePresentation();
  return useQuery({
    queryKey: issueKey(id, presentation),
    queryFn: async () => unwrap(await client.api.issues[':id'].$get({ param: { id: String(id) } })),
    enabled: id !== null,
  });
}

/** Logs a visit; `key` is the Idempotency-Key, the same for every retry of one submission. */
export function useLogVisit() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ key, visit }: { key: string; visit: VisitRequest }) =>
      unwrap(await client.api.visits.$post({ json: visit, header: { 'idempotency-key': key } })),
    onSuccess: () => refreshAfterOwnChange(queryClient, 'visits'),
  });
}

export function useRegisterIssue() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (issue: IssueRegistration) => unwrap(await client.api.issues.$post({ json: issue })),
    onSuccess: () => refreshAfterOwnChange(queryClient, 'issues'),
  });
}

export function useTransitionIssue(id: number) {
  const queryClient = useQueryClient();
  const presentation = usePresentation();
  return useMutation({
    mutationFn: async (transition: TransitionRequest) =>
      unwrap(await client.api.issues[':id'].transitions.$post({ param: { id: String(id) }, json: transition })),
    onSuccess: (issue) => {
      queryClient.setQueryData(issueKey(id, presentation), issue);
      refreshAfterOwnChange(queryClient, 'issues');
    },
  });
}

/** GET /api/events with the bearer token in its header (never in the URL); the caller reads the stream. */
export function openEventStream(signal: AbortSignal): Promise<Response> {
  return client.api.events.$get(undefined, { init: { signal } }) as unknown as Promise<Response>;
}

// ---------------------------------------------------------------------------------------------
// Field records: a household's timeline, a worker's diary, patrols, the grid's issue indicators
// ---------------------------------------------------------------------------------------------
export type Timeline = InferResponseType<typeof client.api.visits.timeline.$get, 200>;
export type TimelineEntry = Timeline['entries'][number];
export type Diary = InferResponseType<typeof client.api.visits.diary.$get, 200>;
export type Patrol = NonNullable<InferResponseType<typeof client.api.patrols.open.$get, 200>['patrol']>;
export type PatrolCompliance = InferResponseType<typeof client.api.patrols.compliance.$get, 200>;
export type IssueIndicators = InferResponseType<typeof client.api.issues.indicators.$get, 200>;

export function useTimeline(householdId: number | null) {
  const presentation = usePresentation();
  return useQuery({
    queryKey: ['visits', 'timeline', householdId, presentation],
    queryFn: async () => unwrap(await client.api.visits.timeline.$get({ query: { householdId: String(householdId) } })),
    enabled: householdId !== null,
  });
}

/** The signed-in worker's 民情日记 for one day (`YYYY-MM-DD`) or month (`YYYY-MM`). */
export function useDiary(period: string) {
  const query = period.length === 7 ? { month: period } : { date: period };
  return useQuery({
    queryKey: ['visits', 'diary', period],
    queryFn: async () => unwrap(await client.api.visits.diary.$get({ query })),
    placeholderData: keepPreviousData,
  });
}

export function useOpenPatrol(enabled: boolean) {
  return useQuery({
    queryKey: ['patrols', 'open'],
    queryFn: async () => (await unwrap(await client.api.patrols.open.$get())).patrol,
    enabled,
  });
}

export function usePatrolCompliance(gridId: number, month: string, enabled: boolean) {
  return useQuery({
    queryKey: ['patrols', 'compliance', gridId, month],
    queryFn: async () => unwrap(await client.api.patrols.compliance.$get({ query: { gridId: String(gridId), month } })),
    enabled,
  });
}

export function useStartPatrol() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (gridId: number) => unwrap(await client.api.patrols.$post({ json: { gridId } })),
    onSuccess: (patrol) => {
      queryClient.setQueryData(['patrols', 'open'], patrol);
      refreshAfterOwnChange(queryClient, 'patrols');
    },
  });
}

export function useStopPatrol() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, track }: { id: number; track?: { type: 'LineString'; coordinates: [number, number][] } }) =>
      unwrap(await client.api.patrols[':id'].stop.$post({ param: { id: String(id) }, json: track ? { track } : {} })),
    onSuccess: () => {
      queryClient.setQueryData(['patrols', 'open'], null);
      refreshAfterOwnChange(queryClient, 'patrols');
    },
  });
}

export type VisitIndicators = InferResponseType<typeof client.api.visits.indicators.$get, 200>;

/** 按期走访率 of one grid for a period. */
export function useVisitIndicators(gridId: number, from: string, to: string) {
  return useQuery({
    queryKey: ['visits', 'indicators', gridId, from, to],
    queryFn: async () => unwrap(await client.api.visits.indicators.$get({ query: { gridId: String(gridId), from, to } })),
  });
}

/** 办结率, 按期办结率, 群众满意率 of one grid's matters registered in a period. */
export function useIssueIndicators(gridId: number, from: string, to: string) {
  return useQuery({
    queryKey: ['issues', 'indicators', gridId, from, to],
    queryFn: async () => unwrap(await client.api.issues.indicators.$get({ query: { gridId: String(gridId), from, to } })),
  });
}
