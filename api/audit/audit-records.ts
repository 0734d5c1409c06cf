/**
 * The audit trail as the caller may read it (public.audit_records; the database's rules decide
 * which entries): who changed what and who viewed whose personal data.
 */
import { capabilitiesOf, type StaffRole } from '../../geo/domain/staff';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

export interface AuditEntry {
  id: number;
  at: string;
  staffId: number | null;
  staffName: string | null;
  action: 'insert' | 'update' | 'delete' | 'view_personal';
  table: string;
  rowIds: number[];
  communityId: number | null;
  oldValues: Record<string, unknown> | null;
  newValues: Record<string, unknown> | null;
  reason: string | null;
}

/** A page of the trail, newest first: `limit` entries older than entry `before`, of one action if given. */
export interface AuditPage {
  limit: number;
  before?: number | undefined;
  action?: AuditEntry['action'] | undefined;
}

/** The page of entries, for those whose role reads the trail (403 otherwise). */
export async function auditEntries(tx: Queryable, { limit, before, action }: AuditPage): Promise<AuditEntry[]> {
  const [me] = await tx.query<{ role: StaffRole }>('select role::text as role from minqing.my_staff()');
  if (!capabilitiesOf(me?.role ?? null).readAudit) {
    throw new ApiError(403, 'forbidden', 'The audit trail is for community staff and the street leader.');
  }
  return tx.query<AuditEntry>(
    `select id, at, staff_id as "staffId", staff_name as "staffName", action, table_name as "table",
            row_ids as "rowIds", community_id as "communityId", old_values as "oldValues",
            new_values as "newValues", reason
     from public.audit_records
     where ($1::bigint is null or id < $1) and ($2::text is null or action = $2)
     order by id desc limit $3`,
    [before ?? null, action ?? null, limit],
  );
}
