/**
 * 民情民意事项: registration, the handling board, one matter with its timeline, transitions, the
 * map's pins and the indicators. Which transitions exist is decided by geo/domain/issue.transitions.ts;
 * who may make them, and who sees reporters' personal fields, by the database (docs/access.md).
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { pointSchema } from '../../geo/domain/geojson.validation';
import { ISSUE_CATEGORIES, ISSUE_COMPLEXITIES, ISSUE_EVALUATIONS, ISSUE_STATUSES, ISSUE_TIERS } from '../../geo/domain/issue';
import { allowedActions, ISSUE_ACTIONS } from '../../geo/domain/issue.transitions';
import type { AppDeps } from '../app';
import { issueIndicatorCounts, issuePins, issueWithEvents, listIssues, registerIssue, transitionIssue } from '../issues/issue-records';
import { ApiError, validationHook } from '../lib/errors';
import { asOfParam, positiveId, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

const registration = z
  .object({
    category: z.enum(ISSUE_CATEGORIES),
    description: z.string().trim().min(1, 'describe the matter').max(5000),
    location: pointSchema,
    complexity: z.enum(ISSUE_COMPLEXITIES),
    tier: z.enum(ISSUE_TIERS).default('on_spot'),
    householdId: z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional(),
    buildingId: z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional(),
    /** When the matter was received, if entered later from a paper form; defaults to now. */
    receivedAt: z.iso
      .datetime({ offset: true, error: 'receivedAt must be an ISO time with its offset, e.g. 2026-11-20T09:30:00+08:00' })
      .optional(),
    reporter: z
      .object({
        name: z.string().trim().max(100).optional(),
        address: z.string().trim().max(300).optional(),
        workUnit: z.string().trim().max(200).optional(),
        contact: z.string().trim().max(100).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();

const transition = z
  .object({
    to: z.enum(ISSUE_ACTIONS),
    note: z.string().trim().max(2000).optional(),
    evaluation: z.enum(ISSUE_EVALUATIONS).optional(),
    days: z.number().int().optional(),
  })
  .strict();

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (!raw) return undefined;
      const list = raw.split(',').map((s) => s.trim());
      const bad = list.filter((v) => !(values as readonly string[]).includes(v));
      if (bad.length) {
        ctx.addIssue({ code: 'custom', message: `unknown value(s) ${bad.join(', ')}; expected some of ${values.join(', ')}` });
        return z.NEVER;
      }
      return list as T[number][];
    });

const listQuery = z.object({
  status: csv(ISSUE_STATUSES),
  category: csv(ISSUE_CATEGORIES),
  tier: csv(ISSUE_TIERS),
  overdue: z.enum(['true', 'false']).optional(),
  gridId: positiveId('gridId').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  offset: z.coerce.number().int().min(0).max(MAX_DB_INT, `at most ${MAX_DB_INT}`).default(0),
});

const periodQuery = (today: () => string) =>
  z
    .object({
      from: asOfParam(today),
      to: asOfParam(today),
      gridId: positiveId('gridId').optional(),
      communityId: positiveId('communityId').optional(),
    })
    .refine((q) => q.from <= q.to, { message: 'from must not be after to', path: ['from'] });

const rate = (num: number, den: number) => (den === 0 ? null : Math.round((num / den) * 1000) / 1000);

export function issueRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>()
    .post('/', zValidator('json', registration, validationHook), async (c) => {
      const input = c.req.valid('json');
      const receivedAt = input.receivedAt ?? new Date().toISOString();
      if (Date.parse(receivedAt) > Date.now() + 5 * 60_000) {
        throw new ApiError(422, 'received_in_future', `receivedAt ${receivedAt} is in the future.`);
      }
      const created = await asCaller(db, c.get('claims'), (tx) => registerIssue(tx, input, receivedAt));
      return c.json(created, 201);
    })
    .get('/', zValidator('query', listQuery, validationHook), async (c) => {
      const q = c.req.valid('query');
      const issues = await asCaller(db, c.get('claims'), (tx) =>
        listIssues(tx, { ...q, overdue: q.overdue === undefined ? undefined : q.overdue === 'true' }),
      );
      return c.json({ issues });
    })
    .get('/pins', zValidator('query', z.object({ asOf: asOfParam(today) }), validationHook), async (c) => {
      const { asOf } = c.req.valid('query');
      const pins = await asCaller(db, c.get('claims'), (tx) => issuePins(tx, asOf));
      return c.json({
        type: 'FeatureCollection' as const,
        asOf,
        features: pins.map(({ lon, lat, ...p }) => ({
          type: 'Feature' as const,
          id: p.id,
          geometry: { type: 'Point' as const, coordinates: [lon, lat] },
          properties: p,
        })),
      });
    })
    .get('/indicators', zValidator('query', periodQuery(today), validationHook), async (c) => {
      const q = c.req.valid('query');
      const t = await asCaller(db, c.get('claims'), (tx) => issueIndicatorCounts(tx, q));
      return c.json({
        from: q.from,
        to: q.to,
        scope: q.gridId ? { gridId: q.gridId } : q.communityId ? { communityId: q.communityId } : { street: true },
        counts: t,
        /** 办结率, 按期办结率, 群众满意率 as fractions (null when the denominator is 0). */
        rates: {
          closure: rate(t.closed, t.registered),
          onTimeClosure: rate(t.closedOnTime, t.closed),
          satisfaction: rate(t.satisfied, t.rated),
        },
      });
    })
    .get('/:id', zValidator('param', z.object({ id: positiveId('the issue id') }), validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const result = await asCaller(db, c.get('claims'), (tx) => issueWithEvents(tx, id));
      if (!result) throw new ApiError(404, 'not_found', `No issue with id ${id} in your scope.`);
      const { issue, events } = result;
      // Only those who may handle it (full access to its grid: an unmasked record) are offered actions.
      const actions = issue.masked ? [] : allowedActions({ status: issue.status, tier: issue.tier, escalatedFrom: issue.escalatedFrom });
      return c.json({ ...issue, events, actions });
    })
    .post(
      '/:id/transitions',
      zValidator('param', z.object({ id: positiveId('the issue id') }), validationHook),
      zValidator('json', transition, validationHook),
      async (c) => {
        const { id } = c.req.valid('param');
        const input = c.req.valid('json');
        const result = await asCaller(db, c.get('claims'), (tx) => transitionIssue(tx, id, input));
        const { issue, events, next } = result;
        return c.json({ ...issue, events, actions: allowedActions(next) });
      },
    );
}
