/** The audit trail: who changed what and who viewed whose personal data (readable per the database's rules). */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { capabilitiesOf, type StaffRole } from '../../geo/domain/staff';
import type { AppDeps } from '../app';
import { ApiError, validationHook } from '../lib/errors';
import { type AppEnv, asCaller } from '../lib/request-db';

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

const query = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Paging: entries older than this id. */
  before: z.coerce.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional(),
  action: z.enum(['insert', 'update', 'delete', 'view_personal']).optional(),
});

export function auditRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>().get('/', zValidator('query', query, validationHook), async (c) => {
    const { limit, before, action } = c.req.valid('query');
    const entries = await asCaller(db, c.get('claims'), async (tx) => {
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
    });
    return c.json({ entries, next: entries.length === limit ? entries.at(-1)!.id : null });
  });
}
