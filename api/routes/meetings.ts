/**
 * 民情分析会 / 恳谈会: a community's meeting on a month, and its decisions per grid with an owner
 * and a due date, which the next month's report opens with. Row-level security decides who
 * records and who reads (supabase/migrations/*_meetings.sql): the community's staff write,
 * the street's staff and the presenter read.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { MEETING_TYPES } from '../../geo/domain/meeting';
import { calendarDateSchema, monthSchema } from '../../geo/domain/period.validation';
import type { AppDeps } from '../app';
import type { Queryable } from '../db/database';
import { ApiError, validationHook } from '../lib/errors';
import { positiveId, productToday } from '../lib/query-params';
import { type AppEnv, asCaller, myStaffId } from '../lib/request-db';

export { MEETING_TYPES } from '../../geo/domain/meeting';

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

const newMeeting = z
  .object({
    communityId: z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
    month: monthSchema,
    heldOn: calendarDateSchema,
    type: z.enum(MEETING_TYPES, { error: `type must be one of ${MEETING_TYPES.join(', ')} (分析会, 恳谈会)` }),
    attendeeStaffIds: z
      .array(z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`))
      .max(200)
      .default([]),
    attendeeNames: z.array(z.string().trim().min(1).max(50)).max(100).default([]),
    notes: z.string().max(5000).optional(),
  })
  .strict();

const newAction = z
  .object({
    gridId: z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
    decision: z.string().trim().min(1, 'decision must not be empty').max(1000),
    ownerId: z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
    dueOn: calendarDateSchema,
  })
  .strict();

const actionChange = z
  .object({
    done: z.boolean().optional(),
    doneOn: calendarDateSchema.optional(),
    dueOn: calendarDateSchema.optional(),
    ownerId: z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional(),
    decision: z.string().trim().min(1).max(1000).optional(),
  })
  .strict()
  .refine((c) => Object.keys(c).length > 0, { message: 'Send at least one of done, doneOn, dueOn, ownerId, decision.' })
  .refine((c) => c.doneOn === undefined || c.done !== false, { message: 'doneOn goes with done: true', path: ['doneOn'] });

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

export function meetingRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>()
    .post('/', zValidator('json', newMeeting, validationHook), async (c) => {
      const input = c.req.valid('json');
      const meeting = await asCaller(db, c.get('claims'), async (tx) => {
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
      });
      return c.json(meeting, 201);
    })
    .get(
      '/',
      zValidator('query', z.object({ communityId: positiveId('communityId').optional(), month: monthSchema.optional() }), validationHook),
      async (c) => {
        const q = c.req.valid('query');
        const meetings = await asCaller(db, c.get('claims'), async (tx) => {
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
        });
        return c.json({ meetings });
      },
    )
    .post(
      '/:id/actions',
      zValidator('param', z.object({ id: positiveId('the meeting id') }), validationHook),
      zValidator('json', newAction, validationHook),
      async (c) => {
        const { id } = c.req.valid('param');
        const input = c.req.valid('json');
        const action = await asCaller(db, c.get('claims'), async (tx) => {
          const [meeting] = await tx.query<{ communityId: number }>(
            'select community_id as "communityId" from public.meetings where id = $1',
            [id],
          );
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
        });
        return c.json(action, 201);
      },
    );
}

export function actionRoutes({ db, env }: AppDeps) {
  return new Hono<AppEnv>().patch(
    '/:id',
    zValidator('param', z.object({ id: positiveId('the action id') }), validationHook),
    zValidator('json', actionChange, validationHook),
    async (c) => {
      const { id } = c.req.valid('param');
      const change = c.req.valid('json');
      const action = await asCaller(db, c.get('claims'), async (tx) => {
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
        const doneOn = done ? (change.doneOn ?? cur.doneOn ?? productToday(env)) : null;
        const updated = await tx.query<{ id: number }>(
          `update public.meeting_actions set done = $2, done_on = $3::date,
             due_on = coalesce($4::date, due_on), owner_id = coalesce($5, owner_id), decision = coalesce($6, decision)
           where id = $1 returning id`,
          [id, done, doneOn, change.dueOn ?? null, change.ownerId ?? null, change.decision ?? null],
        );
        if (updated.length === 0) throw new ApiError(403, 'forbidden', `Action ${id} may not be changed by you.`);
        const [a] = await tx.query<MeetingAction>(`select ${ACTION_COLUMNS} from public.meeting_actions a where a.id = $1`, [id]);
        return a!;
      });
      return c.json(action);
    },
  );
}
