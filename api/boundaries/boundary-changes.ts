/**
 * The boundary changes themselves: redraw (with the neighbours that share a moved edge), revert
 * to an earlier version, split along a line, merge two neighbours. Each takes the request's
 * transaction, refuses with an ApiError, and goes through the checks and the one write of
 * boundary-checks.ts; a grid leader's redraw that takes another leader's buildings is stored as a
 * proposal instead (boundary-proposals.ts decides it).
 */
import type { Feature, LineString, MultiPolygon, Polygon } from 'geojson';
import { GRID_CHANGE_REASON, MIN_SHARED_EDGE_M, validateSplitName } from '../../geo/geometry/grid-change.reasons';
import type { Queryable } from '../db/database';
import { type GridProperties, gridFeature } from '../grids/grid-features';
import { ApiError } from '../lib/errors';
import { type Change, checkVersions, commitChanges, lockGrids, refuseChange, refuseInvalid, validateChanges } from './boundary-checks';
import type { BoundaryImpact } from './boundary-preview';
import { type BoundaryProposal, PROPOSAL_COLUMNS } from './proposal-record';

// The placeholder id of the grid a split is about to create, in validation only: larger than any
// real id, as the new grid's will be, so that ties on a shared edge go the same way (lowest id).
const NEW_GRID_ID = 2_147_483_647;

// ---------------------------------------------------------------------------------------------
// Redraw, revert, and an approved proposal
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

export async function redraw(tx: Queryable, input: RedrawInput, today: string): Promise<RedrawOutcome> {
  const all = [input.main, ...input.neighbours];
  if (new Set(all.map((c) => c.gridId)).size !== all.length) {
    throw refuseChange(
      GRID_CHANGE_REASON.NEIGHBOUR_NOT_IN_COMMUNITY,
      `Grid ${input.main.gridId} is listed twice in the change: list each neighbour once, not the grid itself.`,
      {
        gridId: input.main.gridId,
      },
    );
  }
  const locks = await lockGrids(
    tx,
    all.map((c) => c.gridId),
  );
  const community = locks.get(input.main.gridId)!.communityId;
  for (const n of input.neighbours) {
    if (locks.get(n.gridId)!.communityId !== community) {
      throw refuseChange(
        GRID_CHANGE_REASON.NEIGHBOUR_NOT_IN_COMMUNITY,
        `Grid ${n.gridId} is not in the community of grid ${input.main.gridId}; only a community's own grids share its edges.`,
        {
          gridId: n.gridId,
        },
      );
    }
  }
  if (!input.proposalId && !locks.get(input.main.gridId)!.editorRole) {
    throw new ApiError(403, 'forbidden', `Grid ${input.main.gridId}'s boundary is redrawn by its grid leader or its community's staff.`);
  }
  checkVersions(locks, all);

  const { problems, impact } = await validateChanges(tx, all, today);
  if (problems.length > 0) refuseInvalid(problems, `The boundary of grid ${input.main.gridId}`);

  const { affected, ledByOthers } = await affectedGrids(tx, input, impact);
  if (!input.proposalId && locks.get(input.main.gridId)!.editorRole === 'grid_leader' && ledByOthers.length > 0) {
    return { status: 'proposed', proposal: await propose(tx, input, affected, impact) };
  }

  const changes = all.map((c) => ({
    gridId: c.gridId,
    version: c.version,
    geometry: c.geometry,
    revertedTo: c === input.main ? input.revertedTo : undefined,
  }));
  const result = await commitChanges(tx, changes, input.kind, input.reason, input.proposalId);
  return { status: 'committed', grid: await gridFeature(tx, input.main.gridId), impact, ...result };
}

/**
 * The grids the change takes buildings or boundary from (the neighbours redrawn, and the grids
 * the buildings moving in come from), and those of them the caller may not redraw.
 */
async function affectedGrids(
  tx: Queryable,
  input: RedrawInput,
  impact: BoundaryImpact | null,
): Promise<{ affected: number[]; ledByOthers: number[] }> {
  const [from] = await tx.query<{ ids: number[] }>(
    "select coalesce(array_agg(distinct grid_id) filter (where grid_id is not null and grid_id <> $2), '{}') as ids from public.buildings where id = any ($1::int[])",
    [impact?.buildingsIn ?? [], input.main.gridId],
  );
  const affected = [...new Set([...input.neighbours.map((n) => n.gridId), ...from!.ids])].sort((a, b) => a - b);
  const roles = await tx.query<{ id: number; role: string | null }>(
    'select x.id, minqing.boundary_editor_role(x.id) as role from unnest($1::int[]) x(id)',
    [affected],
  );
  return { affected, ledByOthers: roles.filter((r) => r.role === null).map((r) => r.id) };
}

/** Stores the redraw as a proposal for the community's staff to decide. */
async function propose(tx: Queryable, input: RedrawInput, affected: number[], impact: BoundaryImpact | null): Promise<BoundaryProposal> {
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
  const [proposal] = await tx.query<BoundaryProposal>(`select ${PROPOSAL_COLUMNS} from public.boundary_proposals p where p.id = $1`, [
    created!.id,
  ]);
  return proposal!;
}

/** Redraws grid `id` back to its boundary of version `toVersion` (a new version, kind 'reverted'). */
export async function revertGrid(
  tx: Queryable,
  id: number,
  body: { toVersion: number; version: number; reason: string },
  today: string,
): Promise<RedrawOutcome> {
  const [target] = await tx.query<{ geometry: MultiPolygon }>(
    'select ST_AsGeoJSON(boundary)::json as geometry from public.grid_versions where grid_id = $1 and version = $2',
    [id, body.toVersion],
  );
  if (!target)
    throw new ApiError(404, 'not_found', `Grid ${id} has no version ${body.toVersion}; GET /api/grids/${id}/versions lists them.`);
  if (body.toVersion === body.version) {
    throw refuseChange(
      GRID_CHANGE_REASON.REVERT_TO_CURRENT,
      `Grid ${id} is already at version ${body.version}: choose an earlier version to revert to.`,
      { version: body.version },
    );
  }
  return redraw(
    tx,
    {
      main: { gridId: id, version: body.version, geometry: target.geometry },
      neighbours: [],
      reason: body.reason,
      kind: 'reverted',
      revertedTo: body.toVersion,
    },
    today,
  );
}

// ---------------------------------------------------------------------------------------------
// Split
// ---------------------------------------------------------------------------------------------

export interface SplitInput {
  line: LineString;
  version: number;
  reason: string;
  /** The names of the piece that keeps the grid and of the new grid. */
  names?: [string, string];
}

export async function splitGrid(tx: Queryable, id: number, body: SplitInput, today: string) {
  const locks = await lockGrids(tx, [id]);
  if (!locks.get(id)!.editorRole) throw new ApiError(403, 'forbidden', `Grid ${id} is split by its grid leader or its community's staff.`);
  checkVersions(locks, [{ gridId: id, version: body.version }]);
  const communityId = locks.get(id)!.communityId;
  const [keep, other] = await cutInTwo(tx, id, body.line, today);
  const { problems, warnings, impact } = await validateChanges(
    tx,
    [{ gridId: id, version: body.version, geometry: keep.geometry }],
    today,
    [{ gridId: NEW_GRID_ID, geometry: other.geometry, communityId }],
    { rangeIsWarning: true },
  );
  if (problems.length > 0) refuseInvalid(problems, `Splitting grid ${id} along this line`);
  const naming = await splitNaming(tx, id);
  if (body.names) await checkSplitNames(tx, id, communityId, body.names);
  const committed = await commitChanges(
    tx,
    [
      { create: { code: naming.code, name: body.names?.[1] ?? `${naming.name}（二）` }, from: id, geometry: other.geometry },
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
}

interface SplitPart {
  geometry: Polygon;
  households: number;
  areaM2: number;
}

/** The two pieces of the grid the line cuts, the one with more households first; a 422 unless exactly two. */
async function cutInTwo(tx: Queryable, id: number, line: LineString, today: string): Promise<[SplitPart, SplitPart]> {
  // Each piece with the households whose building's point on surface it covers.
  const parts = await tx.query<SplitPart>(
    `with g as (select boundary from public.grids where id = $1),
     l as (select ST_SetSRID(ST_GeomFromGeoJSON($2::text), 4326) as line),
     parts as (select (ST_Dump(ST_Split(g.boundary, l.line))).geom as geom from g, l)
     select ST_AsGeoJSON(p.geom)::json as geometry, ST_Area(p.geom::geography) as "areaM2",
       coalesce((select sum(c.households) from public.buildings b
                 join public.building_household_counts($3::date) c on c.building_id = b.id
                 where b.grid_id = $1 and ST_Covers(p.geom, ST_PointOnSurface(b.footprint))), 0)::int as households
     from parts p order by households desc, "areaM2" desc`,
    [id, JSON.stringify(line), today],
  );
  if (parts.length < 2) {
    throw refuseChange(
      GRID_CHANGE_REASON.SPLIT_LINE_DOES_NOT_CROSS,
      `The line does not cut grid ${id} in two: draw it from outside the grid, across it, to outside again.`,
    );
  }
  if (parts.length > 2) {
    throw refuseChange(
      GRID_CHANGE_REASON.SPLIT_MORE_THAN_TWO_PARTS,
      `The line cuts grid ${id} into ${parts.length} pieces; a split makes exactly two: cross the grid once.`,
      {
        parts: parts.length,
      },
    );
  }
  return parts as [SplitPart, SplitPart];
}

/** The new grid's code (the old one's with the first free "-n") and the old grid's name. */
async function splitNaming(tx: Queryable, id: number): Promise<{ code: string; name: string }> {
  const [naming] = await tx.query<{ code: string; name: string }>(
    `select g.code || '-' || (select min(n) from generate_series(2, 99) n where not exists (
              select 1 from public.grids o where o.code = g.code || '-' || n)) as code, g.name
     from public.grids g where g.id = $1`,
    [id],
  );
  return naming!;
}

/** Both pieces' names must be free among the community's other live grids, and differ. */
async function checkSplitNames(tx: Queryable, id: number, communityId: number, names: readonly [string, string]): Promise<void> {
  const others = (
    await tx.query<{ name: string }>('select name from public.grids where community_id = $1 and retired_at is null and id <> $2', [
      communityId,
      id,
    ])
  ).map((r) => r.name);
  for (const [name, taken] of [
    [names[0], others],
    [names[1], [...others, names[0]]],
  ] as const) {
    const checked = validateSplitName(name, taken);
    if (!checked.valid) {
      throw refuseChange(
        checked.reason,
        `Grid ${id}'s community already has a grid named "${checked.name}": name the pieces of the split differently.`,
        { name: checked.name },
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Merge
// ---------------------------------------------------------------------------------------------

export interface MergeRequest {
  keep: { gridId: number; version: number };
  gone: { gridId: number; version: number };
  reason: string;
}

/** The grid that stays and the one merged into it, each with the version the client saw; refused before any lock. */
export function mergeRequest(body: { gridIds: [number, number]; versions: Record<string, number>; reason: string }): MergeRequest {
  const [keepId, goneId] = body.gridIds;
  if (keepId === goneId)
    throw refuseChange(GRID_CHANGE_REASON.MERGE_SAME_GRID, `gridIds names grid ${keepId} twice: a grid is merged with a neighbour.`);
  const versionOf = (gridId: number) => {
    const v = body.versions[String(gridId)];
    if (v === undefined) {
      throw new ApiError(
        400,
        'invalid_request',
        `versions.${gridId} is required: the version of grid ${gridId} you saw (properties.version).`,
        [{ path: `versions.${gridId}`, message: 'required' }],
      );
    }
    return v;
  };
  return {
    keep: { gridId: keepId, version: versionOf(keepId) },
    gone: { gridId: goneId, version: versionOf(goneId) },
    reason: body.reason,
  };
}

export async function mergeGrids(tx: Queryable, { keep, gone, reason }: MergeRequest, today: string) {
  const [keepId, goneId] = [keep.gridId, gone.gridId];
  const locks = await lockGrids(tx, [keepId, goneId]);
  for (const id of [keepId, goneId]) {
    if (!locks.get(id)!.editorRole) {
      throw new ApiError(
        403,
        'forbidden',
        `You may not merge grid ${id}: a merge is made by the community's staff, or by a leader of both grids.`,
      );
    }
  }
  if (locks.get(keepId)!.communityId !== locks.get(goneId)!.communityId) {
    throw refuseChange(
      GRID_CHANGE_REASON.MERGE_DIFFERENT_COMMUNITIES,
      `Grids ${keepId} and ${goneId} belong to different communities and cannot be merged.`,
      {
        gridIds: [keepId, goneId],
      },
    );
  }
  checkVersions(locks, [keep, gone]);
  const [pair] = await tx.query<{ sharedM: number; union: MultiPolygon }>(
    `select ST_Length(ST_CollectionExtract(ST_Intersection(ST_Boundary(a.boundary), ST_Boundary(b.boundary)), 2)::geography) as "sharedM",
            ST_AsGeoJSON(ST_Multi(ST_UnaryUnion(ST_Collect(a.boundary, b.boundary))))::json as union
     from public.grids a, public.grids b where a.id = $1 and b.id = $2`,
    [keepId, goneId],
  );
  if (!(pair!.sharedM >= MIN_SHARED_EDGE_M)) {
    throw refuseChange(
      GRID_CHANGE_REASON.MERGE_NOT_NEIGHBOURS,
      `Grids ${keepId} and ${goneId} share no edge (${Math.round(pair!.sharedM * 10) / 10} m in common): only neighbours can be merged.`,
      {
        gridIds: [keepId, goneId],
        sharedEdgeM: Math.round(pair!.sharedM * 10) / 10,
      },
    );
  }
  const { problems, warnings, impact } = await validateChanges(
    tx,
    [{ gridId: keepId, version: keep.version, geometry: pair!.union }],
    today,
    [{ gridId: goneId, geometry: null }],
    { rangeIsWarning: true },
  );
  if (problems.length > 0) refuseInvalid(problems, `Merging grid ${goneId} into grid ${keepId}`);
  const committed = await commitChanges(
    tx,
    [
      { gridId: keepId, version: keep.version, geometry: pair!.union, relatedGridIds: [goneId] },
      { gridId: goneId, version: gone.version, retireInto: keepId },
    ],
    'merged',
    reason,
  );
  return { grid: await gridFeature(tx, keepId), retiredGridId: goneId, warnings, impact, ...committed };
}
