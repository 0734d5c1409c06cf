/**
 * The rows a grid file writes, and its problems: per community (community staff import into
 * theirs; a street leader's street-wide file is first split by the community that contains each
 * grid). A grid that overlaps another grid of the file or an existing grid, lies partly outside
 * its community, straddles two communities or lies in none, or whose code another row or another
 * community's grid holds, is an ERROR of that feature: it is left out, the others are written
 * (docs/import-export.md). A code the file gives that its community already has redraws that
 * grid; a grid without a code gets the next free one in the 15-digit scheme.
 */
import type { MultiPolygon } from 'geojson';
import {
  BUILDING_WHOLE_SHARE,
  GAP_TOLERANCE_M2,
  OUTSIDE_TOLERANCE_M2,
  OVERLAP_TOLERANCE_M2,
} from '../../geo/geometry/grid-boundary.validation';
import { GRID_CODE_PATTERN, generateGridCodes, validateGridCode } from '../../geo/import/grid-code';
import { IMPORT_PROBLEM, type ImportProblem } from '../../geo/import/import-problems';
import type { Queryable } from '../db/database';
import { overlapsAmong, SHAPES_INPUT } from '../lib/shape-overlaps';

export interface Candidate {
  i: number;
  name: string | null;
  code: string | null;
  address: string | null;
  geometry: MultiPolygon;
}

/** One row the commit writes. */
export interface GeoRow {
  featureIndex: number;
  action: 'insert' | 'update';
  /** The community, grid or building updated (re-import by code or address). */
  targetId: number | null;
  /** The community a grid goes to (null for communities and buildings). */
  communityId: number | null;
  name: string | null;
  code: string | null;
  address: string | null;
  geometry: MultiPolygon;
}

export type Report = (
  code: ImportProblem['code'],
  severity: ImportProblem['severity'],
  featureIndex: number | undefined,
  message: string,
  details?: Record<string, unknown>,
) => void;

const shapesJson = (cs: readonly { i: number; geometry: MultiPolygon; targetId?: number | null }[]) =>
  JSON.stringify(cs.map((c) => ({ i: c.i, g: JSON.stringify(c.geometry), t: c.targetId ?? null })));
const INPUT = SHAPES_INPUT;
const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * A street leader's grids: each to the community that contains it. A feature with significant
 * area (over the outside tolerance) in two communities straddles them; one with none in any lies
 * in no community; both are errors, not guesses. The rest go through the community's checks.
 */
export async function streetGridRows(tx: Queryable, kept: Candidate[], streetId: number, problem: Report): Promise<GeoRow[]> {
  if (kept.length === 0) return [];
  const shares = await tx.query<{ i: number; id: number; code: string; name: string; areaM2: number }>(
    `with ${INPUT}
     select i.i, c.id, c.code, c.name, ST_Area(ST_Intersection(i.g, c.boundary)::geography) as "areaM2"
     from input i join public.communities c on c.street_id = $2 and c.boundary && i.g and ST_Intersects(i.g, c.boundary)
     order by i.i, 5 desc`,
    [shapesJson(kept), streetId],
  );
  const byCommunity = new Map<number, { code: string; kept: Candidate[] }>();
  for (const c of kept) {
    const inside = shares.filter((s) => s.i === c.i && s.areaM2 > OUTSIDE_TOLERANCE_M2);
    if (inside.length === 0) {
      problem(
        IMPORT_PROBLEM.GRID_IN_NO_COMMUNITY,
        'error',
        c.i,
        `Feature ${c.i}: the grid lies in none of the street's communities; import or draw the communities first, or fix the grid. It is not imported.`,
      );
    } else if (inside.length > 1) {
      problem(
        IMPORT_PROBLEM.GRID_STRADDLES_COMMUNITIES,
        'error',
        c.i,
        `Feature ${c.i}: the grid straddles the communities ${inside.map((s) => `${s.name} (${s.code}, ${Math.round(s.areaM2)} m²)`).join(' and ')}; a grid belongs to one community. Split it along the community edge. It is not imported.`,
        {
          communityCodes: inside.map((s) => s.code),
          communityNames: inside.map((s) => s.name),
        },
      );
    } else {
      const home = byCommunity.get(inside[0]!.id) ?? { code: inside[0]!.code, kept: [] };
      home.kept.push(c);
      byCommunity.set(inside[0]!.id, home);
    }
  }
  const rows: GeoRow[] = [];
  for (const [id, { code, kept: mine }] of byCommunity) rows.push(...(await gridRows(tx, mine, { id, code }, problem)));
  return rows.sort((a, b) => a.featureIndex - b.featureIndex);
}

/** The grids of one community's file (or of its share of a street's file). */
export async function gridRows(
  tx: Queryable,
  kept: Candidate[],
  community: { id: number; code: string },
  problem: Report,
): Promise<GeoRow[]> {
  const fileCodes = kept.map((c) => c.code).filter((c): c is string => c !== null);
  const existing = await tx.query<{ id: number; code: string; communityId: number }>(
    `select id, code, community_id as "communityId" from public.grids where code = any ($1::text[])`,
    [fileCodes],
  );
  // A code held by a grid the caller cannot see (another street) still blocks the insert.
  const [{ taken }] = (await tx.query<{ taken: string[] }>(
    `select coalesce(array_agg(t), '{}') as taken from minqing.taken_grid_codes($1::text[]) t`,
    [fileCodes],
  )) as [{ taken: string[] }];
  const byCode = new Map(existing.map((g) => [g.code, g]));
  const seenCode = new Map<string, number>();
  const rows: GeoRow[] = [];
  const needCode: Candidate[] = [];
  const row = (c: Candidate, code: string, targetId: number | null): GeoRow => ({
    featureIndex: c.i,
    action: targetId === null ? 'insert' : 'update',
    targetId,
    communityId: community.id,
    name: c.name ?? code,
    code,
    address: null,
    geometry: c.geometry,
  });
  for (const c of kept) {
    if (!c.code) {
      needCode.push(c);
      continue;
    }
    const first = seenCode.get(c.code);
    if (first !== undefined) {
      problem(
        IMPORT_PROBLEM.DUPLICATE_CODE,
        'error',
        c.i,
        `Feature ${c.i}: the code ${c.code} is also feature ${first}'s; only the first is imported. Give each grid its own code.`,
        { duplicateOf: first, code: c.code },
      );
      continue;
    }
    seenCode.set(c.code, c.i);
    const same = byCode.get(c.code);
    if ((same && same.communityId !== community.id) || (!same && taken.includes(c.code))) {
      problem(
        IMPORT_PROBLEM.CODE_TAKEN,
        'error',
        c.i,
        `Feature ${c.i}: the code ${c.code} belongs to a grid of another community; give this grid a code of its community.`,
        { code: c.code },
      );
      continue;
    }
    if (!validateGridCode(c.code, { communityPrefix: GRID_CODE_PATTERN.test(`${community.code}001`) ? community.code : undefined }).valid) {
      problem(
        IMPORT_PROBLEM.NONSTANDARD_CODE,
        'warning',
        c.i,
        `Feature ${c.i}: the code ${c.code} does not follow the 15-digit scheme (${community.code}nnn); it is kept as given.`,
        { code: c.code, prefix: community.code },
      );
    }
    rows.push(row(c, c.code, same?.id ?? null));
  }
  if (needCode.length) {
    for (const r of await generatedCodes(tx, needCode, community, seenCode)) {
      problem(
        IMPORT_PROBLEM.MISSING_FIELD,
        'warning',
        r.c.i,
        `Feature ${r.c.i}: no code property${r.c.name ? '' : ' and no name'}; it gets the code ${r.code} (west→east, north→south).`,
        { field: 'code', generated: r.code },
      );
      rows.push(row(r.c, r.code, null));
    }
    rows.sort((a, b) => a.featureIndex - b.featureIndex);
  }
  if (rows.length === 0) return rows;
  const refused = await shapeErrors(tx, rows, community, problem);
  const written = rows.filter((r) => !refused.has(r.featureIndex));
  await shapeWarnings(tx, written, community, problem);
  return written;
}

/**
 * Codes for grids without one: the community's next sequence numbers in reading order, skipping
 * any code the file gives another grid or that is in use anywhere (a generated code that a row of
 * the same file already held was written twice and failed the commit with a 409, issue 19).
 */
async function generatedCodes(
  tx: Queryable,
  needCode: Candidate[],
  community: { id: number; code: string },
  fileCodes: ReadonlyMap<string, number>,
) {
  const [{ maxSeq }] = (await tx.query<{ maxSeq: number }>(
    `select coalesce(max(right(code, 3)::int), 0) as "maxSeq" from public.grids where community_id = $1 and code ~ ('^' || $2 || '\\d{3}$')`,
    [community.id, community.code],
  )) as [{ maxSeq: number }];
  const points = await tx.query<{ i: number; x: number; y: number; h: number }>(
    `with ${INPUT} select i, ST_X(p) as x, ST_Y(p) as y, ST_YMax(g) - ST_YMin(g) as h from input cross join lateral (select ST_PointOnSurface(g) as p) pp`,
    [shapesJson(needCode)],
  );
  const prefix = /^\d{12}$/.test(community.code) ? community.code : null;
  const codeAt = (seq: number) => (prefix ? prefix + String(seq).padStart(3, '0') : `${community.code}-${String(seq).padStart(3, '0')}`);
  // Enough candidates for every grid even if each next number were taken.
  const candidates = Array.from({ length: needCode.length + fileCodes.size }, (_, n) => codeAt(maxSeq + n + 1));
  const [{ taken }] = (await tx.query<{ taken: string[] }>(
    `select coalesce(array_agg(t), '{}') as taken from minqing.taken_grid_codes($1::text[]) t`,
    [candidates],
  )) as [{ taken: string[] }];
  const free = candidates.filter((c) => !fileCodes.has(c) && !taken.includes(c));
  // Reading order decides which grid gets which free code.
  const order = prefix
    ? generateGridCodes(
        prefix,
        points.map((p) => ({ key: p.i, point: [p.x, p.y] as const, height: p.h })),
        1,
      ).map((g) => g.key)
    : points.map((p) => p.i);
  const byIndex = new Map(needCode.map((c) => [c.i, c]));
  return order.map((i, n) => ({ c: byIndex.get(i)!, code: free[n]! }));
}

/** Overlaps (with the file's other grids and the community's grids) and area outside the community: errors of the feature. */
async function shapeErrors(tx: Queryable, rows: GeoRow[], community: { id: number; code: string }, problem: Report): Promise<Set<number>> {
  const refused = new Set<number>();
  const params = [shapesJson(rows.map((r) => ({ i: r.featureIndex, geometry: r.geometry, targetId: r.targetId }))), community.id];
  const among = await overlapsAmong(tx, params[0] as string);
  for (const o of among) {
    // The later of two is refused, as duplicates are: the first is kept.
    if (refused.has(o.a)) continue;
    refused.add(o.b);
    problem(
      IMPORT_PROBLEM.GRID_OVERLAP,
      'error',
      o.b,
      `Features ${o.a} and ${o.b} overlap by ${Math.round(o.areaM2)} m²; a grid's edge should be its neighbour's. Feature ${o.b} is not imported.`,
      { otherFeatureIndex: o.a, areaM2: round1(o.areaM2) },
    );
  }
  // Grids the file does not redraw stay as they are: a new shape must not take their area.
  const existing = await tx.query<{ i: number; code: string; name: string; areaM2: number }>(
    `with ${INPUT}
     select i.i, g.code, g.name, ST_Area(ST_Intersection(i.g, g.boundary)::geography) as "areaM2"
     from input i join public.grids g on g.community_id = $2 and g.retired_at is null and g.boundary && i.g and ST_Intersects(i.g, g.boundary)
      and g.id not in (select target from input where target is not null)
     where ST_Area(ST_Intersection(i.g, g.boundary)::geography) > ${OVERLAP_TOLERANCE_M2} order by i.i, g.code`,
    params,
  );
  for (const o of existing) {
    refused.add(o.i);
    problem(
      IMPORT_PROBLEM.GRID_OVERLAP,
      'error',
      o.i,
      `Feature ${o.i}: overlaps the existing grid ${o.name} (${o.code}) by ${Math.round(o.areaM2)} m²; redraw that grid in the same file (by its code) or move this edge. It is not imported.`,
      { gridCode: o.code, gridName: o.name, areaM2: round1(o.areaM2) },
    );
  }
  const outside = await tx.query<{ i: number; areaM2: number }>(
    `with ${INPUT}
     select i, ST_Area(ST_Difference(g, c.boundary)::geography) as "areaM2" from input, public.communities c
     where c.id = $2 and c.boundary is not null and not ST_CoveredBy(g, c.boundary)
       and ST_Area(ST_Difference(g, c.boundary)::geography) > ${OUTSIDE_TOLERANCE_M2} order by i`,
    params,
  );
  for (const o of outside) {
    refused.add(o.i);
    problem(
      IMPORT_PROBLEM.OUTSIDE_COMMUNITY,
      'error',
      o.i,
      `Feature ${o.i}: ${Math.round(o.areaM2)} m² lie outside the boundary of community ${community.code}; a grid lies inside its community. It is not imported.`,
      { areaM2: round1(o.areaM2), communityCode: community.code },
    );
  }
  return refused;
}

/** What is written but someone should look at: community area left in no grid, existing buildings cut by a new edge. */
async function shapeWarnings(tx: Queryable, rows: GeoRow[], community: { id: number; code: string }, problem: Report) {
  if (rows.length === 0) return;
  const params = [shapesJson(rows.map((r) => ({ i: r.featureIndex, geometry: r.geometry, targetId: r.targetId }))), community.id];
  const [gap] = await tx.query<{ areaM2: number; parts: number }>(
    `with ${INPUT},
     kept as (select boundary as g from public.grids where community_id = $2 and retired_at is null and id not in (select target from input where target is not null)),
     cover as (select ST_Union(g) as g from (select g from input union all select g from kept) u),
     gap as (select ST_Difference(c.boundary, cover.g) as g from public.communities c, cover where c.id = $2 and c.boundary is not null)
     select coalesce(ST_Area(gap.g::geography), 0) as "areaM2", ST_NumGeometries(gap.g) as parts from gap`,
    params,
  );
  if (gap && gap.areaM2 > GAP_TOLERANCE_M2) {
    problem(
      IMPORT_PROBLEM.GRID_GAP,
      'warning',
      undefined,
      `${Math.round(gap.areaM2)} m² of community ${community.code} (${gap.parts} piece(s)) would be in no grid; every place should belong to one grid.`,
      { areaM2: round1(gap.areaM2), parts: gap.parts, communityCode: community.code },
    );
  }
  const cut = await tx.query<{ i: number; ids: number[] }>(
    `with ${INPUT}
     select input.i, array_agg(b.id order by b.id) as ids from input
     join public.buildings b on b.footprint && input.g and ST_Intersects(b.footprint, input.g) and not ST_CoveredBy(b.footprint, input.g)
     where ST_Area(ST_Intersection(b.footprint, input.g)) / nullif(ST_Area(b.footprint), 0) between ${1 - BUILDING_WHOLE_SHARE} and ${BUILDING_WHOLE_SHARE}
     group by input.i order by input.i`,
    params.slice(0, 1),
  );
  for (const c of cut) {
    problem(
      IMPORT_PROBLEM.BUILDING_CROSSES_GRIDS,
      'warning',
      c.i,
      `Feature ${c.i}: its edge cuts ${c.ids.length} existing building(s); each is counted in the grid holding its point on surface.`,
      { buildingIds: c.ids.slice(0, 50), count: c.ids.length },
    );
  }
}
