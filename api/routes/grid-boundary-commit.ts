/**
 * Redrawing a grid, step two: the commit, and its relatives split, merge and revert, and the
 * history they leave (docs/boundaries.md). The handlers parse and answer; the changes are
 * api/boundaries/boundary-changes.ts, each in the request's one transaction.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { arealSchema, lineStringSchema } from '../../geo/domain/geojson.validation';
import type { AppDeps } from '../app';
import { mergeGrids, mergeRequest, redraw, revertGrid, splitGrid } from '../boundaries/boundary-changes';
import { compareVersions, gridVersions } from '../boundaries/grid-versions';
import { validationHook } from '../lib/errors';
import { positiveId, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

const reasonSchema = z
  .string({ error: 'reason is required: say why the boundary changes (it is kept in the history)' })
  .trim()
  .min(2, 'reason must say why the boundary changes (at least 2 characters)')
  .max(500, 'reason is at most 500 characters');
const versionSchema = z
  .number({ error: 'version is the grid version you edited (properties.version of the grid)' })
  .int()
  .positive()
  .max(MAX_DB_INT, `at most ${MAX_DB_INT}`);

const idParam = z.object({ id: positiveId('the grid id') });

const neighbourSchema = z.object({ gridId: positiveId('neighbours[].gridId'), version: versionSchema, geometry: arealSchema }).strict();

const putSchema = z
  .object({
    geometry: arealSchema,
    version: versionSchema,
    reason: reasonSchema,
    // Optional: the neighbours redrawn with it, when a shared edge moves (both sides change).
    neighbours: z.array(neighbourSchema).max(12).optional(),
  })
  .strict();

const splitSchema = z
  .object({
    line: lineStringSchema,
    version: versionSchema,
    reason: reasonSchema,
    names: z.tuple([z.string().trim().min(1).max(60), z.string().trim().min(1).max(60)]).optional(),
  })
  .strict();

const mergeSchema = z
  .object({
    gridIds: z.tuple([positiveId('gridIds[0], the grid that stays'), positiveId('gridIds[1], the grid merged into it')]),
    versions: z.record(z.string().regex(/^\d+$/, 'versions is keyed by grid id'), versionSchema),
    reason: reasonSchema,
  })
  .strict();

const revertSchema = z.object({ toVersion: versionSchema, version: versionSchema, reason: reasonSchema }).strict();

const compareSchema = z.object({
  from: z.coerce.number().int().positive('from is a version number').max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
  to: z.coerce.number().int().positive('to is a version number').max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
});

// A redraw answers 200 with the grid as it is now or, when it takes another leader's buildings,
// 202 with the proposal; each handler says so itself so that the typed client sees both answers.
export function gridBoundaryCommitRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>()
    .put('/:id/boundary', zValidator('param', idParam, validationHook), zValidator('json', putSchema, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const outcome = await asCaller(db, c.get('claims'), (tx) =>
        redraw(
          tx,
          {
            main: { gridId: id, version: body.version, geometry: body.geometry },
            neighbours: body.neighbours ?? [],
            reason: body.reason,
            kind: 'redrawn',
          },
          today(),
        ),
      );
      if (outcome.status === 'proposed') return c.json({ proposal: outcome.proposal }, 202);
      const { status: _, ...rest } = outcome;
      return c.json(rest, 200);
    })

    .post('/:id/revert', zValidator('param', idParam, validationHook), zValidator('json', revertSchema, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const outcome = await asCaller(db, c.get('claims'), (tx) => revertGrid(tx, id, c.req.valid('json'), today()));
      if (outcome.status === 'proposed') return c.json({ proposal: outcome.proposal }, 202);
      const { status: _, ...rest } = outcome;
      return c.json(rest, 200);
    })

    .post('/:id/split', zValidator('param', idParam, validationHook), zValidator('json', splitSchema, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const result = await asCaller(db, c.get('claims'), (tx) => splitGrid(tx, id, c.req.valid('json'), today()));
      return c.json(result, 200);
    })

    .post('/merge', zValidator('json', mergeSchema, validationHook), async (c) => {
      const merge = mergeRequest(c.req.valid('json'));
      const result = await asCaller(db, c.get('claims'), (tx) => mergeGrids(tx, merge, today()));
      return c.json(result, 200);
    })

    .get('/:id/versions', zValidator('param', idParam, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const versions = await asCaller(db, c.get('claims'), (tx) => gridVersions(tx, id, today()));
      return c.json({ gridId: id, versions });
    })

    .get(
      '/:id/versions/compare',
      zValidator('param', idParam, validationHook),
      zValidator('query', compareSchema, validationHook),
      async (c) => {
        const { id } = c.req.valid('param');
        const { from, to } = c.req.valid('query');
        const row = await asCaller(db, c.get('claims'), (tx) => compareVersions(tx, id, from, to));
        return c.json({ gridId: id, from, to, ...row });
      },
    );
}
