/**
 * 民情民意事项 as the database holds them: registering one, the board's list, the map's pins, the
 * indicators' counts, one matter with its timeline, and a transition. Every statement runs as the
 * caller (the route's transaction), so row-level security decides who may register, read and move
 * a matter and who sees reporters' personal fields (docs/access.md); which transitions exist is
 * decided by geo/domain/issue.transitions.ts.
 */
import type { IssueCategory, IssueComplexity, IssueStatus, IssueTier } from '../../geo/domain/issue';
import { applyTransition, type IssueAction, TRANSITION_NOT_ALLOWED, type TransitionInput } from '../../geo/domain/issue.transitions';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { myStaffId } from '../lib/request-db';

export interface IssueRecord {
  id: number;
  regNo: string;
  category: string;
  description: string;
  location: [number, number];
  gridId: number;
  buildingId: number | null;
  householdId: number | null;
  reporter: { name: string | null; address: string | null; workUnit: string | null; contact: string | null };
  complexity: string;
  tier: IssueTier;
  status: IssueStatus;
  receivedAt: string;
  dueAt: string;
  /** The tier before the escalation in force, if any (回退 goes back to it). */
  escalatedFrom: IssueTier | null;
  originalDueAt: string | null;
  extensionReason: string | null;
  closedAt: string | null;
  evaluation: string;
  overdue: boolean;
  masked: boolean;
  /** A ledger's own number when it could not be kept as regNo (docs/import-export.md). */
  originalRegNo: string | null;
  /** The import batch that brought the matter from a 民情事项台账; null when registered here. */
  importBatchId: string | null;
}

export interface IssueEventRecord {
  id: number;
  at: string;
  actorId: number | null;
  actorName: string | null;
  kind: IssueAction | 'registered';
  from: IssueStatus | null;
  to: IssueStatus;
  details: Record<string, unknown>;
  note: string | null;
}

const ISSUE_COLUMNS = `r.id, r.reg_no as "regNo", r.category::text as category, r.description,
  json_build_array(ST_X(r.location), ST_Y(r.location)) as location, r.grid_id as "gridId",
  r.building_id as "buildingId", r.household_id as "householdId",
  json_build_object('name', r.reporter_name, 'address', r.reporter_address, 'workUnit', r.reporter_work_unit,
                    'contact', r.reporter_contact) as reporter,
  r.complexity::text as complexity, r.tier::text as tier, r.status::text as status, r.received_at as "receivedAt",
  r.due_at as "dueAt", r.escalated_from::text as "escalatedFrom", r.original_due_at as "originalDueAt", r.extension_reason as "extensionReason",
  r.closed_at as "closedAt", r.evaluation::text as evaluation,
  (r.status in ('registered', 'accepted', 'in_progress') and r.due_at < now()) as overdue, r.masked,
  o.original_reg_no as "originalRegNo", o.import_batch_id as "importBatchId"`;
// The origin of imported matters (issue_origins, *_issue_ledger.sql): one row per imported matter.
const ISSUE_FROM = 'public.issue_records r left join public.issue_origins o on o.id = r.id';

/** A matter to register, as POST /api/issues validated it. */
export interface IssueRegistration {
  category: IssueCategory;
  description: string;
  location: { coordinates: number[] };
  complexity: IssueComplexity;
  tier: IssueTier;
  householdId?: number | undefined;
  buildingId?: number | undefined;
  reporter: { name?: string | undefined; address?: string | undefined; workUnit?: string | undefined; contact?: string | undefined };
}

async function loadIssue(tx: Queryable, id: number): Promise<IssueRecord | undefined> {
  const [row] = await tx.query<IssueRecord>(`select ${ISSUE_COLUMNS} from ${ISSUE_FROM} where r.id = $1`, [id]);
  return row;
}

async function loadEvents(tx: Queryable, id: number): Promise<IssueEventRecord[]> {
  return tx.query<IssueEventRecord>(
    `select id, at, actor_id as "actorId", actor_name as "actorName", kind, from_status::text as "from",
            to_status::text as "to", details, note
     from public.issue_event_records where issue_id = $1 order by at, id`,
    [id],
  );
}

/** One matter with its timeline, if the caller may read it. */
export async function issueWithEvents(tx: Queryable, id: number) {
  const issue = await loadIssue(tx, id);
  if (!issue) return undefined;
  return { issue, events: await loadEvents(tx, id) };
}

/**
 * Registers a matter received at `receivedAt` in the grid its location falls in, with its due
 * date from the community's policy in force that day, and its first event.
 */
export async function registerIssue(tx: Queryable, input: IssueRegistration, receivedAt: string): Promise<IssueRecord> {
  const [lon, lat] = input.location.coordinates as [number, number];
  const staffId = await myStaffId(tx);
  const [grid] = await tx.query<{ id: number; communityId: number }>(
    `select id, community_id as "communityId" from public.grids
     where ST_Covers(boundary, ST_SetSRID(ST_MakePoint($1, $2), 4326)) order by id limit 1`,
    [lon, lat],
  );
  if (!grid) {
    throw new ApiError(
      422,
      'location_outside_grids',
      `The location ${lon}, ${lat} is not inside any grid of your street; put the pin where the matter is.`,
      {
        path: 'location',
      },
    );
  }
  let buildingId = input.buildingId ?? null;
  if (input.householdId !== undefined) {
    const [h] = await tx.query<{ buildingId: number }>('select building_id as "buildingId" from public.household_records where id = $1', [
      input.householdId,
    ]);
    if (!h) throw new ApiError(404, 'not_found', `No household with id ${input.householdId} in your scope.`);
    buildingId ??= h.buildingId;
  }
  if (buildingId !== null) {
    const [b] = await tx.query('select 1 from public.buildings where id = $1', [buildingId]);
    if (!b) throw new ApiError(404, 'not_found', `No building with id ${buildingId}.`);
  }
  const [row] = await tx
    .query<{ id: number; regNo: string }>(
      `insert into public.issues (category, description, location, grid_id, building_id, household_id, reporter_name,
       reporter_address, reporter_work_unit, reporter_contact, complexity, tier, received_at, due_at, registered_by)
     select $1, $2, ST_SetSRID(ST_MakePoint($3, $4), 4326), $5, $6, $7, $8, $9, $10, $11, $12::public.issue_complexity, $13,
       $14::timestamptz,
       $14::timestamptz + make_interval(days => (public.policy_settings_at($15, public.china_date($14::timestamptz))
                                                  -> 'issueDueDays' ->> ($12::public.issue_complexity)::text)::integer),
       $16
     returning id, reg_no as "regNo"`,
      [
        input.category,
        input.description,
        lon,
        lat,
        grid.id,
        buildingId,
        input.householdId ?? null,
        input.reporter.name || null,
        input.reporter.address || null,
        input.reporter.workUnit || null,
        input.reporter.contact || null,
        input.complexity,
        input.tier,
        receivedAt,
        grid.communityId,
        staffId,
      ],
    )
    .catch((e: { code?: string; message?: string }) => {
      // The month's registration numbers are used up (999 a month; the reg_no trigger, *_issues.sql).
      if (e.code === '22003') throw new ApiError(422, 'reg_no_exhausted', e.message ?? 'registration numbers used up');
      throw e;
    });
  await tx.query(
    `insert into public.issue_events (issue_id, at, actor_id, from_status, to_status, kind) values ($1, $2, $3, null, 'registered', 'registered')`,
    [row!.id, receivedAt, staffId],
  );
  return (await loadIssue(tx, row!.id))!;
}

/** The handling board's filter; an absent field does not filter. */
export interface IssueFilter {
  status?: IssueStatus[] | undefined;
  category?: IssueCategory[] | undefined;
  tier?: IssueTier[] | undefined;
  gridId?: number | undefined;
  overdue?: boolean | undefined;
  limit: number;
  offset: number;
}

/** The matters the caller may read, newest received first. */
export function listIssues(tx: Queryable, f: IssueFilter): Promise<IssueRecord[]> {
  return tx.query<IssueRecord>(
    `select ${ISSUE_COLUMNS} from ${ISSUE_FROM}
     where ($1::text[] is null or r.status::text = any($1)) and ($2::text[] is null or r.category::text = any($2))
       and ($3::text[] is null or r.tier::text = any($3)) and ($4::int is null or r.grid_id = $4)
       and ($5::boolean is null or (r.status in ('registered', 'accepted', 'in_progress') and r.due_at < now()) = $5)
     order by r.received_at desc, r.id desc limit $6 offset $7`,
    [f.status ?? null, f.category ?? null, f.tier ?? null, f.gridId ?? null, f.overdue ?? null, f.limit, f.offset],
  );
}

export interface IssuePin {
  id: number;
  regNo: string;
  gridId: number;
  category: string;
  tier: string;
  status: string;
  stage: string;
  lon: number;
  lat: number;
}

/** The map's pins: the matters as they stood at the end of day `asOf`. */
export function issuePins(tx: Queryable, asOf: string): Promise<IssuePin[]> {
  return tx.query<IssuePin>(
    `select id, reg_no as "regNo", grid_id as "gridId", category::text as category, tier::text as tier, status::text as status, stage, lon, lat
     -- The end of the as-of day in China, or now when that is earlier.
     from public.issue_pins(least(now(), ($1::date + 1)::timestamp at time zone 'UTC' - interval '8 hours'))
     order by id`,
    [asOf],
  );
}

/** A period, and optionally one grid or community; neither means the caller's street. */
export interface IndicatorScope {
  from: string;
  to: string;
  gridId?: number | undefined;
  communityId?: number | undefined;
}

export interface IssueIndicatorCounts {
  registered: number;
  closed: number;
  closedOnTime: number;
  rated: number;
  satisfied: number;
}

/** The counts behind 办结率, 按期办结率 and 群众满意率 for the period, in the scope. */
export async function issueIndicatorCounts(tx: Queryable, q: IndicatorScope): Promise<IssueIndicatorCounts> {
  const [t] = await tx.query<IssueIndicatorCounts>(
    `select coalesce(sum(registered), 0)::int as registered, coalesce(sum(closed), 0)::int as closed,
            coalesce(sum(closed_on_time), 0)::int as "closedOnTime", coalesce(sum(rated), 0)::int as rated,
            coalesce(sum(satisfied), 0)::int as satisfied
     from public.issue_indicators($1::date, $2::date) s
     join public.grids g on g.id = s.grid_id
     where ($3::int is null or g.id = $3) and ($4::int is null or g.community_id = $4)`,
    [q.from, q.to, q.gridId ?? null, q.communityId ?? null],
  );
  return t!;
}

/**
 * Moves issue `id` by `input` when geo/domain/issue.transitions.ts allows it (409 or 422 otherwise),
 * recording its events; answers the issue, its events and its new state.
 */
export async function transitionIssue(tx: Queryable, id: number, input: TransitionInput) {
  // The row lock makes a second handler wait, then judge its transition against the first one's result.
  const [cur] = await tx.query<{ status: IssueStatus; tier: IssueTier; escalatedFrom: IssueTier | null }>(
    `select status::text as status, tier::text as tier, escalated_from::text as "escalatedFrom"
     from public.issues where id = $1 for update`,
    [id],
  );
  if (!cur) {
    const [visible] = await tx.query('select 1 from public.issue_records where id = $1', [id]);
    if (visible)
      throw new ApiError(403, 'forbidden', `Issue ${id} is handled by its grid's team and community staff; you may read it, not move it.`);
    throw new ApiError(404, 'not_found', `No issue with id ${id} in your scope.`);
  }
  const outcome = applyTransition(cur, input);
  if (!outcome.valid) {
    const status = outcome.reason === TRANSITION_NOT_ALLOWED ? 409 : 422;
    const message =
      outcome.reason === TRANSITION_NOT_ALLOWED
        ? `An issue that is ${cur.status} (tier ${cur.tier}) cannot go to "${input.to}". Allowed now: ${outcome.allowed.join(', ') || 'nothing (it is finished)'}.`
        : outcome.reason === 'note_required'
          ? `"${input.to}" needs a note saying why (it is kept in the issue's history${input.to === 'extended' ? ' and told to the resident' : ''}).`
          : outcome.reason === 'evaluation_required'
            ? "Closing needs the resident's evaluation: satisfied, basically_satisfied, dissatisfied or not_rated."
            : '"extended" needs days: a whole number from 1 to 90.';
    throw new ApiError(status, outcome.reason, message, { status: cur.status, tier: cur.tier, allowed: outcome.allowed });
  }
  const staffId = await myStaffId(tx);
  const { next } = outcome;
  await tx.query(
    `update public.issues set status = $2::public.issue_status, tier = $3::public.issue_tier,
       escalated_from = $4::public.issue_tier,
       evaluation = coalesce($5::public.issue_evaluation, evaluation),
       closed_at = case when $2 = 'closed' then now() else null end,
       original_due_at = case when $6::int is null then original_due_at else coalesce(original_due_at, due_at) end,
       due_at = case when $6::int is null then due_at else due_at + make_interval(days => $6::int) end,
       extension_reason = case when $6::int is null then extension_reason else $7 end
     where id = $1`,
    [id, next.status, next.tier, next.escalatedFrom, next.evaluation ?? null, next.extendDays ?? null, input.note ?? null],
  );
  for (const e of outcome.events) {
    await tx.query(
      `insert into public.issue_events (issue_id, at, actor_id, from_status, to_status, kind, details, note)
       values ($1, clock_timestamp(), $2, $3, $4, $5, $6::jsonb, $7)`,
      [id, staffId, e.from, e.to, e.kind, JSON.stringify(e.details), input.note || null],
    );
  }
  return { issue: (await loadIssue(tx, id))!, events: await loadEvents(tx, id), next };
}
