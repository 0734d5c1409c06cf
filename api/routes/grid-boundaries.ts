/**
 * POST /api/grids/:id/boundary/preview: the checks and impact of a redrawn boundary, nothing
 * saved (api/boundaries/boundary-preview.ts does the work).
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { arealSchema } from '../../geo/domain/geojson.validation';
import type { AppDeps } from '../app';
import { type Areal, previewBoundary, requireBoundaryEditor } from '../boundaries/boundary-preview';
import { ApiError, validationHook } from '../lib/errors';
import { positiveId, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

export function gridBoundaryRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>().post(
    '/:id/boundary/preview',
    zValidator('param', z.object({ id: positiveId('the grid id') }), validationHook),
    zValidator(
      'json',
      z
        .object({
          geometry: arealSchema,
          // Neighbours redrawn in the same change (the editor's "neighbours follow"), as the PUT takes them.
          neighbours: z
            .array(
              z
                .object({
                  gridId: positiveId('neighbours[].gridId'),
                  version: z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional(),
                  geometry: arealSchema,
                })
                .strict(),
            )
            .max(20, 'at most 20 neighbours change with one grid')
            .optional(),
        })
        .strict(),
      validationHook,
    ),
    async (c) => {
      const { id } = c.req.valid('param');
      const { geometry, neighbours = [] } = c.req.valid('json');
      if (neighbours.some((n) => n.gridId === id)) {
        throw new ApiError(422, 'invalid_request', `neighbours must not include grid ${id} itself; its new shape is \`geometry\`.`);
      }
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        await requireBoundaryEditor(tx, id);
        return previewBoundary(
          tx,
          id,
          geometry,
          today(),
          neighbours.map((n) => ({ gridId: n.gridId, geometry: n.geometry as Areal })),
        );
      });
      return c.json(result);
    },
  );
}
