/**
 * A grid's code and name after import (issue #8): PATCH /api/grids/:id with
 * `{code?, name?, expectedVersion, reason?}`. The checks and the update are
 * api/grids/grid-labels.ts.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { placeCodeSchema, placeNameSchema } from '../../geo/domain/place-label.validation';
import type { AppDeps } from '../app';
import { relabelGrid } from '../grids/grid-labels';
import { validationHook } from '../lib/errors';
import { positiveId } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

const patchSchema = z
  .object({
    code: placeCodeSchema.optional(),
    name: placeNameSchema.optional(),
    expectedVersion: z
      .number({ error: 'expectedVersion is the grid version you saw (properties.version of the grid)' })
      .int()
      .positive()
      .max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
    reason: z.string({ error: 'reason is a string' }).trim().max(500, 'reason is at most 500 characters').optional(),
  })
  .strict()
  .refine((b) => b.code !== undefined || b.name !== undefined, { message: 'send code, name or both', path: ['code'] });

export function gridLabelRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>().patch(
    '/:id',
    zValidator('param', z.object({ id: positiveId('the grid id') }), validationHook),
    zValidator('json', patchSchema, validationHook),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const result = await asCaller(db, c.get('claims'), (tx) => relabelGrid(tx, id, body));
      return c.json(result, 200);
    },
  );
}
