/**
 * Undo and redo within one editing session, as an immutable value: each step is a whole geometry
 * (a grid boundary is a few hundred positions at most, so copies are cheaper than diffs and can
 * never drift). A new edit after an undo drops the redo branch, as every editor does; an edit
 * equal to the present is not a step.
 */
export interface EditHistory<T> {
  readonly past: readonly T[];
  readonly present: T;
  readonly future: readonly T[];
}

/** Steps kept; older ones fall off the bottom. */
export const MAX_HISTORY = 200;

export function startHistory<T>(initial: T): EditHistory<T> {
  return { past: [], present: initial, future: [] };
}

export function pushEdit<T>(h: EditHistory<T>, next: T, same: (a: T, b: T) => boolean = jsonEqual): EditHistory<T> {
  if (same(h.present, next)) return h;
  const past = [...h.past, h.present];
  return { past: past.length > MAX_HISTORY ? past.slice(past.length - MAX_HISTORY) : past, present: next, future: [] };
}

export function undo<T>(h: EditHistory<T>): EditHistory<T> {
  if (h.past.length === 0) return h;
  return { past: h.past.slice(0, -1), present: h.past[h.past.length - 1]!, future: [h.present, ...h.future] };
}

export function redo<T>(h: EditHistory<T>): EditHistory<T> {
  if (h.future.length === 0) return h;
  return { past: [...h.past, h.present], present: h.future[0]!, future: h.future.slice(1) };
}

export const canUndo = (h: EditHistory<unknown>) => h.past.length > 0;
export const canRedo = (h: EditHistory<unknown>) => h.future.length > 0;

function jsonEqual<T>(a: T, b: T): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
