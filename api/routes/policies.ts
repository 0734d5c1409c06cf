/**
 * Visit policies: which categories need visits how often, which visits count, and the attention
 * weights (geo/domain/visit-policy.ts). Reading is open like the map; a change is a new version
 * dated today or later, written under row-level security that admits only the community's staff.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { policySettingsSchema } from '../../geo/domain/visit-policy';
import type { AppDeps } from '../app';
import { ApiError, validationHook, validationHookFor } from '../lib/errors';
import { productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';
import { addPolicyVersion, listPolicyVersions } from '../policies/visit-policies';

const communityParam = z.object({
  communityId: z.coerce
    .number({ error: 'communityId must be a number' })
    .int()
    .positive('communityId must be a positive integer')
    .max(MAX_DB_INT, `at most ${MAX_DB_INT}`),
});

const body = z
  .object({
    validFrom: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'validFrom must be a date as YYYY-MM-DD')
      .optional(),
    settings: policySettingsSchema,
  })
  .strict();

/** Policy problems are a 422: the request is well-formed JSON, but the policy is not acceptable. */
const policyHook = validationHookFor('invalid_policy', 422);

export function policyRoutes({ db, env }: AppDeps) {
  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const rows = await asCaller(db, c.get('claims'), listPolicyVersions);
      return c.json({ policies: rows });
    })
    .put('/:communityId', zValidator('param', communityParam, validationHook), zValidator('json', body, policyHook), async (c) => {
      const { communityId } = c.req.valid('param');
      const { validFrom = productToday(env), settings } = c.req.valid('json');
      if (validFrom < productToday(env)) {
        throw new ApiError(
          422,
          'invalid_policy',
          `validFrom ${validFrom} is in the past: a policy change takes effect today or later, so past dates keep the rules they were judged by`,
          [{ path: 'validFrom', message: 'must be today or later' }],
        );
      }
      if (settings.gridHouseholds.min > settings.gridHouseholds.max) {
        throw new ApiError(422, 'invalid_policy', 'gridHouseholds.min must not exceed gridHouseholds.max', [
          { path: 'gridHouseholds', message: 'min > max' },
        ]);
      }
      const row = await asCaller(db, c.get('claims'), (tx) => addPolicyVersion(tx, communityId, validFrom, settings));
      return c.json(row, 201);
    });
}
