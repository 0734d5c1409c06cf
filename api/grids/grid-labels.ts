/**
 * A grid's code and name after import (issue #8). The code is checked against the street's scheme
 * (streets.grid_code_pattern: the 15-digit scheme when null, else the street's own pattern) and
 * must be free in the street; the name must be free in the community. The update runs as the
 * caller, so row-level security decides who (community staff, own community, not presenting),
 * and the grids' triggers write the new version (kind 'recoded' or 'renamed') into the history
 * (supabase/migrations/20261129000100_grid_codes.sql).
 */
import { GRID_CODE_REASON, type GridCodeReason, gridCodeExample, validateGridCodeInScheme } from '../../geo/import/grid-code';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { gridFeature } from './grid-features';

export interface GridLabelChange {
  code?: string;
  name?: string;
  /** The grid version the client saw. */
  expectedVersion: number;
  reason?: string;
}

const REASON_TEXT: Record<GridCodeReason, string> = {
  [GRID_CODE_REASON.FORMAT]: 'is not 15 digits (district 6 + street 3 + community 3 + grid sequence 3)',
  [GRID_CODE_REASON.ZERO_PART]: 'has a part that is all zeros (district, street, community or sequence)',
  [GRID_CODE_REASON.PREFIX_MISMATCH]: "does not start with the grid's community code",
  [GRID_CODE_REASON.STREET_PATTERN]: "does not follow this street's own code scheme",
};

interface GridRow {
  id: number;
  code: string;
  name: string;
  version: number;
  communityId: number;
  communityCode: string;
  streetPattern: string | null;
  retired: boolean;
  mayEdit: boolean;
  changedBy: string | null;
  changedAt: string | null;
  changeKind: string | null;
}

/** Gives grid `id` the new code and/or name; `changed` is false when both were already so. */
export async function relabelGrid(tx: Queryable, id: number, change: GridLabelChange) {
  const g = await editableGrid(tx, id, change.expectedVersion);
  const code = change.code ?? g.code;
  const name = change.name ?? g.name;
  if (code !== g.code) await checkCode(tx, g, code);
  if (name !== g.name) await checkName(tx, g, name);
  if (code === g.code && name === g.name) return { grid: await gridFeature(tx, id), changed: false };
  await tx.query(`select set_config('minqing.change_reason', $1, true)`, [change.reason ?? '']);
  const updated = await tx
    .query('update public.grids set code = $2, name = $3 where id = $1 and version = $4 returning id', [
      id,
      code,
      name,
      change.expectedVersion,
    ])
    .catch((e: unknown) => {
      // Another street's grid took the code between the check and the update.
      if ((e as { code?: string }).code === '23505') {
        throw new ApiError(409, 'code_taken', `The code ${code} was just given to another grid; give this grid another code.`, {
          code,
          gridId: null,
          gridName: null,
        });
      }
      throw e;
    });
  if (updated.length !== 1) throw new ApiError(403, 'forbidden', `You may not change the code or name of grid ${g.code}.`);
  return { grid: await gridFeature(tx, id), changed: true };
}

/** The grid, if the caller may relabel it and it is still at the version they saw (404, 403, 409 otherwise). */
async function editableGrid(tx: Queryable, id: number, expectedVersion: number): Promise<GridRow> {
  const [g] = await tx.query<GridRow>(
    `select g.id, g.code, g.name, g.version, g.community_id as "communityId", cm.code as "communityCode",
            s.grid_code_pattern as "streetPattern", g.retired_at is not null as retired,
            (g.community_id = minqing.my_managed_community() and not minqing.presenting()) as "mayEdit",
            public.staff_display_name(v.staff_id) as "changedBy", to_json(nullif(v.valid_from, '-infinity'))#>>'{}' as "changedAt",
            v.kind as "changeKind"
     from public.grids g
     join public.communities cm on cm.id = g.community_id
     join public.streets s on s.id = cm.street_id
     left join public.grid_versions v on v.grid_id = g.id and v.valid_to is null
     where g.id = $1`,
    [id],
  );
  if (!g) throw new ApiError(404, 'not_found', `No grid with id ${id}.`);
  // The same rule as the policy on public.grids, asked first so the refusal comes before any
  // judgement of the code; the update is refused by the policy itself all the same.
  if (!g.mayEdit) {
    throw new ApiError(
      403,
      'forbidden',
      `You may not change the code or name of grid ${g.code}: codes and names are kept by the staff of the grid's community.`,
    );
  }
  if (g.retired) {
    throw new ApiError(
      409,
      'grid_retired',
      `Grid ${g.code} was merged into another grid and retired; its code and name stay as they were.`,
      { gridId: id },
    );
  }
  if (g.version !== expectedVersion) {
    throw new ApiError(
      409,
      'stale_version',
      `Grid ${g.code} was changed by ${g.changedBy ?? 'someone'} at ${g.changedAt ?? 'since the street was loaded'} (${g.changeKind ?? 'created'}): ` +
        `it is now at version ${g.version}, you saw version ${expectedVersion}. Reload the grid and make your change again.`,
      {
        gridId: id,
        currentVersion: g.version,
        yourVersion: expectedVersion,
        changedBy: g.changedBy,
        changedAt: g.changedAt,
        kind: g.changeKind,
      },
    );
  }
  return g;
}

/** The new code follows the street's scheme (422) and no grid of any street holds it (409). */
async function checkCode(tx: Queryable, g: GridRow, code: string): Promise<void> {
  const scheme = { streetPattern: g.streetPattern, communityCode: g.communityCode };
  const check = validateGridCodeInScheme(code, scheme);
  if (!check.valid) {
    const example = gridCodeExample(scheme);
    throw new ApiError(
      422,
      'invalid_grid_code',
      `The code ${code} ${REASON_TEXT[check.reason]}` +
        (g.streetPattern ? ` (the pattern ${g.streetPattern}).` : `; a code of this grid's community looks like ${example}.`),
      { reason: check.reason, code, pattern: g.streetPattern, example },
    );
  }
  const [holder] = await tx.query<{ id: number; name: string; communityName: string }>(
    `select g.id, g.name, cm.name as "communityName" from public.grids g join public.communities cm on cm.id = g.community_id
     where g.code = $1 and g.id <> $2`,
    [code, g.id],
  );
  if (holder) {
    throw new ApiError(
      409,
      'code_taken',
      `The code ${code} belongs to grid ${holder.name} (id ${holder.id}, ${holder.communityName}); give this grid another code.`,
      {
        code,
        gridId: holder.id,
        gridName: holder.name,
      },
    );
  }
  const [elsewhere] = await tx.query('select 1 from minqing.taken_grid_codes($1::text[])', [[code]]);
  if (elsewhere) {
    throw new ApiError(409, 'code_taken', `The code ${code} belongs to a grid of another street; give this grid another code.`, {
      code,
      gridId: null,
      gridName: null,
    });
  }
}

/** No other live grid of the community has the name (409). */
async function checkName(tx: Queryable, g: GridRow, name: string): Promise<void> {
  const [same] = await tx.query<{ id: number; code: string }>(
    'select id, code from public.grids where community_id = $1 and btrim(name) = $2 and id <> $3 and retired_at is null',
    [g.communityId, name, g.id],
  );
  if (same) {
    throw new ApiError(409, 'name_taken', `The community already has a grid named ${name} (${same.code}); choose another name.`, {
      name,
      gridId: same.id,
      gridCode: same.code,
    });
  }
}
