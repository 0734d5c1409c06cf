/**
 * The checks a community's boundary must pass, in PostGIS, for one boundary drawn or sent
 * (POST/PATCH /api/communities) and for every feature of an import alike: no overlap with
 * another of the boundaries checked together or with the street's other communities, and
 * nothing outside the street when the street has a boundary of its own (a street set up without
 * one takes the union of its communities, 20261209000200_communities.sql, and constrains
 * nothing). Tolerances are the grid editor's (grid-boundary.validation.ts): slivers from shared
 * coordinates are noise, not overlaps.
 */
import type { MultiPolygon } from 'geojson';
import { OUTSIDE_TOLERANCE_M2, OVERLAP_TOLERANCE_M2 } from '../../geo/geometry/grid-boundary.validation';
import type { Queryable } from '../db/database';
import { overlapsAmong, SHAPES_INPUT } from '../lib/shape-overlaps';

export interface CommunityShape {
  /** The caller's handle on it: a feature index, or 0 for a single boundary. */
  key: number;
  geometry: MultiPolygon;
  /** The community this boundary replaces: its own old boundary is no overlap. */
  targetId: number | null;
}

export type CommunityShapeProblem =
  | { key: number; code: 'community_overlap'; areaM2: number; otherKey: number }
  | { key: number; code: 'community_overlap'; areaM2: number; communityId: number; communityCode: string; communityName: string }
  | { key: number; code: 'outside_street'; areaM2: number };

const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * Problems of the shapes (valid geometry expected: callers check validity first), each on the
 * later of two overlapping shapes, so that the first of a file is kept as imports keep the first.
 */
export async function communityShapeProblems(
  tx: Queryable,
  streetId: number,
  bounded: boolean,
  shapes: readonly CommunityShape[],
): Promise<CommunityShapeProblem[]> {
  if (shapes.length === 0) return [];
  const input = SHAPES_INPUT;
  const params = [JSON.stringify(shapes.map((s) => ({ i: s.key, t: s.targetId, g: JSON.stringify(s.geometry) }))), streetId];
  const among = await overlapsAmong(tx, params[0] as string);
  const existing = await tx.query<{ k: number; id: number; code: string; name: string; areaM2: number }>(
    `with ${input}
     select i.i as k, c.id, c.code, c.name, ST_Area(ST_Intersection(i.g, c.boundary)::geography) as "areaM2"
     from input i join public.communities c
       on c.street_id = $2 and c.boundary && i.g and ST_Intersects(i.g, c.boundary)
      and c.id is distinct from i.target and c.id not in (select target from input where target is not null)
     where ST_Area(ST_Intersection(i.g, c.boundary)::geography) > ${OVERLAP_TOLERANCE_M2} order by i.i, c.code`,
    params,
  );
  const outside = bounded
    ? await tx.query<{ k: number; areaM2: number }>(
        `with ${input}
         select i.i as k, ST_Area(ST_Difference(i.g, s.boundary)::geography) as "areaM2" from input i, public.streets s
         where s.id = $2 and not ST_CoveredBy(i.g, s.boundary)
           and ST_Area(ST_Difference(i.g, s.boundary)::geography) > ${OUTSIDE_TOLERANCE_M2} order by i.i`,
        params,
      )
    : [];
  return [
    ...among.map((o) => ({ key: o.b, code: 'community_overlap' as const, areaM2: round1(o.areaM2), otherKey: o.a })),
    ...existing.map((o) => ({
      key: o.k,
      code: 'community_overlap' as const,
      areaM2: round1(o.areaM2),
      communityId: o.id,
      communityCode: o.code,
      communityName: o.name,
    })),
    ...outside.map((o) => ({ key: o.k, code: 'outside_street' as const, areaM2: round1(o.areaM2) })),
  ];
}
