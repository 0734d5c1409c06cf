/**
 * Visit policy versions as the database holds them (geo/domain/visit-policy.ts says what a
 * policy is). Read and written as the caller: row-level security admits a new version only from
 * the community's own staff.
 */
import type { PolicySettings } from '../../geo/domain/visit-policy';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

export interface PolicyVersion {
  id: number;
  streetId: number;
  communityId: number | null;
  validFrom: string;
  settings: PolicySettings;
  createdAt: string;
}

const COLUMNS = `id, street_id as "streetId", community_id as "communityId", valid_from::text as "validFrom",
  settings, created_at as "createdAt"`;

/** Every policy version the caller may read: the street's default first, then by community and date. */
export function listPolicyVersions(tx: Queryable): Promise<PolicyVersion[]> {
  return tx.query<PolicyVersion>(`select ${COLUMNS} from public.visit_policies order by community_id nulls first, valid_from`);
}

/** Adds community `communityId`'s policy version taking effect on `validFrom` (409 when one already does). */
export async function addPolicyVersion(
  tx: Queryable,
  communityId: number,
  validFrom: string,
  settings: PolicySettings,
): Promise<PolicyVersion> {
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
}
