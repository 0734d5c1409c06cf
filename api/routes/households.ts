/**
 * Households: a grid's list, one household, and revealing one's personal fields for a reason.
 * The statements are in api/households/household-records.ts: the database decides what is
 * masked, and unmasked reads are written to the audit log.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { gridHouseholds, householdDetail, revealHousehold } from '../households/household-records';
import { ApiError, validationHook } from '../lib/errors';
import { positiveId } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

export function householdRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>()
    .get('/', zValidator('query', z.object({ gridId: positiveId('gridId') }), validationHook), async (c) => {
      const { gridId } = c.req.valid('query');
      const households = await asCaller(db, c.get('claims'), (tx) => gridHouseholds(tx, gridId));
      return c.json({ gridId, households });
    })
    .get('/:id', zValidator('param', z.object({ id: positiveId('the household id') }), validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const row = await asCaller(db, c.get('claims'), (tx) => householdDetail(tx, id));
      // Whether a household exists outside the caller's scope is itself private: 404, not 403.
      if (!row) throw new ApiError(404, 'not_found', `No household with id ${id} in your scope.`);
      return c.json(row);
    })
    .post(
      '/:id/reveal',
      zValidator('param', z.object({ id: positiveId('the household id') }), validationHook),
      zValidator('json', z.object({ reason: z.string().trim().min(2, 'give a reason of at least 2 characters').max(200) }), validationHook),
      async (c) => {
        const { id } = c.req.valid('param');
        const { reason } = c.req.valid('json');
        const row = await asCaller(db, c.get('claims'), (tx) => revealHousehold(tx, id, reason));
        if (!row) throw new ApiError(404, 'not_found', `No household with id ${id} in your scope.`);
        return c.json(row);
      },
    );
}
