import type { LineString, MultiPolygon } from 'geojson';
import { useCallback, useState } from 'react';
import { BOUNDARY_PROBLEM_MESSAGE } from '../../../geo/geometry/grid-boundary.validation';
import { GRID_CHANGE_MESSAGE, type GridChangeReason } from '../../../geo/geometry/grid-change.reasons';
import { ApiRequestError, type GridCollection } from '../api';
import { useLocale } from '../i18n/locale';
import { type SaveOutcome, useMergeGrids, usePreviewBoundary, useSaveBoundary, useSplitGrid } from './boundary-api';
import type { ShownProblem, useBoundaryChecks } from './use-boundary-checks';
import type { GridFeature } from './use-boundary-context';

export type Outcome =
  | { kind: 'saved'; version: number | null }
  | { kind: 'proposal'; proposal: Record<string, unknown> }
  | { kind: 'stale'; message: string }
  | { kind: 'error'; message: string }
  | { kind: 'done'; message: string };

/**
 * What the editor sends (preview, save, split, merge) and what came of it: a committed change
 * closes the editor with a message (`onDone`); a proposal, a stale version or a refusal stays as
 * the outcome, and the problems of a 422 are shown on the shape they were found for.
 */
export function useBoundaryCommands({
  grid,
  grids,
  live,
  reason,
  neighbourRedraws,
  checks: { setPreview, setServerProblems },
  onDone,
}: {
  /** The grid as it was when editing began: its version is what changes are based on. */
  grid: GridFeature;
  grids: GridCollection;
  live: MultiPolygon;
  reason: string;
  neighbourRedraws: { gridId: number; version: number; geometry: MultiPolygon }[];
  checks: Pick<ReturnType<typeof useBoundaryChecks>, 'setPreview' | 'setServerProblems'>;
  onDone(message: string): void;
}) {
  const { t } = useLocale();
  const gridId = grid.properties.id;
  const startVersion = grid.properties.version;
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const previewCall = usePreviewBoundary(gridId);
  const save = useSaveBoundary(gridId);
  const splitCall = useSplitGrid(gridId);
  const mergeCall = useMergeGrids();
  const busy = previewCall.isPending || save.isPending || splitCall.isPending || mergeCall.isPending;
  const refuse = useCallback((message: string) => setOutcome({ kind: 'error', message }), []);
  const clearOutcome = useCallback(() => setOutcome(null), []);

  const onError = (e: unknown, geometry: MultiPolygon | null) => {
    if (e instanceof ApiRequestError && e.status === 409) {
      setOutcome({ kind: 'stale', message: e.message });
    } else if (e instanceof ApiRequestError && e.status === 422 && geometry) {
      const list = ((e.details as { problems?: ShownProblem[] } | null)?.problems ?? []).filter((p) => p.code in BOUNDARY_PROBLEM_MESSAGE);
      setServerProblems({ geometry, problems: list });
      setOutcome({ kind: 'error', message: t('editor_serverRefused') });
    } else {
      // Split, merge and revert refusals carry a named reason (geo/geometry/grid-change.reasons.ts).
      const details = e instanceof ApiRequestError ? (e.details as Record<string, string | number> | null) : null;
      const reason = details?.reason as GridChangeReason | undefined;
      const named = reason && reason in GRID_CHANGE_MESSAGE ? t(GRID_CHANGE_MESSAGE[reason], details!) : null;
      setOutcome({ kind: 'error', message: named ?? (e instanceof Error ? e.message : String(e)) });
    }
  };

  const runPreview = () => {
    const geometry = live;
    setOutcome(null);
    previewCall.mutate(
      { geometry, neighbours: neighbourRedraws },
      {
        onSuccess: (result) => {
          setPreview({ geometry, result });
          setServerProblems({ geometry, problems: result.problems as ShownProblem[] });
        },
        onError: (e) => onError(e, geometry),
      },
    );
  };

  const runSave = () => {
    const geometry = live;
    setOutcome(null);
    save.mutate(
      { geometry, version: startVersion, reason: reason.trim(), neighbours: neighbourRedraws },
      {
        onSuccess: (r: SaveOutcome) => (r.kind === 'saved' ? onDone(t('editor_saved', { version: r.version ?? '?' })) : setOutcome(r)),
        onError: (e) => onError(e, geometry),
      },
    );
  };

  const runSplit = (line: LineString, name: string) =>
    splitCall.mutate(
      { line, version: startVersion, reason: reason.trim(), names: [grid.properties.name, name] },
      { onSuccess: () => onDone(t('editor_splitDone')), onError: (e) => onError(e, live) },
    );

  const runMerge = (other: number) => {
    const absorbed = grids.features.find((f) => f.properties.id === other);
    mergeCall.mutate(
      { gridIds: [gridId, other], versions: { [gridId]: startVersion, [other]: absorbed?.properties.version ?? 0 }, reason: reason.trim() },
      { onSuccess: () => onDone(t('editor_mergeDone')), onError: (e) => onError(e, null) },
    );
  };

  const finished = outcome?.kind === 'saved' || outcome?.kind === 'proposal' || outcome?.kind === 'done';
  return { outcome, finished, refuse, clearOutcome, busy, saving: save.isPending, runPreview, runSave, runSplit, runMerge };
}
