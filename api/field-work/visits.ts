/**
 * Visits (民情日记) as the database holds them: logging one (idempotently), a household's timeline
 * and a worker's diary, and the counts behind 按期走访率. Every statement runs as the caller, so
 * row-level security decides whose visits may be logged and read, and the *_records views mask
 * what the caller may only know exists (supabase/migrations/*_access.sql). The GPS geofence is a
 * trigger (*_field_work.sql), so it holds for any client.
 */
import type { Point } from 'geojson';
import type { VisitMethod, VisitResult } from '../../geo/domain/household';
import type { IssueCategory, IssueComplexity, IssueEvaluation, IssueStatus, IssueTier } from '../../geo/domain/issue';
import { type VisitInput, visitRefusal } from '../../geo/domain/visit.validation';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { todayInChina } from '../lib/query-params';
import { myStaffId } from '../lib/request-db';

export interface LoggedVisit {
  id: number;
  householdId: number;
  visitorId: number;
  visitedAt: string;
  method: VisitMethod;
  result: VisitResult;
  durationMin: number | null;
  notes: string | null;
  location: Point | null;
  accuracyM: number | null;
  /** Metres from the household's building footprint when logged (0 inside); null without GPS. */
  distanceM: number | null;
  flaggedForReview: boolean;
  /** Why the visit awaits review; null when it does not. */
  flagged: { reason: 'far_from_building'; distanceM: number } | null;
  createdAt: string;
}

/** A visit as the caller may read it: notes masked outside their full scope. */
export interface VisitRecord {
  id: number;
  householdId: number;
  gridId: number;
  /** Null for an imported visit whose ledger named no staff member of the household's grid or community. */
  visitorId: number | null;
  visitorName: string | null;
  visitedAt: string;
  method: VisitMethod;
  result: VisitResult;
  durationMin: number | null;
  notes: string | null;
  flaggedForReview: boolean;
  masked: boolean;
}

export interface IssueSummary {
  id: number;
  regNo: string;
  gridId: number;
  category: IssueCategory;
  description: string;
  complexity: IssueComplexity;
  tier: IssueTier;
  status: IssueStatus;
  receivedAt: string;
  dueAt: string;
  closedAt: string | null;
  evaluation: IssueEvaluation;
  reporterName: string | null;
  reporterContact: string | null;
  masked: boolean;
}

/** A change of the household's categories (they set its visit interval), from the audit log. */
export interface CategoryChange {
  id: number;
  staffId: number | null;
  staffName: string | null;
  oldCategories: string[];
  newCategories: string[];
}

export type TimelineEntry =
  | ({ kind: 'visit' } & VisitRecord)
  | ({ kind: 'issue' } & IssueSummary)
  | ({ kind: 'categories' } & CategoryChange);

const LOGGED_COLUMNS = `id, household_id as "householdId", visitor_id as "visitorId", visited_at as "visitedAt",
  method::text as method, result::text as result, duration_min as "durationMin", notes,
  ST_AsGeoJSON(location)::json as location, accuracy_m as "accuracyM", distance_m as "distanceM",
  flagged_for_review as "flaggedForReview", created_at as "createdAt"`;

const RECORD_COLUMNS = `v.id, v.household_id as "householdId", v.grid_id as "gridId", v.visitor_id as "visitorId",
  v.visitor_name as "visitorName", v.visited_at as "visitedAt", v.method::text as method, v.result::text as result,
  v.duration_min as "durationMin", v.notes, v.flagged_for_review as "flaggedForReview", v.masked`;

// The request's fields as statement parameters $3…$10, in one order for the insert and the
// idempotency comparison, so the two cannot disagree on what "the same visit" is.
const visitParams = (v: VisitInput) => [
  v.householdId,
  v.visitedAt,
  v.method,
  v.result,
  v.durationMin ?? null,
  v.notes ?? null,
  v.location ? JSON.stringify(v.location) : null,
  v.accuracyM ?? null,
];
// Altitude is allowed in GeoJSON but the column is 2-D.
const LOCATION_PARAM = 'ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON($9::text), 4326))';

function withFlag(row: Omit<LoggedVisit, 'flagged'>): LoggedVisit {
  const flagged =
    row.flaggedForReview && row.distanceM !== null
      ? { reason: 'far_from_building' as const, distanceM: Math.round(row.distanceM * 10) / 10 }
      : null;
  return { ...row, flagged };
}

/**
 * The visit this visitor already logged under `key`, if any. A retry must be the same request:
 * the same key with another body is a client bug (or a reused key), and answering it with the
 * old visit would silently drop the new one, so it is refused naming the fields that differ.
 */
async function visitLoggedUnderKey(tx: Queryable, visitorId: number, key: string, input: VisitInput): Promise<LoggedVisit | null> {
  const [prior] = await tx.query<Omit<LoggedVisit, 'flagged'> & { differs: string[] }>(
    `select ${LOGGED_COLUMNS}, array_remove(array[
       case when household_id <> $3 then 'householdId' end,
       case when visited_at <> $4::timestamptz then 'visitedAt' end,
       case when method <> $5::public.visit_method then 'method' end,
       case when result <> $6::public.visit_result then 'result' end,
       case when duration_min is distinct from $7::smallint then 'durationMin' end,
       case when notes is distinct from $8::text then 'notes' end,
       case when not coalesce(ST_OrderingEquals(location, ${LOCATION_PARAM}), location is null and $9::text is null) then 'location' end,
       -- Compared as stored (real): 5.1 as float8 is not 5.1 as float4.
       case when accuracy_m is distinct from $10::real then 'accuracyM' end
     ], null) as differs
     from public.visits where visitor_id = $1 and idempotency_key = $2`,
    [visitorId, key, ...visitParams(input)],
  );
  if (!prior) return null;
  const { differs, ...visit } = prior;
  if (differs.length > 0) {
    throw new ApiError(
      409,
      'idempotency_key_reused',
      `Idempotency-Key "${key}" was already used for visit ${visit.id} with a different request (${differs.join(', ')} differ); a retry must repeat the original request exactly, and a new visit needs a new key.`,
      { visitId: visit.id, differs },
    );
  }
  return withFlag(visit);
}

/** Unmasked personal rows served are written to the audit log, one entry per grid. */
async function recordPersonalViews(
  tx: Queryable,
  table: string,
  rows: readonly { id: number; gridId: number; masked: boolean }[],
  reason: string,
) {
  const byGrid = new Map<number, number[]>();
  for (const r of rows) if (!r.masked) byGrid.set(r.gridId, [...(byGrid.get(r.gridId) ?? []), r.id]);
  for (const [gridId, ids] of byGrid) {
    await tx.query('select public.record_personal_view($1, $2::int[], $3, $4)', [table, ids, gridId, reason]);
  }
}

/**
 * Logs the caller's visit; under an Idempotency-Key `key` a retry gets the visit it logged
 * (`replayed`) instead of a second one.
 */
export async function logVisit(
  tx: Queryable,
  input: VisitInput,
  key: string | undefined,
): Promise<{ visit: LoggedVisit; replayed: boolean }> {
  const me = await myStaffId(tx);
  // A retry is answered before anything is judged again: it must get the answer the
  // original got, even if the household has moved out since.
  if (key !== undefined) {
    const prior = await visitLoggedUnderKey(tx, me, key, input);
    if (prior) return { visit: prior, replayed: true };
  }
  const [household] = await tx.query<{ movedIn: string; movedOut: string | null; now: Date }>(
    `select moved_in::text as "movedIn", moved_out::text as "movedOut", now() as now
      from public.household_records where id = $1`,
    [input.householdId],
  );
  // Whether a household exists outside the caller's scope is itself private: 404, not 403.
  if (!household) throw new ApiError(404, 'not_found', `No household with id ${input.householdId} in your scope.`);
  const refusal = visitRefusal(
    { visitedAt: input.visitedAt, visitDate: todayInChina(new Date(input.visitedAt)) },
    household,
    new Date(household.now),
  );
  if (refusal) throw new ApiError(422, refusal.code, refusal.message);
  // Row-level security admits only the caller, as themself, in their own grids (a 403
  // otherwise); the trigger fills distance_m and the review flag.
  const [inserted] = await tx.query<Omit<LoggedVisit, 'flagged'>>(
    `insert into public.visits (visitor_id, idempotency_key, household_id, visited_at, method, result,
        duration_min, notes, location, accuracy_m)
      values ($1, $2, $3, $4::timestamptz, $5::public.visit_method, $6::public.visit_result, $7, $8, ${LOCATION_PARAM}, $10)
      on conflict (visitor_id, idempotency_key) do nothing
      returning ${LOGGED_COLUMNS}`,
    [me, key ?? null, ...visitParams(input)],
  );
  if (inserted) return { visit: withFlag(inserted), replayed: false };
  // A concurrent request with the same key committed first: answer as its retry.
  const prior = await visitLoggedUnderKey(tx, me, key!, input);
  if (!prior)
    throw new ApiError(
      409,
      'idempotency_key_reused',
      `Idempotency-Key "${key}" was already used for a visit you can no longer read; use a new key.`,
    );
  return { visit: prior, replayed: true };
}

/** A household's visits, issues and category changes, if the caller may read the household. */
export async function householdTimeline(tx: Queryable, householdId: number) {
  const [household] = await tx.query<{
    id: number;
    gridId: number;
    address: string;
    unit: string | null;
    room: string;
    masked: boolean;
  }>('select id, grid_id as "gridId", address, unit, room, masked from public.household_records where id = $1', [householdId]);
  if (!household) return null;
  const visits = await tx.query<VisitRecord>(`select ${RECORD_COLUMNS} from public.visit_records v where v.household_id = $1`, [
    householdId,
  ]);
  const issues = await tx.query<IssueSummary>(
    `select id, reg_no as "regNo", grid_id as "gridId", category::text as category, description,
       complexity::text as complexity, tier::text as tier, status::text as status, received_at as "receivedAt",
       due_at as "dueAt", closed_at as "closedAt", evaluation::text as evaluation,
       reporter_name as "reporterName", reporter_contact as "reporterContact", masked
     from public.issue_records where household_id = $1`,
    [householdId],
  );
  const categoryChanges = await tx.query<CategoryChange & { at: string }>(
    `select row_number() over ()::int as id, at, staff_id as "staffId", staff_name as "staffName",
            old_categories as "oldCategories", new_categories as "newCategories"
     from public.household_category_changes($1)`,
    [householdId],
  );
  await recordPersonalViews(tx, 'visits', visits, 'timeline');
  await recordPersonalViews(tx, 'issues', issues, 'timeline');
  return { household, visits, issues, categoryChanges };
}

/** A worker's visits (the caller's when `staffId` is absent) from `from` to `to`, if the caller may see the worker. */
export async function workerDiary(tx: Queryable, staffId: number | undefined, from: string, to: string) {
  const me = await myStaffId(tx);
  const worker = staffId ?? me;
  // Colleagues of the street are on the 网格公示牌 boards; row-level security says who.
  const [staff] = await tx.query<{ id: number; name: string }>('select id, name from public.staff where id = $1', [worker]);
  if (!staff) return null;
  // Only the visits the caller may read (visit_records), masked where the caller may only
  // know they exist: another worker's diary is as visible as the households behind it.
  const visits = await tx.query<VisitRecord & { address: string | null; unit: string | null; room: string | null }>(
    `select ${RECORD_COLUMNS}, h.address, h.unit, h.room
     from public.visit_records v left join public.household_records h on h.id = v.household_id
     where v.visitor_id = $1 and public.china_date(v.visited_at) between $2::date and $3::date
     order by v.visited_at, v.id`,
    [worker, from, to],
  );
  if (worker !== me) await recordPersonalViews(tx, 'visits', visits, 'diary');
  return { staff, visits };
}

/** A period, and optionally one grid or community; neither means the caller's street. */
export interface TimelinessScope {
  from: string;
  to: string;
  gridId?: number | undefined;
  communityId?: number | undefined;
}

/** The counts behind 按期走访率 (docs/metrics.md "Month report"): visits due in the period, done, done on time. */
export async function visitTimeliness(tx: Queryable, q: TimelinessScope): Promise<{ due: number; done: number; onTime: number }> {
  // One grid's figure derives only its households' status (a grid panel asks on every opening).
  const [t] = await tx.query<{ due: number; done: number; onTime: number }>(
    `select coalesce(sum(due), 0)::int as due, coalesce(sum(done), 0)::int as done, coalesce(sum(on_time), 0)::int as "onTime"
     from ${q.gridId ? 'public.grid_visit_timeliness($3, $1::date, $2::date)' : 'public.report_visit_timeliness($1::date, $2::date)'} s
     join public.grids g on g.id = s.grid_id
     where ($3::int is null or g.id = $3) and ($4::int is null or g.community_id = $4)`,
    [q.from, q.to, q.gridId ?? null, q.communityId ?? null],
  );
  return t!;
}
