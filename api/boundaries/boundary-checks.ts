/**
 * What every boundary change (redraw, revert, split, merge, an approved proposal) does before it
 * writes, and the write itself (docs/boundaries.md). All of it runs in the request's one
 * transaction: lock the grids, check the versions the client edited, validate exactly as the
 * preview does, then public.commit_grid_boundaries writes the versions, the boundaries and the
 * buildings that move. Any refusal or failure on the way rolls all of it back.
 */

import type { ArealInput } from '../../geo/domain/geojson.validation';
import { BOUNDARY_PROBLEM, type BoundaryProblem, validateGridBoundary } from '../../geo/geometry/grid-boundary.validation';
import type { GridChangeReason } from '../../geo/geometry/grid-change.reasons';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { type Areal, type BoundaryImpact, type BoundaryOverride, previewBoundary } from './boundary-preview';

export type VersionKind = 'created' | 'redrawn' | 'split' | 'merged' | 'reverted';

/** A problem of one grid of a change that redraws several: which grid it is about. */
export type ChangeProblem = BoundaryProblem & { forGridId: number };

export interface Change {
  gridId: number;
  /** The version the client edited. */
  version: number;
  geometry: Areal;
}

export interface Lock {
  gridId: number;
  version: number;
  communityId: number;
  retired: boolean;
  editorRole: 'community_staff' | 'grid_leader' | null;
  changedBy: string | null;
  changedAt: string | null;
  changeKind: string | null;
}

// Household and workload ranges are the policy's aim, not a geometric fault: a split or merge is
// how an out-of-range grid is fixed, so there they are warnings, not refusals.
const RANGE_PROBLEMS: ReadonlySet<string> = new Set([BOUNDARY_PROBLEM.HOUSEHOLDS_OUT_OF_RANGE, BOUNDARY_PROBLEM.WORKLOAD_OUT_OF_RANGE]);

/** A 422 for a change the rules refuse, its reason in details (the web app words it). */
export const refuseChange = (reason: GridChangeReason, message: string, details: Record<string, unknown> = {}) =>
  new ApiError(
    422,
    reason.startsWith('SPLIT') ? 'invalid_split' : reason.startsWith('MERGE') ? 'invalid_merge' : 'invalid_change',
    message,
    {
      reason,
      ...details,
    },
  );

// ---------------------------------------------------------------------------------------------
// Locks and versions
// ---------------------------------------------------------------------------------------------

/** Locks the grids (404 for one the caller cannot see, 403 when it may redraw none of them). */
export async function lockGrids(tx: Queryable, gridIds: readonly number[]): Promise<Map<number, Lock>> {
  const ids = [...new Set(gridIds)];
  const visible = await tx.query<{ id: number }>('select id from public.grids where id = any ($1::int[])', [ids]);
  const missing = ids.filter((id) => !visible.some((v) => v.id === id));
  if (missing.length > 0) throw new ApiError(404, 'not_found', `No grid with id ${missing.join(', ')}.`);
  const rows = await tx.query<Lock>(
    `select grid_id as "gridId", version, community_id as "communityId", retired, editor_role as "editorRole",
            changed_by as "changedBy", to_json(nullif(changed_at, '-infinity'))#>>'{}' as "changedAt", change_kind as "changeKind"
     from public.lock_grids_for_boundary_edit($1::int[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.gridId, r]));
}

/** 409 when a grid moved on since the client's version, naming who, when and the version now. */
export function checkVersions(locks: Map<number, Lock>, wanted: readonly { gridId: number; version: number }[]): void {
  for (const w of wanted) {
    const lock = locks.get(w.gridId)!;
    if (lock.retired) {
      throw new ApiError(
        409,
        'grid_retired',
        `Grid ${w.gridId} was merged into another grid and retired; its boundary can no longer change.`,
        {
          gridId: w.gridId,
        },
      );
    }
    if (lock.version !== w.version) {
      const who = lock.changedBy ?? 'someone';
      const when = lock.changedAt ?? 'since the street was loaded';
      throw new ApiError(
        409,
        'stale_version',
        `Grid ${w.gridId} was changed by ${who} at ${when} (${lock.changeKind ?? 'redrawn'}): it is now at version ${lock.version}, ` +
          `you edited version ${w.version}. Reload the grid, redo your change on the current boundary and save again.`,
        {
          gridId: w.gridId,
          currentVersion: lock.version,
          yourVersion: w.version,
          changedBy: lock.changedBy,
          changedAt: lock.changedAt,
          kind: lock.changeKind,
        },
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Validation: the preview's, for every grid the change redraws
// ---------------------------------------------------------------------------------------------

interface Validated {
  problems: ChangeProblem[];
  warnings: ChangeProblem[];
  impact: BoundaryImpact | null;
}

/**
 * Runs the preview's validation (geo/ validator, then PostGIS) on each redrawn grid, with the
 * other grids of the change as they will be. With one grid and no overrides this is exactly
 * POST …/boundary/preview.
 */
export async function validateChanges(
  tx: Queryable,
  changes: readonly Change[],
  today: string,
  extra: readonly BoundaryOverride[] = [],
  opts: { rangeIsWarning?: boolean } = {},
): Promise<Validated> {
  const problems: ChangeProblem[] = [];
  if (changes.length + extra.length > 1) {
    // The others' geometries go into PostGIS overlays: each must be a valid polygon first.
    for (const c of [...changes, ...extra.filter((e): e is BoundaryOverride & { geometry: Areal } => e.geometry !== null)]) {
      const structural = structuralProblems(c.geometry);
      if (structural.length > 0) {
        problems.push(...structural.map((p) => ({ ...p, forGridId: c.gridId })));
        continue;
      }
      const [v] = await tx.query<{ valid: boolean; reason: string }>(
        'select ST_IsValid(g) as valid, ST_IsValidReason(g) as reason from (select ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326) as g) s',
        [JSON.stringify(c.geometry)],
      );
      if (!v!.valid) {
        problems.push({
          code: BOUNDARY_PROBLEM.INVALID_RING,
          geometry: c.geometry,
          details: { source: 'postgis', reason: v!.reason },
          forGridId: c.gridId,
        });
      }
    }
    if (problems.length > 0) return { problems, warnings: [], impact: null };
  }
  const warnings: ChangeProblem[] = [];
  let impact: BoundaryImpact | null = null;
  for (const [i, c] of changes.entries()) {
    const overrides: BoundaryOverride[] = [
      ...changes.filter((o) => o.gridId !== c.gridId).map((o) => ({ gridId: o.gridId, geometry: o.geometry })),
      ...extra,
    ];
    const result = await previewBoundary(tx, c.gridId, c.geometry as ArealInput, today, overrides);
    for (const p of result.problems) {
      (opts.rangeIsWarning && RANGE_PROBLEMS.has(p.code) ? warnings : problems).push({ ...p, forGridId: c.gridId });
    }
    if (i === 0) impact = result.impact;
  }
  return { problems, warnings, impact };
}

/** Ring and self-intersection problems only (the validator stops there on a broken shape). */
function structuralProblems(geometry: Areal): BoundaryProblem[] {
  const result = validateGridBoundary({
    gridId: 0,
    geometry,
    community: { id: 0, boundary: geometry },
    neighbours: [],
    buildings: [],
    policy: { householdsMin: 0, householdsMax: Number.MAX_SAFE_INTEGER },
  });
  return result.problems.filter(
    (p) =>
      p.code === BOUNDARY_PROBLEM.INVALID_RING ||
      p.code === BOUNDARY_PROBLEM.SELF_INTERSECTION ||
      p.code === BOUNDARY_PROBLEM.OVERLAY_FAILED,
  );
}

/** The 422 of a change whose shapes fail validation: details.problems as the preview gives them. */
export function refuseInvalid(problems: readonly ChangeProblem[], what: string): never {
  const codes = [...new Set(problems.map((p) => p.code))].join(', ');
  throw new ApiError(
    422,
    'invalid_boundary',
    `${what} is not valid (${codes}); nothing was saved. details.problems says what and where, as the preview does: fix them and save again.`,
    { problems },
  );
}

// ---------------------------------------------------------------------------------------------
// The write
// ---------------------------------------------------------------------------------------------

/** Writes the checked change: versions, boundaries, and the buildings that move (public.commit_grid_boundaries). */
export async function commitChanges(tx: Queryable, changes: unknown[], kind: VersionKind, reason: string, proposalId?: number) {
  const [row] = await tx.query<{ r: { grids: unknown; moved: unknown } }>(
    'select public.commit_grid_boundaries($1::jsonb, $2, $3, $4) as r',
    [JSON.stringify(changes), kind, reason, proposalId ?? null],
  );
  return { versions: row!.r.grids, moved: row!.r.moved };
}
