/** The audit trail: who changed what and who viewed whose personal data (readable per the database's rules). */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import type { AppDeps } from '../app';
import { auditEntries } from '../audit/audit-records';
import { validationHook } from '../lib/errors';
import { type AppEnv, asCaller } from '../lib/request-db';

const query = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Paging: entries older than this id. */
  before: z.coerce.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional(),
  action: z.enum(['insert', 'update', 'delete', 'view_personal']).optional(),
});

export function auditRoutes({ db }: AppDeps) {
  return new Hono<AppEnv>().get('/', zValidator('query', query, validationHook), async (c) => {
    const { limit, before, action } = c.req.valid('query');
    const entries = await asCaller(db, c.get('claims'), (tx) => auditEntries(tx, { limit, before, action }));
    return c.json({ entries, next: entries.length === limit ? entries.at(-1)!.id : null });
  });
}
