/**
 * Visits (民情日记): logging one from a phone in the street, a household's timeline and a
 * worker's diary, and 按期走访率. The statements are in api/field-work/visits.ts and run as the
 * caller, so row-level security decides whose visits may be logged and read.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { calendarDateSchema, monthBounds, monthSchema } from '../../geo/domain/period.validation';
import { tallyDiary } from '../../geo/domain/visit.diary';
import { visitInputSchema } from '../../geo/domain/visit.validation';
import type { AppDeps } from '../app';
import { householdTimeline, logVisit, type TimelineEntry, visitTimeliness, workerDiary } from '../field-work/visits';
import { ApiError, validationHook } from '../lib/errors';
import { positiveId } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1, 'Idempotency-Key must not be empty')
    .max(100, 'Idempotency-Key must be at most 100 characters')
    .optional(),
});

const diaryQuery = z
  .object({ date: calendarDateSchema.optional(), month: monthSchema.optional(), staffId: positiveId('staffId').optional() })
  .refine((q) => (q.date === undefined) !== (q.month === undefined), {
    message: 'give either date=YYYY-MM-DD or month=YYYY-MM, not both and not neither',
  });

export function visitRoutes({ db }: AppDeps) {
  return (
    new Hono<AppEnv>()
      .post(
        '/',
        zValidator('header', idempotencyHeader, validationHook),
        zValidator('json', visitInputSchema, validationHook),
        async (c) => {
          const key = c.req.valid('header')['idempotency-key'];
          const input = c.req.valid('json');
          const { visit, replayed } = await asCaller(db, c.get('claims'), (tx) => logVisit(tx, input, key));
          if (replayed) c.header('Idempotent-Replayed', 'true');
          return c.json(visit, replayed ? 200 : 201);
        },
      )
      .get('/timeline', zValidator('query', z.object({ householdId: positiveId('householdId') }), validationHook), async (c) => {
        const { householdId } = c.req.valid('query');
        const result = await asCaller(db, c.get('claims'), (tx) => householdTimeline(tx, householdId));
        if (!result) throw new ApiError(404, 'not_found', `No household with id ${householdId} in your scope.`);
        const entries: (TimelineEntry & { at: string })[] = [
          ...result.visits.map((v) => ({ kind: 'visit' as const, at: v.visitedAt, ...v })),
          ...result.issues.map((i) => ({ kind: 'issue' as const, at: i.receivedAt, ...i })),
          ...result.categoryChanges.map((ch) => ({ kind: 'categories' as const, ...ch })),
        ];
        // Newest first; on the same instant the later-created row (higher id) first.
        entries.sort((a, b) => new Date(b.at).getTime() - new Date(a.at).getTime() || b.id - a.id);
        return c.json({ household: result.household, entries });
      })
      // 按期走访率 for any period, per grid, community or street (docs/metrics.md "Month report").
      .get(
        '/indicators',
        zValidator(
          'query',
          z
            .object({
              from: calendarDateSchema,
              to: calendarDateSchema,
              gridId: positiveId('gridId').optional(),
              communityId: positiveId('communityId').optional(),
            })
            .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['from'] }),
          validationHook,
        ),
        async (c) => {
          const q = c.req.valid('query');
          const t = await asCaller(db, c.get('claims'), (tx) => visitTimeliness(tx, q));
          return c.json({
            from: q.from,
            to: q.to,
            scope: q.gridId ? { gridId: q.gridId } : q.communityId ? { communityId: q.communityId } : { street: true },
            counts: t,
            /** 按期走访率: visits due in the period done by their due date ÷ visits due (null when none fell due). */
            rates: { onTimeVisits: t.due > 0 ? t.onTime / t.due : null },
          });
        },
      )
      .get('/diary', zValidator('query', diaryQuery, validationHook), async (c) => {
        const { date, month, staffId } = c.req.valid('query');
        const { from, to } = month !== undefined ? monthBounds(month) : { from: date!, to: date! };
        const result = await asCaller(db, c.get('claims'), (tx) => workerDiary(tx, staffId, from, to));
        if (!result) throw new ApiError(404, 'not_found', `No staff member with id ${staffId} in your street.`);
        return c.json({
          staffId: result.staff.id,
          staffName: result.staff.name,
          ...(month !== undefined ? { month } : { date }),
          from,
          to,
          ...tallyDiary(result.visits),
          visits: result.visits,
        });
      })
  );
}
