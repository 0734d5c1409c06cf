/**
 * The rows a community file writes (the street leader's, for their street), and its problems.
 * Every feature needs its code in the street's scheme (geo/import/community-code.ts): a
 * community's code is its 行政区划代码 and is never invented. A code the street already has
 * redraws (and renames) that community, as re-imported grids are redrawn; a code repeated in the
 * file, held by another street's community, or not in the scheme, an overlap with another
 * feature or an existing community, or area outside a street with a boundary of its own, is an
 * error of that feature (the same checks as POST /api/communities: community-shapes.ts).
 */
import { validateCommunityCode } from '../../geo/import/community-code';
import { IMPORT_PROBLEM } from '../../geo/import/import-problems';
import { communityShapeProblems } from '../communities/community-shapes';
import type { Queryable } from '../db/database';
import type { Candidate, GeoRow, Report } from './grid-rows';

export async function communityRows(
  tx: Queryable,
  kept: Candidate[],
  street: { streetId: number; streetCode: string; bounded: boolean },
  problem: Report,
): Promise<GeoRow[]> {
  const codes = kept.map((c) => c.code).filter((c): c is string => c !== null);
  const existing = await tx.query<{ id: number; code: string }>(
    `select id, code from public.communities where street_id = $1 and code = any ($2::text[])`,
    [street.streetId, codes],
  );
  const [{ taken }] = (await tx.query<{ taken: string[] }>(
    `select coalesce(array_agg(t), '{}') as taken from minqing.taken_community_codes($1::text[]) t`,
    [codes],
  )) as [{ taken: string[] }];
  const byCode = new Map(existing.map((c) => [c.code, c.id]));
  const seen = new Map<string, number>();
  const rows: GeoRow[] = [];
  for (const c of kept) {
    const check = validateCommunityCode(c.code, street.streetCode);
    if (!check.valid) {
      problem(
        IMPORT_PROBLEM.INVALID_COMMUNITY_CODE,
        'error',
        c.i,
        `Feature ${c.i}: ${c.code ? `the code ${c.code} does not follow the street's scheme` : 'no code'}; a community's code is its 行政区划代码, like ${check.example}. It is not imported.`,
        {
          code: c.code ?? '',
          reason: check.reason,
          example: check.example,
        },
      );
      continue;
    }
    const code = c.code!;
    const first = seen.get(code);
    if (first !== undefined) {
      problem(
        IMPORT_PROBLEM.DUPLICATE_CODE,
        'error',
        c.i,
        `Feature ${c.i}: the code ${code} is also feature ${first}'s; only the first is imported. Give each community its own code.`,
        { duplicateOf: first, code, kind: 'community' },
      );
      continue;
    }
    seen.set(code, c.i);
    const target = byCode.get(code) ?? null;
    if (target === null && taken.includes(code)) {
      problem(
        IMPORT_PROBLEM.CODE_TAKEN,
        'error',
        c.i,
        `Feature ${c.i}: the code ${code} belongs to a community of another street. It is not imported.`,
        { code, kind: 'community' },
      );
      continue;
    }
    rows.push({
      featureIndex: c.i,
      action: target === null ? 'insert' : 'update',
      targetId: target,
      communityId: null,
      name: c.name ?? code,
      code,
      address: null,
      geometry: c.geometry,
    });
  }
  const shapes = await communityShapeProblems(
    tx,
    street.streetId,
    street.bounded,
    rows.map((r) => ({ key: r.featureIndex, geometry: r.geometry, targetId: r.targetId })),
  );
  const refused = new Set<number>();
  for (const p of shapes) {
    // The later of two overlapping features is refused; one already refused refuses nothing.
    if ('otherKey' in p && refused.has(p.otherKey)) continue;
    refused.add(p.key);
    if (p.code === 'outside_street') {
      problem(
        IMPORT_PROBLEM.OUTSIDE_STREET,
        'error',
        p.key,
        `Feature ${p.key}: ${Math.round(p.areaM2)} m² lie outside the street's boundary; a community lies inside its street. It is not imported.`,
        { areaM2: p.areaM2 },
      );
    } else if ('otherKey' in p) {
      problem(
        IMPORT_PROBLEM.COMMUNITY_OVERLAP,
        'error',
        p.key,
        `Features ${p.otherKey} and ${p.key} overlap by ${Math.round(p.areaM2)} m²; a community's edge should be its neighbour's. Feature ${p.key} is not imported.`,
        { otherFeatureIndex: p.otherKey, areaM2: p.areaM2 },
      );
    } else {
      problem(
        IMPORT_PROBLEM.COMMUNITY_OVERLAP,
        'error',
        p.key,
        `Feature ${p.key}: overlaps the community ${p.communityName} (${p.communityCode}) by ${Math.round(p.areaM2)} m²; redraw that community in the same file (by its code) or move this edge. It is not imported.`,
        { communityCode: p.communityCode, communityName: p.communityName, areaM2: p.areaM2 },
      );
    }
  }
  return rows.filter((r) => !refused.has(r.featureIndex));
}
