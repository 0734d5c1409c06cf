/**
 * /api/boundary-proposals: list, the header's summary, approve and reject. What a proposal is
 * and how a decision applies is api/boundaries/boundary-proposals.ts.
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import type { AppDeps } from '../app';
import { approveProposal, listProposals, PROPOSAL_STATUSES, proposalSummary, rejectProposal } from '../boundaries/boundary-proposals';
import { validationHook } from '../lib/errors';
import { positiveId, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

const listQuery = z.object({
  status: z.enum(PROPOSAL_STATUSES, { error: `status is one of ${PROPOSAL_STATUSES.join(', ')}` }).optional(),
  gridId: z.coerce.number().int().positive('gridId must be a positive integer').max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional(),
  // "me": only those the caller has a part in (CONCERNS_ME in api/boundaries/boundary-proposals.ts).
  concerning: z.enum(['me'], { error: 'concerning is "me" (or left out for every proposal of the street)' }).optional(),
});
const idParam = z.object({ id: positiveId('the proposal id') });
const approveBody = z.object({ note: z.string().trim().max(500).optional() }).strict();
const rejectBody = z
  .object({
    note: z
      .string({ error: 'note is required: tell the grid leader why the proposal is rejected' })
      .trim()
      .min(2, 'note must say why (at least 2 characters)')
      .max(500),
  })
  .strict();

export function boundaryProposalRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>()
    .get('/', zValidator('query', listQuery, validationHook), async (c) => {
      const { status, gridId, concerning } = c.req.valid('query');
      const proposals = await asCaller(db, c.get('claims'), (tx) =>
        listProposals(tx, { status, gridId, concerningMe: concerning === 'me' }, today()),
      );
      return c.json({ proposals });
    })

    .get('/summary', async (c) => {
      const summary = await asCaller(db, c.get('claims'), (tx) => proposalSummary(tx));
      return c.json(summary);
    })

    .post('/:id/approve', zValidator('param', idParam, validationHook), zValidator('json', approveBody, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const { note } = c.req.valid('json');
      const result = await asCaller(db, c.get('claims'), (tx) => approveProposal(tx, id, note ?? null, today()));
      return c.json(result);
    })

    .post('/:id/reject', zValidator('param', idParam, validationHook), zValidator('json', rejectBody, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const { note } = c.req.valid('json');
      const proposal = await asCaller(db, c.get('claims'), (tx) => rejectProposal(tx, id, note, today()));
      return c.json({ proposal });
    });
}
