/**
 * The street's staff and their grid assignments. Scope is data: community staff assign their
 * community's people to grids (one person may serve two), and the database's policies decide
 * who may — this route only turns the request into statements run as the caller.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import type { AppDeps } from '../app';
import type { StaffRole } from '../../geo/domain/staff';
import { ApiError, validationHook } from '../lib/errors';
import { asCaller, type AppEnv } from '../lib/request-db';
import { MAX_DB_INT } from '../../geo/domain/db-int';

export interface StaffMember {
  id: number;
  name: string;
  role: StaffRole;
  communityId: number | null;
  phone: string | null;
  active: boolean;
  gridIds: number[];
}

const STAFF_SQL = `
  select s.id, s.name, s.role::text as role, s.community_id as "communityId", s.phone, s.active,
    coalesce(array(select sg.grid_id from public.staff_grids sg where sg.staff_id = s.id order by sg.grid_id), '{}') as "gridIds"
  from public.staff s`;

const assignment = z.object({
  gridIds: z.array(z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`)).max(20, 'a staff member serves at most 20 grids'),
});

export function staffRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>()
    .get('/', zValidator('query', z.object({ communityId: z.coerce.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional() }), validationHook), async (c) => {
      const { communityId } = c.req.valid('query');
      const staff = await asCaller(db, c.get('claims'), (tx) =>
        tx.query<StaffMember>(`${STAFF_SQL} where ($1::int is null or s.community_id = $1) order by s.community_id nulls first, s.role, s.name`, [
          communityId ?? null,
        ]),
      );
      return c.json({ staff });
    })
    .put(
      '/:id/grids',
      zValidator('param', z.object({ id: z.coerce.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`) }), validationHook),
      zValidator('json', assignment, validationHook),
      async (c) => {
        const { id } = c.req.valid('param');
        const gridIds = [...new Set(c.req.valid('json').gridIds)];
        const member = await asCaller(db, c.get('claims'), async (tx) => {
          const [target] = await tx.query<StaffMember>(`${STAFF_SQL} where s.id = $1`, [id]);
          if (!target) throw new ApiError(404, 'not_found', `No staff member with id ${id}.`);
          if (!['grid_leader', 'grid_member'].includes(target.role)) {
            throw new ApiError(422, 'not_a_grid_role', `Staff member ${id} is ${target.role}; only grid leaders and members are assigned to grids.`);
          }
          const outside = await tx.query<{ id: number }>(
            `select g as id from unnest($1::int[]) g where g not in (select id from public.grids where community_id = $2)`,
            [gridIds, target.communityId],
          );
          if (outside.length > 0) {
            throw new ApiError(422, 'grid_outside_community', `Grids ${outside.map((r) => r.id).join(', ')} are not in the staff member's community.`, {
              gridIds: outside.map((r) => r.id),
            });
          }
          // Row-level security refuses (403) anyone but this community's staff, for each row.
          await tx.query('delete from public.staff_grids where staff_id = $1 and grid_id <> all($2::int[])', [id, gridIds]);
          await tx.query(
            'insert into public.staff_grids (staff_id, grid_id) select $1, g from unnest($2::int[]) g on conflict do nothing',
            [id, gridIds],
          );
          const [after] = await tx.query<StaffMember>(`${STAFF_SQL} where s.id = $1`, [id]);
          return after!;
        });
        return c.json(member);
      },
    );
}
