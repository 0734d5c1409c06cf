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
import { validationHook } from '../lib/errors';
import { positiveId, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';
import { addAction, changeAction, listMeetings, recordMeeting } from '../meetings/meeting-records';

export { MEETING_TYPES } from '../../geo/domain/meeting';

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

export function meetingRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>()
    .post('/', zValidator('json', newMeeting, validationHook), async (c) => {
      const input = c.req.valid('json');
      const meeting = await asCaller(db, c.get('claims'), (tx) => recordMeeting(tx, input));
      return c.json(meeting, 201);
    })
    .get(
      '/',
      zValidator('query', z.object({ communityId: positiveId('communityId').optional(), month: monthSchema.optional() }), validationHook),
      async (c) => {
        const q = c.req.valid('query');
        const meetings = await asCaller(db, c.get('claims'), (tx) => listMeetings(tx, q));
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
        const action = await asCaller(db, c.get('claims'), (tx) => addAction(tx, id, input));
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
      const action = await asCaller(db, c.get('claims'), (tx) => changeAction(tx, id, change, () => productToday(env)));
      return c.json(action);
    },
  );
}
