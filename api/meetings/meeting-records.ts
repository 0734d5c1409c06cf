/**
 * 民情分析会 / 恳谈会 as the database holds them: a community's meeting on a month, and its
 * decisions per grid with an owner and a due date. Every statement runs as the caller, so
 * row-level security decides who records and who reads (supabase/migrations/*_meetings.sql).
 */
import type { MEETING_TYPES } from '../../geo/domain/meeting';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { myStaffId } from '../lib/request-db';

export interface MeetingAction {
  id: number;
  meetingId: number;
  gridId: number;
  decision: string;
  ownerId: number;
  ownerName: string | null;
  dueOn: string;
  done: boolean;
  doneOn: string | null;
}

export interface Meeting {
  id: number;
  communityId: number;
  month: string;
  heldOn: string;
  type: (typeof MEETING_TYPES)[number];
  attendeeStaffIds: number[];
  /** Masked (张*明) during a presentation: they may be residents' representatives. */
  attendeeNames: string[];
  notes: string | null;
  actions: MeetingAction[];
}

const MEETING_COLUMNS = `m.id, m.community_id as "communityId", m.month, m.held_on::text as "heldOn", m.type::text as type,
  m.attendee_staff_ids as "attendeeStaffIds",
  case when minqing.presenting() then array(select minqing.mask_name(n) from unnest(m.attendee_names) n)
       else m.attendee_names end as "attendeeNames",
  case when minqing.presenting() then null else m.notes end as notes`;
const ACTION_COLUMNS = `a.id, a.meeting_id as "meetingId", a.grid_id as "gridId", a.decision, a.owner_id as "ownerId",
  public.staff_display_name(a.owner_id) as "ownerName", a.due_on::text as "dueOn", a.done, a.done_on::text as "doneOn"`;

export type NewMeeting = Pick<Meeting, 'communityId' | 'month' | 'heldOn' | 'type' | 'attendeeStaffIds' | 'attendeeNames'> & {
  notes?: string | undefined;
};

export type NewAction = Pick<MeetingAction, 'gridId' | 'decision' | 'ownerId' | 'dueOn'>;

export interface ActionChange {
  done?: boolean | undefined;
  doneOn?: string | undefined;
  dueOn?: string | undefined;
  ownerId?: number | undefined;
  decision?: string | undefined;
}

async function loadActions(tx: Queryable, meetingIds: number[]): Promise<MeetingAction[]> {
  if (meetingIds.length === 0) return [];
  return tx.query<MeetingAction>(
    `select ${ACTION_COLUMNS} from public.meeting_actions a where a.meeting_id = any($1::int[]) order by a.id`,
    [meetingIds],
  );
}

/** Staff ids that are not active staff of the caller's street (the first such, or undefined). */
async function unknownStaff(tx: Queryable, ids: number[]): Promise<number | undefined> {
  if (ids.length === 0) return undefined;
  const found = await tx.query<{ id: number }>(
    'select s.id from public.staff s where s.id = any($1::int[]) and s.active and s.street_id = minqing.my_street_id()',
    [ids],
  );
  const known = new Set(found.map((r) => r.id));
  return ids.find((id) => !known.has(id));
}

/** Records the caller's community meeting, after checking its community and staff attendees. */
export async function recordMeeting(tx: Queryable, input: NewMeeting): Promise<Meeting> {
  const me = await myStaffId(tx);
  const [community] = await tx.query('select 1 from public.communities where id = $1', [input.communityId]);
  if (!community) throw new ApiError(404, 'not_found', `No community with id ${input.communityId} in your street.`);
  const stranger = await unknownStaff(tx, input.attendeeStaffIds);
  if (stranger !== undefined) {
    throw new ApiError(
      422,
      'unknown_staff',
      `attendeeStaffIds: ${stranger} is not active staff of your street; list other attendees by name in attendeeNames.`,
      { staffId: stranger },
    );
  }
  // Row-level security admits only the community's own staff (a 403 otherwise).
  const [row] = await tx.query<{ id: number }>(
    `insert into public.meetings (community_id, month, held_on, type, attendee_staff_ids, attendee_names, notes, created_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
    [input.communityId, input.month, input.heldOn, input.type, input.attendeeStaffIds, input.attendeeNames, input.notes ?? null, me],
  );
  const [m] = await tx.query<Meeting>(`select ${MEETING_COLUMNS} from public.meetings m where m.id = $1`, [row!.id]);
  return { ...m!, actions: [] };
}

/** The meetings the caller may read (the latest 200), with their actions. */
export async function listMeetings(tx: Queryable, q: { communityId?: number | undefined; month?: string | undefined }): Promise<Meeting[]> {
  const rows = await tx.query<Omit<Meeting, 'actions'>>(
    `select ${MEETING_COLUMNS} from public.meetings m
     where ($1::int is null or m.community_id = $1) and ($2::text is null or m.month = $2)
     order by m.held_on desc, m.id desc limit 200`,
    [q.communityId ?? null, q.month ?? null],
  );
  const actions = await loadActions(
    tx,
    rows.map((m) => m.id),
  );
  return rows.map((m) => ({ ...m, actions: actions.filter((a) => a.meetingId === m.id) }));
}

/** Adds a decision to meeting `id` for one of its community's grids. */
export async function addAction(tx: Queryable, id: number, input: NewAction): Promise<MeetingAction> {
  const [meeting] = await tx.query<{ communityId: number }>('select community_id as "communityId" from public.meetings where id = $1', [
    id,
  ]);
  if (!meeting) throw new ApiError(404, 'not_found', `No meeting with id ${id} in your street.`);
  const [grid] = await tx.query<{ communityId: number }>('select community_id as "communityId" from public.grids where id = $1', [
    input.gridId,
  ]);
  if (!grid) throw new ApiError(404, 'not_found', `No grid with id ${input.gridId} in your street.`);
  if (grid.communityId !== meeting.communityId) {
    throw new ApiError(
      422,
      'grid_outside_community',
      `Grid ${input.gridId} is not in the meeting's community; a meeting decides for its own community's grids.`,
    );
  }
  if ((await unknownStaff(tx, [input.ownerId])) !== undefined) {
    throw new ApiError(422, 'unknown_staff', `ownerId: ${input.ownerId} is not active staff of your street.`, {
      staffId: input.ownerId,
    });
  }
  const [row] = await tx.query<{ id: number }>(
    'insert into public.meeting_actions (meeting_id, grid_id, decision, owner_id, due_on) values ($1, $2, $3, $4, $5) returning id',
    [id, input.gridId, input.decision, input.ownerId, input.dueOn],
  );
  const [a] = await tx.query<MeetingAction>(`select ${ACTION_COLUMNS} from public.meeting_actions a where a.id = $1`, [row!.id]);
  return a!;
}

/** Changes action `id`; marking it done without a date dates it `today`. */
export async function changeAction(tx: Queryable, id: number, change: ActionChange, today: () => string): Promise<MeetingAction> {
  const [visible] = await tx.query('select 1 from public.meeting_actions where id = $1', [id]);
  if (!visible) throw new ApiError(404, 'not_found', `No action with id ${id} in your street.`);
  // FOR UPDATE sees only the rows the caller may update (row-level security's update rule).
  const [cur] = await tx.query<{ done: boolean; doneOn: string | null }>(
    'select done, done_on::text as "doneOn" from public.meeting_actions where id = $1 for update',
    [id],
  );
  if (!cur)
    throw new ApiError(
      403,
      'forbidden',
      `Action ${id} belongs to another community's meeting, or you are not its community staff; they update it.`,
    );
  if (change.ownerId !== undefined && (await unknownStaff(tx, [change.ownerId])) !== undefined) {
    throw new ApiError(422, 'unknown_staff', `ownerId: ${change.ownerId} is not active staff of your street.`, {
      staffId: change.ownerId,
    });
  }
  const done = change.done ?? (change.doneOn !== undefined ? true : cur.done);
  const doneOn = done ? (change.doneOn ?? cur.doneOn ?? today()) : null;
  const updated = await tx.query<{ id: number }>(
    `update public.meeting_actions set done = $2, done_on = $3::date,
       due_on = coalesce($4::date, due_on), owner_id = coalesce($5, owner_id), decision = coalesce($6, decision)
     where id = $1 returning id`,
    [id, done, doneOn, change.dueOn ?? null, change.ownerId ?? null, change.decision ?? null],
  );
  if (updated.length === 0) throw new ApiError(403, 'forbidden', `Action ${id} may not be changed by you.`);
  const [a] = await tx.query<MeetingAction>(`select ${ACTION_COLUMNS} from public.meeting_actions a where a.id = $1`, [id]);
  return a!;
}
