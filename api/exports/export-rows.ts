/**
 * The rows of the exports (api/routes/exports.ts), as of a date, read as the caller: personal
 * fields come from the masked *_records views, so an export holds exactly what the caller could
 * see on screen. docs/import-export.md.
 */
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

export interface GridRow {
  id: number;
  code: string;
  name: string;
  community: string;
  households: number;
  coverage: number | null;
  overdueHouseholds: number;
  atRiskOverdue: number;
  openIssues: number;
  overdueIssues: number;
  attention: number | null;
  geometry?: unknown;
}
export interface OverdueRow {
  grid: string;
  address: string;
  unit: string | null;
  room: string;
  headName: string | null;
  phone: string | null;
  categories: string[];
  lastVisit: string | null;
  dueDate: string;
  daysOverdue: number;
}
export interface IssueRow {
  regNo: string;
  grid: string;
  category: string;
  description: string;
  status: string;
  receivedAt: string;
  dueAt: string | null;
  closedAt: string | null;
  reporterName: string | null;
  reporterContact: string | null;
}

/**
 * The grids in force at the end of asOf, with the boundary, code and name they had then (a
 * split's new grid is not in an earlier export, a merged one still is); public.grids only
 * for row-level security.
 */
export function gridExportRows(tx: Queryable, asOf: string, gridId: number | undefined, withGeometry: boolean): Promise<GridRow[]> {
  return tx.query<GridRow>(
    `select v.grid_id as id, v.code, v.name, c.name as community, coalesce(s.households, 0) as households, s.coverage,
            coalesce(s.overdue_households, 0) as "overdueHouseholds", coalesce(s.at_risk_overdue, 0) as "atRiskOverdue",
            coalesce(s.open_issues, 0) as "openIssues", coalesce(s.overdue_issues, 0) as "overdueIssues", s.attention
            ${withGeometry ? ', ST_AsGeoJSON(v.boundary, 7)::json as geometry' : ''}
     from public.grid_versions_at($1::date) v join public.grids g on g.id = v.grid_id
     join public.communities c on c.id = v.community_id
     left join public.grid_stats($1::date) s on s.grid_id = v.grid_id
     where $2::int is null or v.grid_id = $2 order by v.code`,
    [asOf, gridId ?? null],
  );
}

/** The mop-up lists of the grids the caller may read (or of grid `gridId`), as of asOf. */
export async function overdueExportRows(tx: Queryable, asOf: string, gridId: number | undefined): Promise<OverdueRow[]> {
  // The grids whose mop-up lists the caller may read (as /api/grids/:id/overdue decides).
  // Named as on asOf (a grid renamed since keeps that day's name, as the map of that day shows it).
  const grids = await tx.query<{ id: number; name: string }>(
    `select g.id, coalesce(v.name, g.name) as name from public.grids g
     left join public.grid_versions_at($2::date) v on v.grid_id = g.id
     where g.id = any (minqing.visible_grid_ids()) and ($1::int is null or g.id = $1) order by coalesce(v.code, g.code)`,
    [gridId ?? null, asOf],
  );
  if (gridId && grids.length === 0)
    throw new ApiError(403, 'forbidden', `The mop-up list of grid ${gridId} is for its team, its community staff and the street leader.`);
  const out: OverdueRow[] = [];
  for (const g of grids) {
    out.push(
      ...(await tx.query<OverdueRow>(
        `select $3::text as grid, o.address, o.unit, o.room, hr.head_name as "headName", hr.phone,
              o.categories::text[] as categories, o.last_visit::text as "lastVisit", o.due_date::text as "dueDate", o.days_overdue as "daysOverdue"
         from public.grid_overdue_households($1, $2::date) o
         left join public.household_records hr on hr.id = o.household_id
         order by o.days_overdue desc, o.address, o.room`,
        [g.id, asOf, g.name],
      )),
    );
  }
  return out;
}

/** The matters the caller may read (of grid `gridId` if given), newest received first. */
export function issueExportRows(tx: Queryable, gridId: number | undefined): Promise<IssueRow[]> {
  return tx.query<IssueRow>(
    `select i.reg_no as "regNo", g.name as grid, i.category::text as category, i.description, i.status::text as status,
            i.received_at::text as "receivedAt", i.due_at::text as "dueAt", i.closed_at::text as "closedAt",
            i.reporter_name as "reporterName", i.reporter_contact as "reporterContact"
     from public.issue_records i join public.grids g on g.id = i.grid_id
     where ($1::int is null or i.grid_id = $1) order by i.received_at desc`,
    [gridId ?? null],
  );
}
