/**
 * Where a geometry import goes, decided by who imports it (docs/import-export.md "Who"):
 *   communities  the street leader, for their street;
 *   grids        community staff into their own community, or the street leader for the whole
 *                street (each grid to the community that contains it);
 *   buildings    community staff, into their own community's grids.
 * The database's policies (20261207001100_imports.sql, 20261209000200_communities.sql) refuse
 * anything else whatever this says; this only turns "not yours" into a clear 403 before any work.
 */
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

export type GeoKind = 'communities' | 'grids' | 'buildings';

export type ImportScope =
  | { level: 'community'; communityId: number; communityCode: string; streetId: number }
  | {
      level: 'street';
      streetId: number;
      streetCode: string;
      /** The street has a boundary of its own (not the union of its communities): communities must lie inside it. */
      bounded: boolean;
    };

/** A scope as the report keeps it, to check at commit that the committer's scope is the dry run's. */
export const scopeKey = (s: ImportScope) => (s.level === 'community' ? `community:${s.communityId}` : `street:${s.streetId}`);

const WHO: Record<GeoKind, string> = {
  communities: 'Communities are imported by the street leader, for their street',
  grids: 'Grids are imported by community staff into their own community, or by the street leader for the whole street',
  buildings: 'Buildings are imported by community staff, into their own community',
};

/** The caller's scope for this kind, or a 403 saying who imports it. */
export async function importScope(tx: Queryable, kind: GeoKind): Promise<ImportScope> {
  const [me] = await tx.query<{
    role: string | null;
    streetId: number | null;
    streetCode: string | null;
    bounded: boolean | null;
    communityId: number | null;
    communityCode: string | null;
    presenting: boolean;
  }>(
    `select me.role::text as role, me.street_id as "streetId", s.code as "streetCode",
            (s.boundary is not null and not s.boundary_from_communities) as bounded,
            c.id as "communityId", c.code as "communityCode", minqing.presenting() as presenting
     from minqing.my_staff() me
     left join public.streets s on s.id = me.street_id
     left join public.communities c on c.id = me.community_id`,
  );
  const refuse = () => new ApiError(403, 'forbidden', `${WHO[kind]}; your account may not import ${kind}.`);
  if (!me || me.presenting) throw refuse();
  if (me.role === 'community_staff' && kind !== 'communities' && me.communityId !== null) {
    return { level: 'community', communityId: me.communityId, communityCode: me.communityCode!, streetId: me.streetId! };
  }
  if (me.role === 'street_leader' && kind !== 'buildings' && me.streetId !== null) {
    return { level: 'street', streetId: me.streetId, streetCode: me.streetCode!, bounded: me.bounded ?? false };
  }
  throw refuse();
}
