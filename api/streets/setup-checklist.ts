/**
 * What a newly set-up street still lacks, in the order a street office brings it in:
 * communities → grids → buildings → staff → households → history (visits or matters from the
 * ledgers). Counted as the caller, so the figures are the street leader's own street's; the
 * list is the street leader's (anyone else gets `steps: []`) and stays until every step is done.
 */
import type { Queryable } from '../db/database';

export const CHECKLIST_STEPS = ['communities', 'grids', 'buildings', 'staff', 'households', 'history'] as const;
export type ChecklistStep = (typeof CHECKLIST_STEPS)[number];

export interface SetupChecklist {
  steps: { step: ChecklistStep; count: number; done: boolean }[];
  done: boolean;
}

export async function setupChecklist(tx: Queryable): Promise<SetupChecklist> {
  const [row] = await tx.query<Record<ChecklistStep, number> & { leader: boolean }>(
    `select coalesce((select role = 'street_leader' from minqing.my_staff()), false) as leader,
       (select count(*)::int from public.communities) as communities,
       (select count(*)::int from public.grids where retired_at is null) as grids,
       (select count(*)::int from public.buildings) as buildings,
       -- Everyone but the leader who set the street up.
       (select count(*)::int from public.staff s where s.active and s.id <> (select staff_id from minqing.my_staff())) as staff,
       (select count(*)::int from public.households where moved_out is null) as households,
       (select count(*)::int from public.visits) + (select count(*)::int from public.issues) as history`,
  );
  if (!row!.leader) return { steps: [], done: true };
  const steps = CHECKLIST_STEPS.map((step) => ({ step, count: row![step], done: row![step] > 0 }));
  return { steps, done: steps.every((s) => s.done) };
}
