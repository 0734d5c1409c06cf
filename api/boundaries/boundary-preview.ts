/**
 * Redrawing a grid, step one: the preview. The same geo/ validator the web editor runs while
 * drawing checks the proposal, then PostGIS re-checks what matters most (validity, overlaps,
 * coverage of the community) — the server never trusts the client's geometry — and the impact is
 * computed: which buildings would move in or out, households, workload, open issues, neighbours.
 */
import type { MultiPolygon, Polygon, Position } from 'geojson';
import type { ArealInput } from '../../geo/domain/geojson.validation';
import { policySettingsSchema } from '../../geo/domain/visit-policy';
import {
  BOUNDARY_PROBLEM,
  type BoundaryProblem,
  GAP_TOLERANCE_M2,
  OUTSIDE_TOLERANCE_M2,
  OVERLAP_TOLERANCE_M2,
  validateGridBoundary,
} from '../../geo/geometry/grid-boundary.validation';
import { boundaryPolicy } from '../../geo/geometry/grid-workload';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

export type Areal = Polygon | MultiPolygon;

export interface BoundaryImpact {
  buildingsIn: number[];
  buildingsOut: number[];
  households: number;
  openIssues: number;
  workloadBefore: number;
  workloadAfter: number;
  neighbours: { gridId: number; householdsBefore: number; householdsAfter: number }[];
}

function bboxOf(...geoms: Areal[]): [number, number, number, number] {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (p: Position) => {
    minX = Math.min(minX, p[0]!);
    minY = Math.min(minY, p[1]!);
    maxX = Math.max(maxX, p[0]!);
    maxY = Math.max(maxY, p[1]!);
  };
  for (const g of geoms) (g.type === 'Polygon' ? g.coordinates : g.coordinates.flat()).flat().forEach(visit);
  return [minX, minY, maxX, maxY];
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Who may redraw a grid: its own leader, or staff of its community — the database decides
 * (minqing.boundary_editor_role, the same check the commit functions make).
 */
export async function requireBoundaryEditor(tx: Queryable, gridId: number) {
  const [row] = await tx.query<{ role: string | null; visible: boolean }>(
    `select minqing.boundary_editor_role($1) as role, exists (select 1 from public.grids where id = $1) as visible`,
    [gridId],
  );
  if (!row?.visible) throw new ApiError(404, 'not_found', `No grid with id ${gridId}.`);
  if (!row.role) {
    throw new ApiError(403, 'forbidden', `Grid ${gridId}'s boundary is redrawn by its grid leader or its community's staff.`);
  }
}

/** Other grids' boundaries as they would be in the same change: a new geometry, or null for a grid merged away. */
export interface BoundaryOverride {
  gridId: number;
  geometry: Areal | null;
  /** For a grid that does not exist yet (the new part of a split): its community. */
  communityId?: number;
}

/**
 * The community's other live grids, as a CTE `others(id, community_id, boundary)`: their
 * current boundaries, except those `$overrides` (a JSON array of BoundaryOverride) replaces.
 */
const othersCte = (overrides: string, gridId: string) => `others as (
    select g.id, g.community_id, g.boundary from public.grids g
    where g.retired_at is null and g.id <> ${gridId}
      and g.id not in (select (o ->> 'gridId')::int from jsonb_array_elements(${overrides}::jsonb) o)
    union all
    select (o ->> 'gridId')::int, coalesce(g.community_id, (o ->> 'communityId')::int),
      ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(o ->> 'geometry'), 4326))
    from jsonb_array_elements(${overrides}::jsonb) o left join public.grids g on g.id = (o ->> 'gridId')::int
    where jsonb_typeof(o -> 'geometry') = 'object'
  )`;

export async function previewBoundary(
  tx: Queryable,
  gridId: number,
  geometry: ArealInput,
  today: string,
  overrides: readonly BoundaryOverride[] = [],
) {
  const overridesJson = JSON.stringify(overrides);
  const [grid] = await tx.query<{
    communityId: number;
    version: number;
    boundary: MultiPolygon;
    community: Areal | null;
    settings: unknown;
  }>(
    `select g.community_id as "communityId", g.version, ST_AsGeoJSON(g.boundary)::json as boundary,
            ST_AsGeoJSON(c.boundary)::json as community, public.policy_settings_at(g.community_id, $2::date) as settings
     from public.grids g join public.communities c on c.id = g.community_id where g.id = $1`,
    [gridId, today],
  );
  if (!grid) throw new ApiError(404, 'not_found', `No grid with id ${gridId}.`);
  const neighbours = await tx.query<{ id: number; boundary: Areal }>(
    `with ${othersCte('$3', '$2')}
     select id, ST_AsGeoJSON(boundary)::json as boundary from others where community_id = $1 order by id`,
    [grid.communityId, gridId, overridesJson],
  );
  const [minX, minY, maxX, maxY] = bboxOf(grid.boundary, geometry, ...overrides.flatMap((o) => (o.geometry ? [o.geometry] : [])));
  const buildings = await tx.query<{
    id: number;
    gridId: number | null;
    footprint: Areal;
    pointOnSurface: Position;
    households: number;
    requiredVisitsPerMonth: number;
  }>(
    `select b.id, b.grid_id as "gridId", ST_AsGeoJSON(b.footprint)::json as footprint,
            json_build_array(ST_X(p), ST_Y(p)) as "pointOnSurface",
            coalesce(w.households, 0) as households, coalesce(w.visits_per_month, 0) as "requiredVisitsPerMonth"
     from public.buildings b
     cross join lateral (select ST_PointOnSurface(b.footprint) as p) ps
     left join public.building_workload($5::date) w on w.building_id = b.id
     where b.footprint && ST_MakeEnvelope($1, $2, $3, $4, 4326)`,
    [minX, minY, maxX, maxY, today],
  );
  const policy = policySettingsSchema.parse(grid.settings);
  const checked = validateGridBoundary({
    gridId,
    geometry,
    community: { id: grid.communityId, boundary: grid.community },
    neighbours,
    buildings,
    policy: boundaryPolicy(policy),
    oldBoundary: grid.boundary,
  });
  const problems: BoundaryProblem[] = [...checked.problems];
  const structural = problems.some((p) => p.code === BOUNDARY_PROBLEM.INVALID_RING || p.code === BOUNDARY_PROBLEM.SELF_INTERSECTION);
  let impact: BoundaryImpact | null = null;

  if (!structural) {
    // PostGIS has the last word on validity; nothing below runs on an invalid shape (GEOS
    // overlay operations on one fail, and the embedded build can hang).
    const [validity] = await tx.query<{ valid: boolean; reason: string | null; location: unknown }>(
      `select (d).valid, (d).reason, ST_AsGeoJSON((d).location)::json as location
       from (select ST_IsValidDetail(ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326)) as d) s`,
      [JSON.stringify(geometry)],
    );
    if (!validity!.valid) {
      problems.push({
        code: /self-intersection|ring self/i.test(validity!.reason ?? '')
          ? BOUNDARY_PROBLEM.SELF_INTERSECTION
          : BOUNDARY_PROBLEM.INVALID_RING,
        geometry: (validity!.location as BoundaryProblem['geometry']) ?? geometry,
        details: { source: 'postgis', reason: validity!.reason ?? '' },
      });
    } else {
      const params = [JSON.stringify(geometry), gridId, grid.communityId, overridesJson];
      const newGeom = `ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326))`;
      const overlaps = await tx.query<{ gridId: number; areaM2: number; geometry: Areal }>(
        `with ${othersCte('$4', '$2')}
         select g.id as "gridId", ST_Area(i::geography) as "areaM2", ST_AsGeoJSON(i)::json as geometry
         from others g cross join lateral (select ST_Intersection(${newGeom}, g.boundary) as i) x
         where g.community_id = $3 and g.id <> $2 and ST_Intersects(${newGeom}, g.boundary)
           and ST_Area(i::geography) > ${OVERLAP_TOLERANCE_M2}`,
        params,
      );
      for (const o of overlaps) {
        if (!problems.some((p) => p.code === BOUNDARY_PROBLEM.OVERLAPS_GRID && p.details.gridId === o.gridId)) {
          problems.push({
            code: BOUNDARY_PROBLEM.OVERLAPS_GRID,
            geometry: o.geometry,
            details: { gridId: o.gridId, areaM2: round1(o.areaM2), source: 'postgis' },
          });
        }
      }
      const [cover] = await tx.query<{ outsideM2: number; outside: Areal | null; gapM2: number; gap: Areal | null }>(
        `with n as (select ${newGeom} as geom),
         c as (select boundary from public.communities where id = $3),
         ${othersCte('$4', '$2')},
         others_union as (select ST_Union(boundary) as geom from others where community_id = $3),
         o as (select ST_Difference(n.geom, c.boundary) as geom from n, c),
         gp as (select ST_Difference(ST_Intersection(g.boundary, c.boundary), ST_Union(n.geom, coalesce(others_union.geom, 'SRID=4326;POLYGON EMPTY'::geometry))) as geom
                from public.grids g, n, c, others_union where g.id = $2)
         select ST_Area(o.geom::geography) as "outsideM2", ST_AsGeoJSON(nullif(o.geom, 'SRID=4326;POLYGON EMPTY'::geometry))::json as outside,
                ST_Area(gp.geom::geography) as "gapM2", ST_AsGeoJSON(gp.geom)::json as gap
         from o, gp`,
        params,
      );
      if (!cover) {
        // The embedded PostGIS answers no row (instead of an error) when a GEOS overlay fails.
        problems.push({
          code: BOUNDARY_PROBLEM.OVERLAY_FAILED,
          geometry,
          details: { against: 'community', error: 'PostGIS could not compute the coverage', source: 'postgis' },
        });
      } else if (cover.outsideM2 > OUTSIDE_TOLERANCE_M2 && !problems.some((p) => p.code === BOUNDARY_PROBLEM.OUTSIDE_COMMUNITY)) {
        problems.push({
          code: BOUNDARY_PROBLEM.OUTSIDE_COMMUNITY,
          geometry: cover!.outside!,
          details: { areaM2: round1(cover!.outsideM2), source: 'postgis' },
        });
      }
      if (cover && cover.gapM2 > Math.max(GAP_TOLERANCE_M2, 1) && !problems.some((p) => p.code === BOUNDARY_PROBLEM.LEAVES_GAP)) {
        problems.push({
          code: BOUNDARY_PROBLEM.LEAVES_GAP,
          geometry: cover!.gap!,
          details: { areaM2: round1(cover!.gapM2), source: 'postgis' },
        });
      }
      impact = await boundaryImpact(tx, gridId, JSON.stringify(geometry), [minX, minY, maxX, maxY], buildings, overridesJson, today);
    }
  }
  return { gridId, version: grid.version, valid: problems.length === 0, problems, summary: checked.summary, impact };
}

/** Where each nearby building would belong after the change (the database's rule: the lowest-id grid covering its point on surface). */
async function boundaryImpact(
  tx: Queryable,
  gridId: number,
  geojson: string,
  bbox: number[],
  // The same bbox's buildings as loaded for the validator: their households and workload are reused, not recomputed.
  nearby: readonly { id: number; households: number; requiredVisitsPerMonth: number }[],
  overridesJson: string,
  today: string,
): Promise<BoundaryImpact> {
  const load = new Map(nearby.map((b) => [b.id, b]));
  const assigned = await tx.query<{ id: number; before: number | null; after: number | null }>(
    `with n as (select ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326)) as geom),
     ${othersCte('$7', '$2')},
     near as (
       select b.id, b.grid_id as before, ST_PointOnSurface(b.footprint) as p
       from public.buildings b where b.footprint && ST_MakeEnvelope($3, $4, $5, $6, 4326)
     )
     select near.id, near.before,
       (select x.id from (
          select $2::int as id, n.geom from n
          union all select o.id, o.boundary from others o
        ) x where ST_Covers(x.geom, near.p) order by x.id limit 1) as after
     from near`,
    [geojson, gridId, ...bbox, overridesJson],
  );
  const rows = assigned.map((r) => ({
    ...r,
    households: load.get(r.id)?.households ?? 0,
    workload: load.get(r.id)?.requiredVisitsPerMonth ?? 0,
  }));
  const [open] = await tx.query<{ n: number }>(
    `select count(*)::int as n from public.issue_pins(now()) p
     where p.stage in ('on_track', 'past_half', 'overdue')
       and ST_Covers(ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326), ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))`,
    [geojson],
  );
  const sum = (pred: (r: (typeof rows)[number]) => boolean, f: (r: (typeof rows)[number]) => number) =>
    rows.filter(pred).reduce((s, r) => s + f(r), 0);
  const others = [...new Set(rows.flatMap((r) => [r.before, r.after]).filter((g): g is number => g !== null && g !== gridId))].sort(
    (a, b) => a - b,
  );
  // Only the buildings near the change were loaded, but a neighbour reaches further: its totals
  // are all its buildings' households, then adjusted by the buildings that move. Households are
  // counted as building_workload counts them (same day, same rule), so the two never disagree.
  const totals = new Map(
    (
      await tx.query<{ gridId: number; households: number }>(
        `select b.grid_id as "gridId", coalesce(sum(c.households), 0)::int as households
         from public.buildings b join public.building_household_counts($2::date) c on c.building_id = b.id
         where b.grid_id = any ($1::int[]) group by b.grid_id`,
        [others, today],
      )
    ).map((r) => [r.gridId, r.households]),
  );
  return {
    buildingsIn: rows
      .filter((r) => r.after === gridId && r.before !== gridId)
      .map((r) => r.id)
      .sort((a, b) => a - b),
    buildingsOut: rows
      .filter((r) => r.before === gridId && r.after !== gridId)
      .map((r) => r.id)
      .sort((a, b) => a - b),
    households: sum(
      (r) => r.after === gridId,
      (r) => r.households,
    ),
    openIssues: open!.n,
    workloadBefore: round1(
      sum(
        (r) => r.before === gridId,
        (r) => r.workload,
      ),
    ),
    workloadAfter: round1(
      sum(
        (r) => r.after === gridId,
        (r) => r.workload,
      ),
    ),
    neighbours: others
      .map((id) => {
        const before = totals.get(id) ?? 0;
        const leaving = sum(
          (r) => r.before === id && r.after !== id,
          (r) => r.households,
        );
        const arriving = sum(
          (r) => r.after === id && r.before !== id,
          (r) => r.households,
        );
        return { gridId: id, householdsBefore: before, householdsAfter: before - leaving + arriving };
      })
      .filter((n) => n.householdsBefore !== n.householdsAfter),
  };
}
