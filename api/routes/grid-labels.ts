/**
 * A grid's code and name after import (issue #8): PATCH /api/grids/:id with
 * `{code?, name?, expectedVersion, reason?}`. The code is checked against the street's scheme
 * (streets.grid_code_pattern: the 15-digit scheme when null, else the street's own pattern) and
 * must be free in the street; the name must be free in the community. The update runs as the
 * caller, so row-level security decides who (community staff, own community, not presenting),
 * and the grids' triggers write the new version (kind 'recoded' or 'renamed') into the history
 * (supabase/migrations/20261129000100_grid_codes.sql).
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { GRID_CODE_REASON, gridCodeExample, validateGridCodeInScheme, type GridCodeReason } from '../../geo/import/grid-code';
import { ApiError, validationHook } from '../lib/errors';
import { positiveId } from '../lib/query-params';
import { asCaller, type AppEnv } from '../lib/request-db';
import { gridFeature } from './grid-boundary-commit';

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

const REASON_TEXT: Record<GridCodeReason, string> = {
  [GRID_CODE_REASON.FORMAT]: 'is not 15 digits (district 6 + street 3 + community 3 + grid sequence 3)',
  [GRID_CODE_REASON.ZERO_PART]: 'has a part that is all zeros (district, street, community or sequence)',
  [GRID_CODE_REASON.PREFIX_MISMATCH]: "does not start with the grid's community code",
  [GRID_CODE_REASON.STREET_PATTERN]: "does not follow this street's own code scheme",
};

interface GridRow {
  id: number;
  code: string;
  name: string;
  version: number;
  communityId: number;
  communityCode: string;
  streetPattern: string | null;
  retired: boolean;
  mayEdit: boolean;
  changedBy: string | null;
  changedAt: string | null;
  changeKind: string | null;
}

export function gridLabelRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>().patch(
    '/:id',
    zValidator('param', z.object({ id: positiveId('the grid id') }), validationHook),
    zValidator('json', patchSchema, validationHook),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        const [g] = await tx.query<GridRow>(
          `select g.id, g.code, g.name, g.version, g.community_id as "communityId", cm.code as "communityCode",
                  s.grid_code_pattern as "streetPattern", g.retired_at is not null as retired,
                  (g.community_id = minqing.my_managed_community() and not minqing.presenting()) as "mayEdit",
                  public.staff_display_name(v.staff_id) as "changedBy", to_json(nullif(v.valid_from, '-infinity'))#>>'{}' as "changedAt",
                  v.kind as "changeKind"
           from public.grids g
           join public.communities cm on cm.id = g.community_id
           join public.streets s on s.id = cm.street_id
           left join public.grid_versions v on v.grid_id = g.id and v.valid_to is null
           where g.id = $1`,
          [id],
        );
        if (!g) throw new ApiError(404, 'not_found', `No grid with id ${id}.`);
        // The same rule as the policy on public.grids, asked first so the refusal comes before any
        // judgement of the code; the update below is refused by the policy itself all the same.
        if (!g.mayEdit) {
          throw new ApiError(403, 'forbidden', `You may not change the code or name of grid ${g.code}: codes and names are kept by the staff of the grid's community.`);
        }
        if (g.retired) {
          throw new ApiError(409, 'grid_retired', `Grid ${g.code} was merged into another grid and retired; its code and name stay as they were.`, { gridId: id });
        }
        if (g.version !== body.expectedVersion) {
          throw new ApiError(
            409,
            'stale_version',
            `Grid ${g.code} was changed by ${g.changedBy ?? 'someone'} at ${g.changedAt ?? 'since the street was loaded'} (${g.changeKind ?? 'created'}): ` +
              `it is now at version ${g.version}, you saw version ${body.expectedVersion}. Reload the grid and make your change again.`,
            { gridId: id, currentVersion: g.version, yourVersion: body.expectedVersion, changedBy: g.changedBy, changedAt: g.changedAt, kind: g.changeKind },
          );
        }
        const code = body.code ?? g.code;
        const name = body.name ?? g.name;
        if (code !== g.code) {
          const scheme = { streetPattern: g.streetPattern, communityCode: g.communityCode };
          const check = validateGridCodeInScheme(code, scheme);
          if (!check.valid) {
            const example = gridCodeExample(scheme);
            throw new ApiError(
              422,
              'invalid_grid_code',
              `The code ${code} ${REASON_TEXT[check.reason]}` +
                (g.streetPattern ? ` (the pattern ${g.streetPattern}).` : `; a code of this grid's community looks like ${example}.`),
              { reason: check.reason, code, pattern: g.streetPattern, example },
            );
          }
          const [holder] = await tx.query<{ id: number; name: string; communityName: string }>(
            `select g.id, g.name, cm.name as "communityName" from public.grids g join public.communities cm on cm.id = g.community_id
             where g.code = $1 and g.id <> $2`,
            [code, id],
          );
          if (holder) {
            throw new ApiError(409, 'code_taken', `The code ${code} belongs to grid ${holder.name} (id ${holder.id}, ${holder.communityName}); give this grid another code.`, {
              code,
              gridId: holder.id,
              gridName: holder.name,
            });
          }
          const [elsewhere] = await tx.query('select 1 from minqing.taken_grid_codes($1::text[])', [[code]]);
          if (elsewhere) {
            throw new ApiError(409, 'code_taken', `The code ${code} belongs to a grid of another street; give this grid another code.`, { code, gridId: null, gridName: null });
          }
        }
        if (name !== g.name) {
          const [same] = await tx.query<{ id: number; code: string }>(
            'select id, code from public.grids where community_id = $1 and btrim(name) = $2 and id <> $3 and retired_at is null',
            [g.communityId, name, id],
          );
          if (same) {
            throw new ApiError(409, 'name_taken', `The community already has a grid named ${name} (${same.code}); choose another name.`, { name, gridId: same.id, gridCode: same.code });
          }
        }
        if (code === g.code && name === g.name) return { grid: await gridFeature(tx, id), changed: false };
        await tx.query(`select set_config('minqing.change_reason', $1, true)`, [body.reason ?? '']);
        const updated = await tx.query(
          'update public.grids set code = $2, name = $3 where id = $1 and version = $4 returning id',
          [id, code, name, body.expectedVersion],
        ).catch((e: unknown) => {
          // Another street's grid took the code between the check and the update.
          if ((e as { code?: string }).code === '23505') {
            throw new ApiError(409, 'code_taken', `The code ${code} was just given to another grid; give this grid another code.`, { code, gridId: null, gridName: null });
          }
          throw e;
        });
        if (updated.length !== 1) throw new ApiError(403, 'forbidden', `You may not change the code or name of grid ${g.code}.`);
        return { grid: await gridFeature(tx, id), changed: true };
      });
      return c.json(result, 200);
    },
  );
}
