/**
 * Patrols (巡查): a grid leader walks the grid every day for at least half an hour (000 第一篇).
 * Start and stop from a phone, with an optional GPS track, and per grid and day whether the
 * rule was met. Row-level security decides who may start, stop and read
 * (supabase/migrations/*_access.sql).
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { lineStringSchema } from '../../geo/domain/geojson.validation';
import { monthBounds, monthSchema } from '../../geo/domain/period.validation';
import type { AppDeps } from '../app';
import { openPatrol, patrolCompliance, startPatrol, stopPatrol } from '../field-work/patrols';
import { validationHook } from '../lib/errors';
import { positiveId, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

export function patrolRoutes({ db, env }: AppDeps) {
  return (
    new Hono<AppEnv>()
      // The caller's patrol under way, if any: a phone that reloads (or another of the walker's
      // devices) picks up the walk it is in the middle of instead of offering a second start.
      .get('/open', async (c) => {
        const patrol = await asCaller(db, c.get('claims'), openPatrol);
        return c.json({ patrol });
      })
      .post(
        '/',
        zValidator(
          'json',
          z.object({ gridId: z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`) }).strict(),
          validationHook,
        ),
        async (c) => {
          const { gridId } = c.req.valid('json');
          const patrol = await asCaller(db, c.get('claims'), (tx) => startPatrol(tx, gridId));
          return c.json(patrol, 201);
        },
      )
      .post(
        '/:id/stop',
        zValidator('param', z.object({ id: positiveId('the patrol id') }), validationHook),
        zValidator('json', z.object({ track: lineStringSchema.optional() }).strict(), validationHook),
        async (c) => {
          const { id } = c.req.valid('param');
          const { track } = c.req.valid('json');
          const patrol = await asCaller(db, c.get('claims'), (tx) => stopPatrol(tx, id, track));
          return c.json(patrol);
        },
      )
      .get(
        '/compliance',
        zValidator('query', z.object({ gridId: positiveId('gridId'), month: monthSchema }), validationHook),
        async (c) => {
          const { gridId, month } = c.req.valid('query');
          const { from, to } = monthBounds(month);
          const days = await asCaller(db, c.get('claims'), (tx) => patrolCompliance(tx, gridId, from, to, productToday(env)));
          return c.json({
            gridId,
            month,
            days,
            daysMet: days.filter((d) => d.met === true).length,
            daysJudged: days.filter((d) => d.met !== null).length,
          });
        },
      )
  );
}
