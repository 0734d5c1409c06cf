/**
 * Boundary proposals: a grid leader's redraw that takes buildings from a grid another leader
 * serves is stored, not committed (PUT /api/grids/:id/boundary answers 202). The staff of the
 * grid's community approve it — applied through the same commit path, re-checking versions and
 * validity — or reject it with a note. Every staff member of the street reads them, so the
 * leaders of the grids a proposal touches see it (affectsMe).
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import type { AppDeps } from '../app';
import type { Queryable } from '../db/database';
import { ApiError, validationHook } from '../lib/errors';
import { positiveId, productToday } from '../lib/query-params';
import { asCaller, type AppEnv } from '../lib/request-db';
import { PROPOSAL_COLUMNS, redraw, type BoundaryProposal } from './grid-boundary-commit';
import { MAX_DB_INT } from '../../geo/domain/db-int';

const STATUSES = ['pending', 'approved', 'rejected'] as const;

const listQuery = z.object({
  status: z.enum(STATUSES, { error: `status is one of ${STATUSES.join(', ')}` }).optional(),
  gridId: z.coerce.number().int().positive('gridId must be a positive integer').max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional(),
});
const idParam = z.object({ id: positiveId('the proposal id') });
const approveBody = z.object({ note: z.string().trim().max(500).optional() }).strict();
const rejectBody = z
  .object({ note: z.string({ error: 'note is required: tell the grid leader why the proposal is rejected' }).trim().min(2, 'note must say why (at least 2 characters)').max(500) })
  .strict();

type ProposalRow = BoundaryProposal & { affectsMe: boolean; mayDecide: boolean };

/** Proposals (`where` over `p`), each with what the caller may do about it. */
function proposalsSql(where: string): string {
  return `select ${PROPOSAL_COLUMNS},
       exists (select 1 from minqing.my_staff() me join public.staff_grids sg on sg.staff_id = me.staff_id
               where sg.grid_id = any (p.affected_grid_ids)) as "affectsMe",
       coalesce((select me.role = 'community_staff' and me.community_id = p.community_id and not minqing.presenting()
                 from minqing.my_staff() me), false) as "mayDecide"
     from public.boundary_proposals p where ${where}`;
}

async function loadProposal(tx: Queryable, id: number): Promise<ProposalRow> {
  const [p] = await tx.query<ProposalRow>(proposalsSql('p.id = $1'), [id]);
  if (!p) throw new ApiError(404, 'not_found', `No boundary proposal with id ${id}.`);
  return p;
}

function requireDecider(p: { id: number; status: string; mayDecide: boolean; communityId: number }) {
  if (!p.mayDecide) {
    throw new ApiError(403, 'forbidden', `Boundary proposal ${p.id} is approved or rejected by the staff of community ${p.communityId}.`);
  }
  if (p.status !== 'pending') {
    throw new ApiError(409, 'proposal_decided', `Boundary proposal ${p.id} was already ${p.status}; nothing changed.`, { status: p.status });
  }
}

export function boundaryProposalRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>()
    .get('/', zValidator('query', listQuery, validationHook), async (c) => {
      const { status, gridId } = c.req.valid('query');
      const proposals = await asCaller(db, c.get('claims'), (tx) =>
        tx.query<ProposalRow>(
          `${proposalsSql('($1::text is null or p.status = $1) and ($2::int is null or $2 = any (p.affected_grid_ids))')}
           order by p.proposed_at desc, p.id desc limit 200`,
          [status ?? null, gridId ?? null],
        ),
      );
      return c.json({ proposals });
    })

    .post('/:id/approve', zValidator('param', idParam, validationHook), zValidator('json', approveBody, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const { note } = c.req.valid('json');
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        const p = await loadProposal(tx, id);
        requireDecider(p);
        const outcome = await redraw(
          tx,
          {
            main: { gridId: p.gridId, version: p.baseVersion, geometry: p.geometry },
            neighbours: p.neighbours,
            reason: p.reason,
            kind: 'redrawn',
            proposalId: p.id,
          },
          today(),
        );
        if (outcome.status !== 'committed') throw new Error('an approved proposal is committed, never proposed again');
        await tx.query('select public.decide_boundary_proposal($1, $2, $3, $4)', [id, 'approved', note ?? null, outcome.grid.properties.version]);
        const { status: _, ...committed } = outcome;
        return { proposal: await loadProposal(tx, id), ...committed };
      });
      return c.json(result);
    })

    .post('/:id/reject', zValidator('param', idParam, validationHook), zValidator('json', rejectBody, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const { note } = c.req.valid('json');
      const proposal = await asCaller(db, c.get('claims'), async (tx) => {
        requireDecider(await loadProposal(tx, id));
        await tx.query('select public.decide_boundary_proposal($1, $2, $3, null)', [id, 'rejected', note]);
        return loadProposal(tx, id);
      });
      return c.json({ proposal });
    });
}
