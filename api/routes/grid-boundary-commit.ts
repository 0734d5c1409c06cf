/**
 * Redrawing a grid, step two: the commit, and its relatives split, merge and revert, and the
 * history they leave (docs/boundaries.md). Every change runs in the request's one transaction:
 * lock the grids, check the versions the client edited, validate exactly as the preview does,
 * then public.commit_grid_boundaries writes the versions, the boundaries and the buildings that
 * move. Any refusal or failure on the way rolls all of it back.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import type { AppDeps } from '../app';
import { arealSchema, lineStringSchema, type ArealInput } from '../../geo/domain/geojson.validation';
import { BOUNDARY_PROBLEM, validateGridBoundary, type BoundaryProblem } from '../../geo/geometry/grid-boundary.validation';
import { GRID_CHANGE_REASON, MIN_SHARED_EDGE_M, validateSplitName, type GridChangeReason } from '../../geo/geometry/grid-change.reasons';
import type { Queryable } from '../db/database';
import { ApiError, validationHook } from '../lib/errors';
import { positiveId, productToday } from '../lib/query-params';
import { asCaller, type AppEnv } from '../lib/request-db';
import { previewBoundary, type BoundaryImpact, type BoundaryOverride } from './grid-boundaries';
import { gridFeaturesSql, type GridProperties } from './grids';
import { MAX_DB_INT } from '../../geo/domain/db-int';

type Areal = Polygon | MultiPolygon;
export type VersionKind = 'created' | 'redrawn' | 'split' | 'merged' | 'reverted';

/** One version of a grid's history, as GET /:id/versions lists it. */
export interface GridVersionRow {
  version: number;
  /** Null: since the street was loaded. */
  validFrom: string | null;
  /** Null: the version in force. */
  validTo: string | null;
  kind: VersionKind;
  staffId: number | null;
  staffName: string | null;
  reason: string | null;
  households: number;
  relatedGridIds: number[];
  revertedTo: number | null;
  proposalId: number | null;
  code: string;
  name: string;
  areaM2: number;
  geometry: MultiPolygon;
}

/** A problem of one grid of a change that redraws several: which grid it is about. */
export type ChangeProblem = BoundaryProblem & { forGridId: number };

export interface Change {
  gridId: number;
  /** The version the client edited. */
  version: number;
  geometry: Areal;
}

interface Lock {
  gridId: number;
  version: number;
  communityId: number;
  retired: boolean;
  editorRole: 'community_staff' | 'grid_leader' | null;
  changedBy: string | null;
  changedAt: string | null;
  changeKind: string | null;
}

// The placeholder id of the grid a split is about to create, in validation only: larger than any
// real id, as the new grid's will be, so that ties on a shared edge go the same way (lowest id).
const NEW_GRID_ID = 2_147_483_647;

// Household and workload ranges are the policy's aim, not a geometric fault: a split or merge is
// how an out-of-range grid is fixed, so there they are warnings, not refusals.
const RANGE_PROBLEMS: ReadonlySet<string> = new Set([BOUNDARY_PROBLEM.HOUSEHOLDS_OUT_OF_RANGE, BOUNDARY_PROBLEM.WORKLOAD_OUT_OF_RANGE]);

const reasonSchema = z
  .string({ error: 'reason is required: say why the boundary changes (it is kept in the history)' })
  .trim()
  .min(2, 'reason must say why the boundary changes (at least 2 characters)')
  .max(500, 'reason is at most 500 characters');
const versionSchema = z.number({ error: 'version is the grid version you edited (properties.version of the grid)' }).int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`);

const refuse = (reason: GridChangeReason, message: string, details: Record<string, unknown> = {}) =>
  new ApiError(422, reason.startsWith('SPLIT') ? 'invalid_split' : reason.startsWith('MERGE') ? 'invalid_merge' : 'invalid_change', message, {
    reason,
    ...details,
  });

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
      throw new ApiError(409, 'grid_retired', `Grid ${w.gridId} was merged into another grid and retired; its boundary can no longer change.`, {
        gridId: w.gridId,
      });
    }
    if (lock.version !== w.version) {
      const who = lock.changedBy ?? 'someone';
      const when = lock.changedAt ?? 'since the street was loaded';
      throw new ApiError(
        409,
        'stale_version',
        `Grid ${w.gridId} was changed by ${who} at ${when} (${lock.changeKind ?? 'redrawn'}): it is now at version ${lock.version}, ` +
          `you edited version ${w.version}. Reload the grid, redo your change on the current boundary and save again.`,
        { gridId: w.gridId, currentVersion: lock.version, yourVersion: w.version, changedBy: lock.changedBy, changedAt: lock.changedAt, kind: lock.changeKind },
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
        problems.push({ code: BOUNDARY_PROBLEM.INVALID_RING, geometry: c.geometry, details: { source: 'postgis', reason: v!.reason }, forGridId: c.gridId });
      }
    }
    if (problems.length > 0) return { problems, warnings: [], impact: null };
  }
  const warnings: ChangeProblem[] = [];
  let impact: BoundaryImpact | null = null;
  for (const [i, c] of changes.entries()) {
    const overrides: BoundaryOverride[] = [...changes.filter((o) => o.gridId !== c.gridId).map((o) => ({ gridId: o.gridId, geometry: o.geometry })), ...extra];
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
    (p) => p.code === BOUNDARY_PROBLEM.INVALID_RING || p.code === BOUNDARY_PROBLEM.SELF_INTERSECTION || p.code === BOUNDARY_PROBLEM.OVERLAY_FAILED,
  );
}

function refuseInvalid(problems: readonly ChangeProblem[], what: string): never {
  const codes = [...new Set(problems.map((p) => p.code))].join(', ');
  throw new ApiError(
    422,
    'invalid_boundary',
    `${what} is not valid (${codes}); nothing was saved. details.problems says what and where, as the preview does: fix them and save again.`,
    { problems },
  );
}

// ---------------------------------------------------------------------------------------------
// The commit path: redraw, revert, and an approved proposal
// ---------------------------------------------------------------------------------------------

export interface RedrawInput {
  main: Change;
  /** Neighbours redrawn in the same change (moving a shared edge changes both grids). */
  neighbours: readonly Change[];
  reason: string;
  kind: 'redrawn' | 'reverted';
  revertedTo?: number;
  /** Set when approving a proposal: it is applied, never proposed again. */
  proposalId?: number;
}

export type RedrawOutcome =
  | { status: 'committed'; grid: Feature<MultiPolygon, GridProperties>; impact: BoundaryImpact | null; versions: unknown; moved: unknown }
  | { status: 'proposed'; proposal: BoundaryProposal };

export interface BoundaryProposal {
  id: number;
  gridId: number;
  communityId: number;
  baseVersion: number;
  status: 'pending' | 'approved' | 'rejected';
  reason: string;
  affectedGridIds: number[];
  proposedBy: number | null;
  proposedByName: string | null;
  proposedAt: string;
  decidedBy: number | null;
  decidedByName: string | null;
  decidedAt: string | null;
  note: string | null;
  committedVersion: number | null;
  geometry: MultiPolygon;
  neighbours: { gridId: number; version: number; geometry: Areal }[];
  impact: BoundaryImpact | null;
}

export const PROPOSAL_COLUMNS = `p.id, p.grid_id as "gridId", p.community_id as "communityId", p.base_version as "baseVersion",
  p.status, p.reason, p.affected_grid_ids as "affectedGridIds", p.proposed_by as "proposedBy",
  public.staff_display_name(p.proposed_by) as "proposedByName", to_json(p.proposed_at)#>>'{}' as "proposedAt",
  p.decided_by as "decidedBy", public.staff_display_name(p.decided_by) as "decidedByName",
  to_json(p.decided_at)#>>'{}' as "decidedAt", p.note, p.committed_version as "committedVersion",
  ST_AsGeoJSON(p.geometry, 7)::json as geometry, p.neighbours, p.impact`;

export async function redraw(tx: Queryable, input: RedrawInput, today: string): Promise<RedrawOutcome> {
  const all = [input.main, ...input.neighbours];
  if (new Set(all.map((c) => c.gridId)).size !== all.length) {
    throw refuse(GRID_CHANGE_REASON.NEIGHBOUR_NOT_IN_COMMUNITY, `Grid ${input.main.gridId} is listed twice in the change: list each neighbour once, not the grid itself.`, {
      gridId: input.main.gridId,
    });
  }
  const locks = await lockGrids(tx, all.map((c) => c.gridId));
  const community = locks.get(input.main.gridId)!.communityId;
  for (const n of input.neighbours) {
    if (locks.get(n.gridId)!.communityId !== community) {
      throw refuse(GRID_CHANGE_REASON.NEIGHBOUR_NOT_IN_COMMUNITY, `Grid ${n.gridId} is not in the community of grid ${input.main.gridId}; only a community's own grids share its edges.`, {
        gridId: n.gridId,
      });
    }
  }
  if (!input.proposalId && !locks.get(input.main.gridId)!.editorRole) {
    throw new ApiError(403, 'forbidden', `Grid ${input.main.gridId}'s boundary is redrawn by its grid leader or its community's staff.`);
  }
  checkVersions(locks, all);

  const { problems, impact } = await validateChanges(tx, all, today);
  if (problems.length > 0) refuseInvalid(problems, `The boundary of grid ${input.main.gridId}`);

  // Grids whose buildings or boundary the change takes: the neighbours redrawn, and the grids
  // the buildings moving in come from.
  const [from] = await tx.query<{ ids: number[] }>(
    'select coalesce(array_agg(distinct grid_id) filter (where grid_id is not null and grid_id <> $2), \'{}\') as ids from public.buildings where id = any ($1::int[])',
    [impact?.buildingsIn ?? [], input.main.gridId],
  );
  const affected = [...new Set([...input.neighbours.map((n) => n.gridId), ...from!.ids])].sort((a, b) => a - b);
  const roles = await tx.query<{ id: number; role: string | null }>(
    'select x.id, minqing.boundary_editor_role(x.id) as role from unnest($1::int[]) x(id)',
    [affected],
  );
  const othersLead = roles.filter((r) => r.role === null).map((r) => r.id);
  if (!input.proposalId && locks.get(input.main.gridId)!.editorRole === 'grid_leader' && othersLead.length > 0) {
    const [created] = await tx.query<{ id: number }>(
      'select public.propose_grid_boundary($1, $2, $3::jsonb, $4::jsonb, $5, $6::int[], $7::jsonb) as id',
      [
        input.main.gridId,
        input.main.version,
        JSON.stringify(input.main.geometry),
        JSON.stringify(input.neighbours),
        input.reason,
        [input.main.gridId, ...affected],
        JSON.stringify(impact),
      ],
    );
    const [proposal] = await tx.query<BoundaryProposal>(`select ${PROPOSAL_COLUMNS} from public.boundary_proposals p where p.id = $1`, [created!.id]);
    return { status: 'proposed', proposal: proposal! };
  }

  const changes = all.map((c) => ({ gridId: c.gridId, version: c.version, geometry: c.geometry, revertedTo: c === input.main ? input.revertedTo : undefined }));
  const result = await commit(tx, changes, input.kind, input.reason, input.proposalId);
  return { status: 'committed', grid: await gridFeature(tx, input.main.gridId), impact, ...result };
}

async function commit(tx: Queryable, changes: unknown[], kind: VersionKind, reason: string, proposalId?: number) {
  const [row] = await tx.query<{ r: { grids: unknown; moved: unknown } }>(
    'select public.commit_grid_boundaries($1::jsonb, $2, $3, $4) as r',
    [JSON.stringify(changes), kind, reason, proposalId ?? null],
  );
  return { versions: row!.r.grids, moved: row!.r.moved };
}

export async function gridFeature(tx: Queryable, gridId: number): Promise<Feature<MultiPolygon, GridProperties>> {
  const [row] = await tx.query<{ fc: { features: Feature<MultiPolygon, GridProperties>[] } }>(gridFeaturesSql('g.id = $1'), [gridId]);
  return row!.fc.features[0]!;
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

const idParam = z.object({ id: positiveId('the grid id') });

const neighbourSchema = z.object({ gridId: positiveId('neighbours[].gridId'), version: versionSchema, geometry: arealSchema }).strict();

const putSchema = z
  .object({
    geometry: arealSchema,
    version: versionSchema,
    reason: reasonSchema,
    // Optional: the neighbours redrawn with it, when a shared edge moves (both sides change).
    neighbours: z.array(neighbourSchema).max(12).optional(),
  })
  .strict();

const splitSchema = z
  .object({
    line: lineStringSchema,
    version: versionSchema,
    reason: reasonSchema,
    names: z.tuple([z.string().trim().min(1).max(60), z.string().trim().min(1).max(60)]).optional(),
  })
  .strict();

const mergeSchema = z
  .object({
    gridIds: z.tuple([positiveId('gridIds[0], the grid that stays'), positiveId('gridIds[1], the grid merged into it')]),
    versions: z.record(z.string().regex(/^\d+$/, 'versions is keyed by grid id'), versionSchema),
    reason: reasonSchema,
  })
  .strict();

const revertSchema = z.object({ toVersion: versionSchema, version: versionSchema, reason: reasonSchema }).strict();

const compareSchema = z.object({ from: z.coerce.number().int().positive('from is a version number').max(MAX_DB_INT, `at most ${MAX_DB_INT}`), to: z.coerce.number().int().positive('to is a version number').max(MAX_DB_INT, `at most ${MAX_DB_INT}`) });

export function gridBoundaryCommitRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>()
    .put('/:id/boundary', zValidator('param', idParam, validationHook), zValidator('json', putSchema, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const outcome = await asCaller(db, c.get('claims'), (tx) =>
        redraw(tx, { main: { gridId: id, version: body.version, geometry: body.geometry }, neighbours: body.neighbours ?? [], reason: body.reason, kind: 'redrawn' }, today()),
      );
      if (outcome.status === 'proposed') return c.json({ proposal: outcome.proposal }, 202);
      const { status: _, ...rest } = outcome;
      return c.json(rest, 200);
    })

    .post('/:id/revert', zValidator('param', idParam, validationHook), zValidator('json', revertSchema, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const outcome = await asCaller(db, c.get('claims'), async (tx) => {
        const [target] = await tx.query<{ geometry: MultiPolygon }>(
          'select ST_AsGeoJSON(boundary)::json as geometry from public.grid_versions where grid_id = $1 and version = $2',
          [id, body.toVersion],
        );
        if (!target) throw new ApiError(404, 'not_found', `Grid ${id} has no version ${body.toVersion}; GET /api/grids/${id}/versions lists them.`);
        if (body.toVersion === body.version) {
          throw refuse(GRID_CHANGE_REASON.REVERT_TO_CURRENT, `Grid ${id} is already at version ${body.version}: choose an earlier version to revert to.`, { version: body.version });
        }
        return redraw(tx, { main: { gridId: id, version: body.version, geometry: target.geometry }, neighbours: [], reason: body.reason, kind: 'reverted', revertedTo: body.toVersion }, today());
      });
      if (outcome.status === 'proposed') return c.json({ proposal: outcome.proposal }, 202);
      const { status: _, ...rest } = outcome;
      return c.json(rest, 200);
    })

    .post('/:id/split', zValidator('param', idParam, validationHook), zValidator('json', splitSchema, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        const locks = await lockGrids(tx, [id]);
        if (!locks.get(id)!.editorRole) throw new ApiError(403, 'forbidden', `Grid ${id} is split by its grid leader or its community's staff.`);
        checkVersions(locks, [{ gridId: id, version: body.version }]);
        // The pieces, each with the households whose building's point on surface it covers.
        const parts = await tx.query<{ geometry: Polygon; households: number; areaM2: number }>(
          `with g as (select boundary from public.grids where id = $1),
           l as (select ST_SetSRID(ST_GeomFromGeoJSON($2::text), 4326) as line),
           parts as (select (ST_Dump(ST_Split(g.boundary, l.line))).geom as geom from g, l)
           select ST_AsGeoJSON(p.geom)::json as geometry, ST_Area(p.geom::geography) as "areaM2",
             coalesce((select sum(c.households) from public.buildings b
                       join public.building_household_counts($3::date) c on c.building_id = b.id
                       where b.grid_id = $1 and ST_Covers(p.geom, ST_PointOnSurface(b.footprint))), 0)::int as households
           from parts p order by households desc, "areaM2" desc`,
          [id, JSON.stringify(body.line), today()],
        );
        if (parts.length < 2) {
          throw refuse(GRID_CHANGE_REASON.SPLIT_LINE_DOES_NOT_CROSS, `The line does not cut grid ${id} in two: draw it from outside the grid, across it, to outside again.`);
        }
        if (parts.length > 2) {
          throw refuse(GRID_CHANGE_REASON.SPLIT_MORE_THAN_TWO_PARTS, `The line cuts grid ${id} into ${parts.length} pieces; a split makes exactly two: cross the grid once.`, {
            parts: parts.length,
          });
        }
        const [keep, other] = parts as [(typeof parts)[number], (typeof parts)[number]];
        const { problems, warnings, impact } = await validateChanges(
          tx,
          [{ gridId: id, version: body.version, geometry: keep.geometry }],
          today(),
          [{ gridId: NEW_GRID_ID, geometry: other.geometry, communityId: locks.get(id)!.communityId }],
          { rangeIsWarning: true },
        );
        if (problems.length > 0) refuseInvalid(problems, `Splitting grid ${id} along this line`);
        const [naming] = await tx.query<{ code: string; name: string }>(
          `select g.code || '-' || (select min(n) from generate_series(2, 99) n where not exists (
                    select 1 from public.grids o where o.code = g.code || '-' || n)) as code, g.name
           from public.grids g where g.id = $1`,
          [id],
        );
        if (body.names) {
          // The names of the community's other live grids: both pieces' names must be free (and differ).
          const others = (
            await tx.query<{ name: string }>(
              'select name from public.grids where community_id = $1 and retired_at is null and id <> $2',
              [locks.get(id)!.communityId, id],
            )
          ).map((r) => r.name);
          for (const [name, taken] of [
            [body.names[0], others],
            [body.names[1], [...others, body.names[0]]],
          ] as const) {
            const checked = validateSplitName(name, taken);
            if (!checked.valid) {
              throw refuse(checked.reason, `Grid ${id}'s community already has a grid named "${checked.name}": name the pieces of the split differently.`, { name: checked.name });
            }
          }
        }
        const newName = body.names?.[1] ?? `${naming!.name}（二）`;
        const committed = await commit(
          tx,
          [
            { create: { code: naming!.code, name: newName }, from: id, geometry: other.geometry },
            { gridId: id, version: body.version, geometry: keep.geometry, ...(body.names ? { name: body.names[0] } : {}) },
          ],
          'split',
          body.reason,
        );
        const created = (committed.versions as { gridId: number; created?: boolean }[]).find((v) => v.created)!.gridId;
        return {
          grid: await gridFeature(tx, id),
          newGrid: await gridFeature(tx, created),
          households: { kept: keep.households, new: other.households },
          warnings,
          impact,
          ...committed,
        };
      });
      return c.json(result, 200);
    })

    .post('/merge', zValidator('json', mergeSchema, validationHook), async (c) => {
      const body = c.req.valid('json');
      const [keepId, goneId] = body.gridIds;
      if (keepId === goneId) throw refuse(GRID_CHANGE_REASON.MERGE_SAME_GRID, `gridIds names grid ${keepId} twice: a grid is merged with a neighbour.`);
      const versionOf = (gridId: number) => {
        const v = body.versions[String(gridId)];
        if (v === undefined) {
          throw new ApiError(400, 'invalid_request', `versions.${gridId} is required: the version of grid ${gridId} you saw (properties.version).`, [
            { path: `versions.${gridId}`, message: 'required' },
          ]);
        }
        return v;
      };
      const wanted = [
        { gridId: keepId, version: versionOf(keepId) },
        { gridId: goneId, version: versionOf(goneId) },
      ];
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        const locks = await lockGrids(tx, body.gridIds);
        for (const id of body.gridIds) {
          if (!locks.get(id)!.editorRole) {
            throw new ApiError(403, 'forbidden', `You may not merge grid ${id}: a merge is made by the community's staff, or by a leader of both grids.`);
          }
        }
        if (locks.get(keepId)!.communityId !== locks.get(goneId)!.communityId) {
          throw refuse(GRID_CHANGE_REASON.MERGE_DIFFERENT_COMMUNITIES, `Grids ${keepId} and ${goneId} belong to different communities and cannot be merged.`, {
            gridIds: body.gridIds,
          });
        }
        checkVersions(locks, wanted);
        const [pair] = await tx.query<{ sharedM: number; union: MultiPolygon }>(
          `select ST_Length(ST_CollectionExtract(ST_Intersection(ST_Boundary(a.boundary), ST_Boundary(b.boundary)), 2)::geography) as "sharedM",
                  ST_AsGeoJSON(ST_Multi(ST_UnaryUnion(ST_Collect(a.boundary, b.boundary))))::json as union
           from public.grids a, public.grids b where a.id = $1 and b.id = $2`,
          [keepId, goneId],
        );
        if (!(pair!.sharedM >= MIN_SHARED_EDGE_M)) {
          throw refuse(GRID_CHANGE_REASON.MERGE_NOT_NEIGHBOURS, `Grids ${keepId} and ${goneId} share no edge (${Math.round(pair!.sharedM * 10) / 10} m in common): only neighbours can be merged.`, {
            gridIds: body.gridIds,
            sharedEdgeM: Math.round(pair!.sharedM * 10) / 10,
          });
        }
        const { problems, warnings, impact } = await validateChanges(
          tx,
          [{ gridId: keepId, version: wanted[0]!.version, geometry: pair!.union }],
          today(),
          [{ gridId: goneId, geometry: null }],
          { rangeIsWarning: true },
        );
        if (problems.length > 0) refuseInvalid(problems, `Merging grid ${goneId} into grid ${keepId}`);
        const committed = await commit(
          tx,
          [
            { gridId: keepId, version: wanted[0]!.version, geometry: pair!.union, relatedGridIds: [goneId] },
            { gridId: goneId, version: wanted[1]!.version, retireInto: keepId },
          ],
          'merged',
          body.reason,
        );
        return { grid: await gridFeature(tx, keepId), retiredGridId: goneId, warnings, impact, ...committed };
      });
      return c.json(result, 200);
    })

    .get('/:id/versions', zValidator('param', idParam, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const versions = await asCaller(db, c.get('claims'), async (tx) => {
        const [grid] = await tx.query<{ id: number }>('select id from public.grids where id = $1', [id]);
        if (!grid) throw new ApiError(404, 'not_found', `No grid with id ${id}.`);
        // valid_from null = since the beginning (versions that existed when the street was loaded).
        return tx.query<GridVersionRow>(
          `select v.version, to_json(nullif(v.valid_from, '-infinity'))#>>'{}' as "validFrom", to_json(v.valid_to)#>>'{}' as "validTo",
                  v.kind, v.staff_id as "staffId", public.staff_display_name(v.staff_id) as "staffName", v.reason,
                  -- Versions without a stored count: the households at the end of the version (or today).
                  coalesce(v.households, public.grid_household_count(v.grid_id, coalesce(public.china_date(v.valid_to), $2::date))) as households,
                  v.related_grid_ids as "relatedGridIds",
                  v.reverted_to as "revertedTo", v.proposal_id as "proposalId", v.code, v.name,
                  ST_Area(v.boundary::geography) as "areaM2", ST_AsGeoJSON(v.boundary, 7)::json as geometry
           from public.grid_versions v
           where v.grid_id = $1 order by v.version`,
          [id, today()],
        );
      });
      return c.json({ gridId: id, versions });
    })

    .get('/:id/versions/compare', zValidator('param', idParam, validationHook), zValidator('query', compareSchema, validationHook), async (c) => {
      const { id } = c.req.valid('param');
      const { from, to } = c.req.valid('query');
      const [row] = await asCaller(db, c.get('claims'), (tx) =>
        tx.query<{ added: MultiPolygon; removed: MultiPolygon; areaAddedM2: number; areaRemovedM2: number }>(
          `with d as (
             select ST_Multi(ST_CollectionExtract(ST_Difference(b.boundary, a.boundary), 3)) as added,
                    ST_Multi(ST_CollectionExtract(ST_Difference(a.boundary, b.boundary), 3)) as removed
             from public.grid_versions a, public.grid_versions b
             where a.grid_id = $1 and a.version = $2 and b.grid_id = $1 and b.version = $3)
           select ST_AsGeoJSON(added, 7)::json as added, ST_AsGeoJSON(removed, 7)::json as removed,
                  coalesce(ST_Area(added::geography), 0) as "areaAddedM2", coalesce(ST_Area(removed::geography), 0) as "areaRemovedM2"
           from d`,
          [id, from, to],
        ),
      );
      if (!row) throw new ApiError(404, 'not_found', `Grid ${id} has no version ${from} or ${to}; GET /api/grids/${id}/versions lists them.`);
      return c.json({ gridId: id, from, to, ...row });
    });
}
