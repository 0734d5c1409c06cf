/**
 * The street's staff, their grid assignments and their sign-ins. Scope is data: the database's
 * policies and minqing.may_manage_staff() decide who may create, change or reset whom (the
 * street leader anyone below them in the street, community staff their own community's grid
 * teams and colleagues); this route turns the request into statements run as the caller, and
 * checks the same rule first only to say, in the caller's language, which field is wrong.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { MANAGEABLE_ROLES, mayManageRole, STAFF_ROLES, type StaffRole } from '../../geo/domain/staff';
import { type Locale, translate } from '../../geo/i18n/strings';
import type { AppDeps } from '../app';
import { requestLocale } from '../auth/locale';
import { inviteAuthUser } from '../auth/supabase-invite';
import { ApiError, validationHook } from '../lib/errors';
import { type AppEnv, asCaller } from '../lib/request-db';
import {
  assignGrids,
  createStaffMember,
  GRID_ROLES,
  listStaff,
  type Manager as Me,
  me,
  setInitialPassword,
  staffById,
  updateStaffRecord,
} from '../staff/staff-members';

const id = z.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`);
const gridIds = z.array(id).max(20, 'a staff member serves at most 20 grids');
const assignment = z.object({ gridIds });
const name = z.string().trim().min(1, 'name is required').max(100);
const phone = z
  .string()
  .trim()
  .regex(/^[0-9+\- ]{5,20}$/, 'phone must be 5 to 20 digits')
  .nullable();
const role = z.enum(STAFF_ROLES);
const newStaff = z.object({
  name,
  phone: phone.optional(),
  email: z.string().trim().toLowerCase().email('email must be an email address').max(254),
  role,
  communityId: id.nullable().optional(),
  gridIds: gridIds.optional(),
});
const staffChange = z
  .object({ name, phone, role, communityId: id.nullable(), gridIds, active: z.boolean() })
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'name, phone, role, communityId, gridIds or active is required');
const idParam = z.object({ id: z.coerce.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`) });

function roleCeiling(locale: Locale, manager: Me, target: StaffRole, path = 'role'): void {
  if (mayManageRole(manager.role, target)) return;
  const allowed = MANAGEABLE_ROLES[manager.role].map((r) => translate(locale, `role_${r}`)).join('、') || '—';
  throw new ApiError(
    403,
    'role_above_own',
    translate(locale, 'staffError_roleAboveOwn', { role: translate(locale, `role_${target}`), allowed }),
    [{ path, reason: 'role_above_own' }],
  );
}

/** A unique email (staff's or a sign-in's) already taken, as a located error; anything else as is. */
function emailTaken(err: unknown, locale: Locale, email: string): never {
  const e = err as { code?: string; constraint?: string; message?: string };
  if (e.code === '23505' && /email/.test(`${e.constraint ?? ''} ${e.message ?? ''}`)) {
    throw new ApiError(409, 'email_taken', translate(locale, 'staffError_emailTaken', { email }), [{ path: 'email', reason: 'taken' }]);
  }
  throw err;
}

const communityOf = (locale: Locale, role: StaffRole, communityId: number | null | undefined, manager: Me) => {
  if (role === 'street_leader' || role === 'presenter') return null;
  // Community staff create only in their own community; saying so is optional for them.
  const community = communityId ?? (manager.role === 'community_staff' ? manager.communityId : null);
  if (community == null) {
    throw new ApiError(
      422,
      'community_required',
      translate(locale, 'staffError_communityRequired', { role: translate(locale, `role_${role}`) }),
      [{ path: 'communityId', reason: 'required' }],
    );
  }
  return community;
};

/** The person (or the community named) is outside what the caller manages. */
const outOfScope = (locale: Locale, details?: unknown) =>
  new ApiError(403, 'out_of_scope', translate(locale, 'staffError_outOfScope'), details);

export function staffRoutes({ db, env }: AppDeps) {
  return new Hono<AppEnv>()
    .get(
      '/',
      zValidator(
        'query',
        z.object({ communityId: z.coerce.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional() }),
        validationHook,
      ),
      async (c) => {
        const { communityId } = c.req.valid('query');
        const staff = await asCaller(db, c.get('claims'), (tx) => listStaff(tx, communityId));
        return c.json({ staff });
      },
    )
    .post('/', zValidator('json', newStaff, validationHook), async (c) => {
      const body = c.req.valid('json');
      const locale = requestLocale(c);
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        const manager = await me(tx);
        roleCeiling(locale, manager, body.role);
        const communityId = communityOf(locale, body.role, body.communityId, manager);
        if (manager.role === 'community_staff' && communityId !== manager.communityId) {
          throw outOfScope(locale, [{ path: 'communityId', reason: 'out_of_scope' }]);
        }
        const supabase = env.supabase;
        // Nothing is created without its sign-in: a failed invitation rolls the staff record back.
        const invite = supabase?.serviceRoleKey
          ? (email: string) =>
              inviteAuthUser({ url: supabase.url, serviceRoleKey: supabase.serviceRoleKey! }, email).catch((err: unknown) => {
                throw new ApiError(502, 'invite_failed', translate(locale, 'staffError_inviteFailed', { email }), {
                  reason: (err as Error).message,
                });
              })
          : undefined;
        return createStaffMember(
          tx,
          manager.streetId,
          { name: body.name, phone: body.phone ?? null, email: body.email, role: body.role, communityId, gridIds: body.gridIds ?? [] },
          { supabase: !!supabase, invite },
        ).catch((err) => emailTaken(err, locale, body.email));
      });
      return c.json(result, 201);
    })
    .patch('/:id', zValidator('param', idParam, validationHook), zValidator('json', staffChange, validationHook), async (c) => {
      const { id: staffId } = c.req.valid('param');
      const change = c.req.valid('json');
      const locale = requestLocale(c);
      const member = await asCaller(db, c.get('claims'), async (tx) => {
        const manager = await me(tx);
        const target = await staffById(tx, staffId);
        if (target.id === manager.staffId && (change.role !== undefined || change.active === false || change.communityId !== undefined)) {
          throw new ApiError(403, 'own_access', translate(locale, 'staffError_ownAccess'));
        }
        if (!mayManageRole(manager.role, target.role)) throw outOfScope(locale);
        const role = change.role ?? target.role;
        roleCeiling(locale, manager, role);
        const communityId =
          change.communityId !== undefined || change.role !== undefined
            ? communityOf(locale, role, change.communityId === undefined ? target.communityId : change.communityId, manager)
            : target.communityId;
        const updated = await updateStaffRecord(tx, staffId, {
          name: change.name,
          phone: change.phone,
          role,
          communityId,
          active: change.active,
        });
        // Visible but not manageable (another community's people): the policy left the row alone.
        if (!updated) throw outOfScope(locale);
        const after = await staffById(tx, staffId);
        // Another community, or a role that serves no grid, leaves no grid the person no longer belongs to.
        const stays = after.communityId === target.communityId && GRID_ROLES.includes(after.role);
        const keep = change.gridIds ?? (stays ? target.gridIds : []);
        await assignGrids(tx, after, keep);
        return staffById(tx, staffId);
      });
      return c.json(member);
    })
    .post('/:id/password-reset', zValidator('param', idParam, validationHook), async (c) => {
      const { id: staffId } = c.req.valid('param');
      if (env.supabase)
        throw new ApiError(404, 'not_found', 'Passwords are reset through the Supabase project configured for this server.');
      const locale = requestLocale(c);
      const initialPassword = await asCaller(db, c.get('claims'), async (tx) => {
        const manager = await me(tx);
        const target = await staffById(tx, staffId);
        if (target.id === manager.staffId || !mayManageRole(manager.role, target.role)) throw outOfScope(locale);
        return setInitialPassword(tx, staffId);
      });
      return c.json({ initialPassword });
    })
    .put('/:id/grids', zValidator('param', idParam, validationHook), zValidator('json', assignment, validationHook), async (c) => {
      const { id: staffId } = c.req.valid('param');
      const member = await asCaller(db, c.get('claims'), async (tx) => {
        await assignGrids(tx, await staffById(tx, staffId), c.req.valid('json').gridIds);
        return staffById(tx, staffId);
      });
      return c.json(member);
    });
}
