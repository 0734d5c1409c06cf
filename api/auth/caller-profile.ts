/**
 * Who is calling, as GET /api/auth/me tells the web app: their staff record with its community
 * and grids, the grids they see in full and masked, and whether they administer the
 * installation. Read as the caller, so it is what row-level security makes of them.
 */
import type { Capabilities, StaffRole } from '../../geo/domain/staff';
import type { Queryable } from '../db/database';

export interface Me {
  userId: string;
  email: string;
  presenting: boolean;
  /** The password is a one-time one: the web app asks for a new one before anything else. */
  mustChangePassword: boolean;
  staff: {
    id: number;
    name: string;
    role: StaffRole;
    communityId: number | null;
    communityName: string | null;
    grids: { id: number; name: string }[];
  } | null;
  /** An installation administrator: creates streets, sees no street's data (docs/setup.md). */
  installationAdmin: boolean;
  /** Grids whose people the caller sees in full, and those it sees masked. */
  scope: { fullGridIds: number[]; visibleGridIds: number[] };
  can: Capabilities;
}

/** The caller's staff record (null without one), grid scope and installation-admin flag. */
export async function callerProfile(tx: Queryable): Promise<Pick<Me, 'staff' | 'scope' | 'installationAdmin'>> {
  const [staff] = await tx.query<NonNullable<Me['staff']>>(
    `select s.id, s.name, s.role::text as role, s.community_id as "communityId", c.name as "communityName",
            coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.code)
                      from public.staff_grids sg join public.grids g on g.id = sg.grid_id
                      where sg.staff_id = s.id), '[]'::json) as grids
     from minqing.my_staff() m join public.staff s on s.id = m.staff_id
     left join public.communities c on c.id = s.community_id`,
  );
  const [scope] = await tx.query<Me['scope'] & { installationAdmin: boolean }>(
    `select minqing.full_grid_ids() as "fullGridIds", minqing.visible_grid_ids() as "visibleGridIds",
            minqing.is_installation_admin() as "installationAdmin"`,
  );
  const { installationAdmin, ...grids } = scope!;
  return { staff: staff ?? null, scope: grids, installationAdmin };
}
