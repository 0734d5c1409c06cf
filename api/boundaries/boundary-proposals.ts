/**
 * Boundary proposals: a grid leader's redraw that takes buildings from a grid another leader
 * serves is stored, not committed (PUT /api/grids/:id/boundary answers 202). The staff of the
 * grid's community approve it — applied through the same commit path, re-checking versions and
 * validity — or reject it with a note. Every staff member of the street reads them, so the
 * leaders of the grids a proposal touches see it (affectsMe).
 */
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { redraw } from './boundary-changes';
import { type BoundaryProposal, PROPOSAL_COLUMNS } from './proposal-record';

export const PROPOSAL_STATUSES = ['pending', 'approved', 'rejected'] as const;

export type ProposalRow = BoundaryProposal & {
  affectsMe: boolean;
  mayDecide: boolean;
  proposedByMe: boolean;
  /** Households in the buildings moving into / out of the grid, counted today. */
  householdsIn: number;
  householdsOut: number;
};

/**
 * Proposals (`where` over `p` and the caller `me`), each with what the caller may do about it.
 * A proposal concerns the caller when they decide it (community staff of its community), made it,
 * or serve one of the grids it redraws or takes buildings from.
 */
function proposalsSql(where: string, todayParam: string): string {
  return `select ${PROPOSAL_COLUMNS},
       coalesce(mine.affects, false) as "affectsMe",
       coalesce(me.role = 'community_staff' and me.community_id = p.community_id and not minqing.presenting(), false) as "mayDecide",
       coalesce(p.proposed_by = me.staff_id, false) as "proposedByMe",
       moving.households_in as "householdsIn", moving.households_out as "householdsOut"
     from public.boundary_proposals p
     left join lateral (select * from minqing.my_staff()) me on true
     left join lateral (select exists (select 1 from public.staff_grids sg
                                       where sg.staff_id = me.staff_id and sg.grid_id = any (p.affected_grid_ids)) as affects) mine on true
     cross join lateral (
       select coalesce(sum(c.households) filter (where s.dir = 'in'), 0)::int as households_in,
              coalesce(sum(c.households) filter (where s.dir = 'out'), 0)::int as households_out
       from (select 'in' as dir, jsonb_array_elements_text(coalesce(p.impact -> 'buildingsIn', '[]'))::int as building_id
             union all
             select 'out', jsonb_array_elements_text(coalesce(p.impact -> 'buildingsOut', '[]'))::int) s
       join public.building_household_counts(${todayParam}::date) c on c.building_id = s.building_id) moving
     where ${where}`;
}

/** The caller has a part in the proposal: decides it, made it, or serves a grid it touches. */
const CONCERNS_ME = `((me.role = 'community_staff' and me.community_id = p.community_id) or p.proposed_by = me.staff_id or coalesce(mine.affects, false))`;

async function loadProposal(tx: Queryable, id: number, today: string): Promise<ProposalRow> {
  const [p] = await tx.query<ProposalRow>(proposalsSql('p.id = $1', '$2'), [id, today]);
  if (!p) throw new ApiError(404, 'not_found', `No boundary proposal with id ${id}.`);
  return p;
}

function requireDecider(p: { id: number; status: string; mayDecide: boolean; communityId: number }) {
  if (!p.mayDecide) {
    throw new ApiError(403, 'forbidden', `Boundary proposal ${p.id} is approved or rejected by the staff of community ${p.communityId}.`);
  }
  if (p.status !== 'pending') {
    throw new ApiError(409, 'proposal_decided', `Boundary proposal ${p.id} was already ${p.status}; nothing changed.`, {
      status: p.status,
    });
  }
}

/**
 * Records the decision. Two staff deciding the same proposal at once both find it pending; the
 * database function locks the row, so the second waits and then finds it decided: that is a 409
 * for the second, not a failure (it was a 500 before the concurrency suite raced them).
 */
async function decide(
  tx: Queryable,
  id: number,
  status: 'approved' | 'rejected',
  note: string | null,
  version: number | null,
): Promise<void> {
  try {
    await tx.query('select public.decide_boundary_proposal($1, $2, $3, $4)', [id, status, note, version]);
  } catch (e) {
    const already = (e as { code?: string }).code === '55000' ? /was already (\w+)/.exec((e as Error).message)?.[1] : undefined;
    if (!already) throw e;
    throw new ApiError(
      409,
      'proposal_decided',
      `Boundary proposal ${id} was already ${already} by someone else a moment ago; your decision was not recorded and nothing changed. Reload the proposals.`,
      {
        status: already,
      },
    );
  }
}

/**
 * A proposal is drawn on the versions of its grids then. When one of them has moved on since
 * (redrawn, split, merged away), applying it would undo that later change: the approval is
 * refused, saying what changed, and the proposal stays pending for a reject with a note.
 */
function staleProposal(e: unknown, p: ProposalRow): unknown {
  if (!(e instanceof ApiError) || (e.code !== 'stale_version' && e.code !== 'grid_retired')) return e;
  const d = (e.details ?? {}) as {
    gridId?: number;
    currentVersion?: number;
    yourVersion?: number;
    changedBy?: string | null;
    changedAt?: string | null;
    kind?: string | null;
  };
  const what =
    e.code === 'grid_retired'
      ? `grid ${d.gridId} has since been merged into another grid`
      : `grid ${d.gridId} has since been changed by ${d.changedBy ?? 'someone'} at ${d.changedAt ?? 'an unknown time'} (${d.kind ?? 'redrawn'}, now version ${d.currentVersion})`;
  return new ApiError(
    409,
    'proposal_stale',
    `Boundary proposal ${p.id} was drawn on version ${d.yourVersion ?? p.baseVersion} of grid ${d.gridId}, but ${what}. ` +
      'Applying it would undo that change, so nothing was saved: reject the proposal with a note, and the grid leader redraws it on the current boundary.',
    { proposalId: p.id, ...d, cause: e.code },
  );
}

export interface ProposalFilter {
  status?: (typeof PROPOSAL_STATUSES)[number];
  gridId?: number;
  /** Only those the caller has a part in. */
  concerningMe: boolean;
}

/** The street's proposals the filter keeps, newest first (at most 200). */
export function listProposals(tx: Queryable, { status, gridId, concerningMe }: ProposalFilter, today: string): Promise<ProposalRow[]> {
  return tx.query<ProposalRow>(
    `${proposalsSql(`($1::text is null or p.status = $1) and ($2::int is null or $2 = any (p.affected_grid_ids)) and (not $3 or ${CONCERNS_ME})`, '$4')}
     order by p.proposed_at desc, p.id desc limit 200`,
    [status ?? null, gridId ?? null, concerningMe, today],
  );
}

/** For the header's badge: pending proposals the caller decides, and those that concern them. */
export async function proposalSummary(tx: Queryable): Promise<{ toDecide: number; concerningMe: number }> {
  const [summary] = await tx.query<{ toDecide: number; concerningMe: number }>(
    `select count(*) filter (where me.role = 'community_staff' and me.community_id = p.community_id and not minqing.presenting())::int as "toDecide",
            count(*) filter (where ${CONCERNS_ME})::int as "concerningMe"
     from public.boundary_proposals p
     left join lateral (select * from minqing.my_staff()) me on true
     left join lateral (select exists (select 1 from public.staff_grids sg
                                       where sg.staff_id = me.staff_id and sg.grid_id = any (p.affected_grid_ids)) as affects) mine on true
     where p.status = 'pending'`,
  );
  return summary!;
}

/** Applies the proposal through the redraw path (versions and validity checked anew), then records the approval. */
export async function approveProposal(tx: Queryable, id: number, note: string | null, today: string) {
  const p = await loadProposal(tx, id, today);
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
    today,
  ).catch((e: unknown) => {
    throw staleProposal(e, p);
  });
  if (outcome.status !== 'committed') throw new Error('an approved proposal is committed, never proposed again');
  await decide(tx, id, 'approved', note, outcome.grid.properties.version);
  const { status: _, ...committed } = outcome;
  return { proposal: await loadProposal(tx, id, today), ...committed };
}

/** Records the rejection and its note; nothing of the grid changes. */
export async function rejectProposal(tx: Queryable, id: number, note: string, today: string): Promise<ProposalRow> {
  requireDecider(await loadProposal(tx, id, today));
  await decide(tx, id, 'rejected', note, null);
  return loadProposal(tx, id, today);
}
