/**
 * What a newly set-up street still lacks, in the order a street office brings it in:
 * communities → grids → buildings → staff → households → history (visits or matters from the
 * ledgers). Counted by public.setup_progress() for the caller's street; the list is the street
 * leader's (anyone else gets `steps: []`) and stays until every step is done.
 */
import type { Queryable } from '../db/database';

export const CHECKLIST_STEPS = ['communities', 'grids', 'buildings', 'staff', 'households', 'history'] as const;
export type ChecklistStep = (typeof CHECKLIST_STEPS)[number];

export interface SetupChecklist {
  steps: { step: ChecklistStep; count: number; done: boolean }[];
  done: boolean;
}

export async function setupChecklist(tx: Queryable): Promise<SetupChecklist> {
  const [row] = await tx.query<Record<ChecklistStep, number>>(`select ${CHECKLIST_STEPS.join(', ')} from public.setup_progress()`);
  if (!row) return { steps: [], done: true };
  const steps = CHECKLIST_STEPS.map((step) => ({ step, count: row[step], done: row[step] > 0 }));
  return { steps, done: steps.every((s) => s.done) };
}
