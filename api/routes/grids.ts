import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import type { AppDeps } from '../app';
import { gridCollection } from '../grids/grid-features';
import { gridOverdue, visitsToNextBand } from '../grids/grid-overdue';
import { ApiError, validationHook } from '../lib/errors';
import { asOfParam, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

const idParam = z.object({
  id: z.coerce
    .number({ error: 'the grid id must be a number' })
    .int()
    .positive('the grid id must be a positive integer')
    .max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
});

export function gridRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>()
    .get(
      '/:id/overdue',
      zValidator('param', idParam, validationHook),
      zValidator('query', z.object({ asOf: asOfParam(today) }), validationHook),
      async (c) => {
        const { id } = c.req.valid('param');
        const { asOf } = c.req.valid('query');
        const result = await asCaller(db, c.get('claims'), (tx) => gridOverdue(tx, id, asOf));
        if (!result) throw new ApiError(404, 'not_found', `No grid with id ${id}`);
        const { grid, households } = result;
        return c.json({
          asOf,
          gridId: grid.id,
          gridName: grid.name,
          households: grid.households,
          coveredHouseholds: grid.covered,
          nextBand: visitsToNextBand(grid.households, grid.covered),
          overdue: households,
        });
      },
    )
    .get('/', zValidator('query', z.object({ asOf: asOfOrCurrent(today) }), validationHook), async (c) => {
      const { asOf } = c.req.valid('query');
      const grids = await asCaller(db, c.get('claims'), (tx) => gridCollection(tx, asOf));
      return c.json(grids);
    });
}

/** `asOf` when given (a past date, validated like the statistics'), else null: today's live grids. */
const asOfOrCurrent = (today: () => string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === '') return null;
      const parsed = asOfParam(today).safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
        return z.NEVER;
      }
      return parsed.data;
    });
