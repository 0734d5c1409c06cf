import type { MultiPolygon } from 'geojson';
import { useEffect } from 'react';
import { type EditHistory, redo, undo } from '../../../geo/geometry/edit-history';

/** Keys: undo / redo, Escape cancels, Delete removes the chosen vertex. Typing a reason is left alone. */
export function useEditorKeys({
  history,
  apply,
  cancel,
  deleteActive,
}: {
  history: EditHistory<MultiPolygon>;
  apply(next: EditHistory<MultiPolygon>): void;
  cancel(): void;
  deleteActive(): void;
}) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === 'z' && !typing) {
        e.preventDefault();
        apply(e.shiftKey ? redo(history) : undo(history));
      } else if (mod && e.key.toLowerCase() === 'y' && !typing) {
        e.preventDefault();
        apply(redo(history));
      } else if (e.key === 'Escape') {
        e.preventDefault();
        // In the reason field, Escape leaves the field; a second one leaves the editor.
        if (typing) (e.target as HTMLElement).blur();
        else cancel();
      } else if ((e.key === 'Delete' || e.key === 'Backspace') && !typing) {
        e.preventDefault();
        deleteActive();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [apply, history, cancel, deleteActive]);
}
