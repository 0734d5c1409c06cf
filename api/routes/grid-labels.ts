/**
 * A grid's code and name after import (issue #8): PATCH /api/grids/:id with
 * `{code?, name?, expectedVersion, reason?}`. The checks and the update are
 * api/grids/grid-labels.ts.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { relabelGrid } from '../grids/grid-labels';
import { validationHook } from '../lib/errors';
import { positiveId } from '../lib/query-params';
import { asCaller, type AppEnv } from '../lib/request-db';

/** Letters, digits and the separators cities put in codes; no spaces, so a code is one word on a board. */
export const GRID_CODE_CHARS = /^[\p{L}\p{N}][\p{L}\p{N}._\-/]*$/u;

const patchSchema = z
  .object({
    code: z
      .string({ error: 'code is a string' })
      .trim()
      .min(1, 'code must not be empty')
      .max(40, 'code is at most 40 characters')
      .regex(GRID_CODE_CHARS, 'code holds letters, digits and . _ - / only, starting with a letter or digit')
      .optional(),
    name: z
      .string({ error: 'name is a string' })
      .trim()
      .min(1, 'name must not be empty')
      .max(60, 'name is at most 60 characters')
      // eslint-disable-next-line no-control-regex
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'name must not hold control characters')
      .optional(),
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
