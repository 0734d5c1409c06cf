/**
 * Shapes for boundary changes a test makes through the API, computed by PostGIS on the demo
 * street: a line that splits a grid in two, and a shared edge moved so that one building passes
 * from a grid to its neighbour.
 */
import type { Queryable } from '../../api/db/database';

async function one<T>(db: Queryable, sql: string, params: unknown[]): Promise<T> {
  const [row] = await db.query<T>(sql, params);
  if (!row) throw new Error(`no row: ${sql.slice(0, 80)}…`);
  return row;
}

/** A north–south line across the grid, the one nearest its middle (in steps of 2 % of its width) that crosses no building. */
export async function splitLineOf(db: Queryable, gridId: number): Promise<unknown> {
  const { line } = await one<{ line: unknown }>(
    db,
    `with g as (select boundary from public.grids where id = $1),
     lines as (select f, ST_MakeLine(ST_MakePoint(ST_XMin(g.boundary) + f * (ST_XMax(g.boundary) - ST_XMin(g.boundary)), ST_YMin(g.boundary) - 0.001),
                                     ST_MakePoint(ST_XMin(g.boundary) + f * (ST_XMax(g.boundary) - ST_XMin(g.boundary)), ST_YMax(g.boundary) + 0.001)) as l
               from g, generate_series(0.3, 0.7, 0.02) f)
     select ST_AsGeoJSON(ST_SetSRID(l, 4326))::json as line from lines
     where not exists (select 1 from public.buildings b where ST_Intersects(b.footprint, ST_SetSRID(l, 4326)))
     order by abs(f - 0.5) limit 1`,
    [gridId],
  );
  return line;
}

/**
 * A building of a neighbour of `gridId` (same community) near their shared edge, whose transfer
 * box (see transferShapes) touches no other building.
 */
export async function transferableBuilding(db: Queryable, gridId: number): Promise<{ neighbour: number; building: number }> {
  return one(
    db,
    `with a as (select id, boundary from public.grids where id = $1)
     select b.grid_id as neighbour, b.id as building
     from public.buildings b join public.grids n on n.id = b.grid_id, a, public.building_household_counts() hc
     where hc.building_id = b.id and n.id <> a.id and n.community_id = (select community_id from public.grids where id = $1)
       -- A few households: both grids stay within the policy's range.
       and ST_DWithin(b.footprint, a.boundary, 0.0004) and hc.households between 5 and 25
       and not exists (select 1 from public.buildings o where o.id <> b.id and ST_Intersects(o.footprint,
             ST_Expand(ST_Collect(b.footprint, ST_ClosestPoint(ST_Boundary(a.boundary), b.footprint)), 0.00002)))
     order by b.id limit 1`,
    [gridId],
  );
}

/**
 * Both grids' new shapes when `buildingId` passes from grid `from` to grid `to`: the piece of
 * `from` between the building and `to` (with a margin) goes to `to`.
 */
export async function transferShapes(
  db: Queryable,
  buildingId: number,
  from: number,
  to: number,
): Promise<{ grown: unknown; shrunk: unknown }> {
  return one(
    db,
    `with t as (select boundary from public.grids where id = $3), f as (select boundary from public.grids where id = $2),
          b as (select footprint from public.buildings where id = $1),
          piece as (select ST_CollectionExtract(ST_Intersection(f.boundary, ST_Expand(ST_Collect(b.footprint, ST_ClosestPoint(ST_Boundary(t.boundary), b.footprint)), 0.00002), 1e-7), 3) as g from t, f, b)
     -- Fixed-precision overlays (the demo's 7 decimals): a floating one leaves a zero-width spike where the piece meets the grid.
     select ST_AsGeoJSON(ST_Multi(ST_Union(t.boundary, piece.g, 1e-7)))::json as grown, ST_AsGeoJSON(ST_Multi(ST_Difference(f.boundary, piece.g, 1e-7)))::json as shrunk
     from t, f, piece`,
    [buildingId, from, to],
  );
}
