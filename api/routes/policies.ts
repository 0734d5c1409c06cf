/**
 * Visit policies: which categories need visits how often, which visits count, and the attention
 * weights (geo/domain/visit-policy.ts). Reading is open like the map; a change is a new version
 * dated today or later, written under row-level security that admits only the community's staff.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { type PolicySettings, policySettingsSchema } from '../../geo/domain/visit-policy';
import type { AppDeps } from '../app';
import { ApiError, validationHook, validationHookFor } from '../lib/errors';
import { productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

export interface PolicyVersion {
  id: number;
  streetId: number;
  communityId: number | null;
  validFrom: string;
  settings: PolicySettings;
  createdAt: string;
}

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

const COLUMNS = `id, street_id as "streetId", community_id as "communityId", valid_from::text as "validFrom",
  settings, created_at as "createdAt"`;

export function policyRoutes({ db, env }: AppDeps) {
  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const rows = await asCaller(db, c.get('claims'), (tx) =>
        tx.query<PolicyVersion>(`select ${COLUMNS} from public.visit_policies order by community_id nulls first, valid_from`),
      );
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
      const row = await asCaller(db, c.get('claims'), async (tx) => {
        const [community] = await tx.query<{ street_id: number }>('select street_id from public.communities where id = $1', [communityId]);
        if (!community) throw new ApiError(404, 'not_found', `No community with id ${communityId}`);
        const [clash] = await tx.query<{ id: number }>('select id from public.visit_policies where community_id = $1 and valid_from = $2', [
          communityId,
          validFrom,
        ]);
        if (clash) {
          throw new ApiError(
            409,
            'conflict',
            `Community ${communityId} already has a policy version taking effect on ${validFrom}; versions are never edited — choose another date`,
          );
        }
        const [inserted] = await tx.query<PolicyVersion>(
          `with ins as (
               insert into public.visit_policies (street_id, community_id, valid_from, settings, created_by)
               values ($1, $2, $3, $4::jsonb, (select staff_id from public.current_staff_role_and_community()))
               returning *)
             select ${COLUMNS} from ins`,
          [community.street_id, communityId, validFrom, JSON.stringify(settings)],
        );
        return inserted!;
      });
      return c.json(row, 201);
    });
}
