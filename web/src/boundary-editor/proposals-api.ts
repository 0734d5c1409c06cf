/**
 * Boundary proposals (docs/boundaries.md): the list of those that concern the signed-in account,
 * the header's count, and approve / reject. The live stream names `boundary_proposals` when one is
 * made or decided (api.ts STALE_AFTER), so every open page's list and badge follow.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { InferResponseType } from 'hono/client';
import { client, unwrap } from '../api';
import { liveStreamOpen } from '../live/live-state';
import { refreshAfterBoundaryChange } from './boundary-api';

export type ProposalList = InferResponseType<(typeof client.api)['boundary-proposals']['$get'], 200>;
export type Proposal = ProposalList['proposals'][number];
export type ProposalStatus = Proposal['status'];
export type ProposalSummary = InferResponseType<(typeof client.api)['boundary-proposals']['summary']['$get'], 200>;

const KEY = 'boundary-proposals';

/** Pending proposals the caller decides (community staff) and those that concern them (everyone). */
export function useProposalSummary(enabled: boolean) {
  return useQuery({
    queryKey: [KEY, 'summary'],
    queryFn: async () => unwrap(await client.api['boundary-proposals'].summary.$get()),
    enabled,
    staleTime: 60_000,
  });
}

/** The proposals that concern the caller: pending ones, or those already decided. */
export function useProposals(view: 'pending' | 'decided') {
  return useQuery({
    queryKey: [KEY, 'list', view],
    queryFn: async () => {
      const query = view === 'pending' ? ({ status: 'pending', concerning: 'me' } as const) : ({ concerning: 'me' } as const);
      const { proposals } = await unwrap(await client.api['boundary-proposals'].$get({ query }));
      return view === 'pending' ? proposals : proposals.filter((p) => p.status !== 'pending');
    },
  });
}

/** Approve (note optional) or reject (note required). An approval commits a boundary: the grids' figures refresh too. */
export function useDecideProposal() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, decision, note }: { id: number; decision: 'approve' | 'reject'; note: string }) => {
      const param = { id: String(id) };
      const route = client.api['boundary-proposals'][':id'];
      // An approval commits the boundary: its answer is the grid's new version.
      if (decision === 'approve') {
        const { grid } = await unwrap(await route.approve.$post({ param, json: note.trim() ? { note: note.trim() } : {} }));
        return { committedVersion: grid.properties.version };
      }
      await unwrap(await route.reject.$post({ param, json: { note: note.trim() } }));
      return { committedVersion: null };
    },
    onSuccess: (_r, { decision }) => {
      if (!liveStreamOpen()) void queryClient.invalidateQueries({ queryKey: [KEY] });
      if (decision === 'approve') refreshAfterBoundaryChange(queryClient);
    },
  });
}
