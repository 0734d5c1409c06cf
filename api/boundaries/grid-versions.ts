/**
 * A grid's boundary history: every version with who made it, why and its households, and what
 * changed between two versions (the areas added and removed).
 */
import type { MultiPolygon } from 'geojson';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

/** One version of a grid's history, as GET /api/grids/:id/versions lists it. */
export interface GridVersionRow {
  version: number;
  /** Null: since the street was loaded. */
  validFrom: string | null;
  /** Null: the version in force. */
  validTo: string | null;
  kind: 'created' | 'redrawn' | 'split' | 'merged' | 'reverted' | 'imported' | 'edited' | 'recoded' | 'renamed';
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

export async function gridVersions(tx: Queryable, id: number, today: string): Promise<GridVersionRow[]> {
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
    [id, today],
  );
}

/** The areas version `to` added to and removed from version `from`; a 404 when either is missing. */
export async function compareVersions(tx: Queryable, id: number, from: number, to: number) {
  const [row] = await tx.query<{ added: MultiPolygon; removed: MultiPolygon; areaAddedM2: number; areaRemovedM2: number }>(
    `with d as (
       select ST_Multi(ST_CollectionExtract(ST_Difference(b.boundary, a.boundary), 3)) as added,
              ST_Multi(ST_CollectionExtract(ST_Difference(a.boundary, b.boundary), 3)) as removed
       from public.grid_versions a, public.grid_versions b
       where a.grid_id = $1 and a.version = $2 and b.grid_id = $1 and b.version = $3)
     select ST_AsGeoJSON(added, 7)::json as added, ST_AsGeoJSON(removed, 7)::json as removed,
            coalesce(ST_Area(added::geography), 0) as "areaAddedM2", coalesce(ST_Area(removed::geography), 0) as "areaRemovedM2"
     from d`,
    [id, from, to],
  );
  if (!row) throw new ApiError(404, 'not_found', `Grid ${id} has no version ${from} or ${to}; GET /api/grids/${id}/versions lists them.`);
  return row;
}
