/**
 * The demo accounts the sign-in page lists (GET /api/auth/config). Listed only on the demo
 * street, where their password is published in the README anyway; read as the owner, since the
 * sign-in page has no caller yet.
 */
import type { StaffRole } from '../../geo/domain/staff';
import type { Queryable } from '../db/database';

/** The demo street's local accounts, by role then email; none when no street is the demo. */
export async function listedDemoAccounts(db: Queryable): Promise<{ email: string; role: StaffRole }[]> {
  const [demo] = await db.query<{ demo: boolean }>('select coalesce(bool_or(is_demo), false) as demo from public.streets');
  if (!demo?.demo) return [];
  return db.query<{ email: string; role: StaffRole }>(
    `select a.email, s.role::text as role from minqing.local_accounts a join public.staff s on s.user_id = a.user_id
     where a.email like '%@demo.local' order by array_position(enum_range(null::public.staff_role), s.role), a.email`,
  );
}
