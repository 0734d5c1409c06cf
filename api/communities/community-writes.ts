/**
 * Creating and changing a community (POST/PATCH /api/communities): the street leader of its
 * street, never while presenting (row-level security, 20261209000200_communities.sql; this only
 * says so first, in words). The code follows the street's scheme (geo/import/community-code.ts)
 * and is free on the server; the name is free in the street; the boundary, when sent, is a valid
 * polygon that overlaps none of the street's other communities and lies inside the street when
 * the street has a boundary of its own (community-shapes.ts, the import's checks). A change names
 * the version it was made on: another version is a 409 stale_version. The street's derived
 * boundary follows by trigger.
 */
import type { MultiPolygon } from 'geojson';
import type { ArealInput } from '../../geo/domain/geojson.validation';
import { COMMUNITY_CODE_REASON, validateCommunityCode } from '../../geo/import/community-code';
import { featurePolygons } from '../../geo/import/feature-polygons';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { featureCollectionSql } from '../lib/geojson-sql';
import { communityShapeProblems } from './community-shapes';

export interface CommunityInput {
  name: string;
  code: string;
  geometry?: ArealInput | null;
}

export interface CommunityChange {
  name?: string;
  code?: string;
  /** A new boundary; null removes it. */
  geometry?: ArealInput | null;
  /** The version the client saw. */
  version: number;
}

/** The columns of a community as GET /api/communities serves it, over `public.communities cm`. */
export const COMMUNITY_PROPERTIES = {
  id: 'cm.id',
  code: 'cm.code',
  name: 'cm.name',
  streetId: 'cm.street_id',
  version: 'cm.version',
  grids: '(select count(*)::int from public.grids g where g.community_id = cm.id)',
} as const;

const CODE_REASON_TEXT: Record<string, string> = {
  [COMMUNITY_CODE_REASON.MISSING]: 'is missing',
  [COMMUNITY_CODE_REASON.FORMAT]: "does not follow the street's scheme (the street's 9-digit code + 3 digits)",
  [COMMUNITY_CODE_REASON.PREFIX_MISMATCH]: "does not start with the street's 9-digit code",
  [COMMUNITY_CODE_REASON.ZERO_PART]: 'ends in 000, which is the street itself',
};

interface LedStreet {
  id: number;
  code: string;
  bounded: boolean;
}

/** The street the caller leads, or a 403 saying who keeps communities. */
async function ledStreet(tx: Queryable): Promise<LedStreet> {
  const [s] = await tx.query<{ id: number | null; code: string | null; bounded: boolean | null; presenting: boolean }>(
    `select s.id, s.code, (s.boundary is not null and not s.boundary_from_communities) as bounded, minqing.presenting() as presenting
     from (select minqing.my_led_street() as id) me left join public.streets s on s.id = me.id`,
  );
  if (!s?.id || s.presenting) {
    throw new ApiError(
      403,
      'forbidden',
      "Communities are created and changed by the street's leader (street_leader), not while presenting; your account may not.",
    );
  }
  return { id: s.id, code: s.code!, bounded: s.bounded ?? false };
}

async function checkCode(tx: Queryable, street: LedStreet, code: string, self: number | null) {
  const check = validateCommunityCode(code, street.code);
  if (!check.valid) {
    throw new ApiError(
      422,
      'invalid_community_code',
      `The community code ${code} ${CODE_REASON_TEXT[check.reason]}; a code of this street looks like ${check.example}.`,
      {
        code,
        reason: check.reason,
        example: check.example,
      },
    );
  }
  // Called only for a code the community does not already have: any holder is another community.
  const [mine] = await tx.query<{ id: number; name: string }>(
    `select id, name from public.communities where code = $1 and id is distinct from $2`,
    [code, self],
  );
  const [{ taken }] = (await tx.query<{ taken: boolean }>(
    `select exists (select 1 from minqing.taken_community_codes(array[$1]) t) as taken`,
    [code],
  )) as [{ taken: boolean }];
  if (mine || taken) {
    throw new ApiError(
      409,
      'code_taken',
      mine
        ? `The code ${code} is community ${mine.name}'s; give this community another code.`
        : `The code ${code} is in use by a community of another street; give this community another code.`,
      {
        code,
        communityId: mine?.id ?? null,
        communityName: mine?.name ?? null,
      },
    );
  }
}

async function checkName(tx: Queryable, street: LedStreet, name: string, self: number | null) {
  const [other] = await tx.query<{ code: string }>(
    `select code from public.communities where street_id = $1 and name = $2 and id is distinct from $3`,
    [street.id, name, self],
  );
  if (other)
    throw new ApiError(409, 'name_taken', `The street already has a community named ${name} (${other.code}); give this one another name.`, {
      name,
      communityCode: other.code,
    });
}

/** The sent boundary as a valid MultiPolygon of this street, or a 422 invalid_boundary saying why ({valid:false, reason}). */
async function checkBoundary(tx: Queryable, street: LedStreet, geometry: ArealInput, self: number | null): Promise<MultiPolygon> {
  const shape = featurePolygons(geometry);
  if (!shape.valid) {
    throw new ApiError(
      422,
      'invalid_boundary',
      `The boundary is not a polygon (${shape.reason}); draw a closed outline of at least 3 corners.`,
      { valid: false, reason: shape.reason, problems: [] },
    );
  }
  const [v] = await tx.query<{ valid: boolean; reason: string }>(
    `select ST_IsValid(g) as valid, ST_IsValidReason(g) as reason from (select ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) as g) x`,
    [JSON.stringify(shape.geometry)],
  );
  if (!v!.valid) {
    throw new ApiError(
      422,
      'invalid_boundary',
      `The boundary is not a valid polygon (${v!.reason}); redraw it so that its edges do not cross.`,
      { valid: false, reason: 'invalid_polygon', detail: v!.reason, problems: [] },
    );
  }
  const problems = await communityShapeProblems(tx, street.id, street.bounded, [{ key: 0, geometry: shape.geometry, targetId: self }]);
  if (problems.length) {
    const words = problems.map((p) =>
      p.code === 'outside_street'
        ? `${Math.round(p.areaM2)} m² lie outside the street`
        : `it overlaps community ${'communityName' in p ? p.communityName : ''} by ${Math.round(p.areaM2)} m²`,
    );
    throw new ApiError(
      422,
      'invalid_boundary',
      `The boundary is refused: ${words.join('; ')}. A community's edge should be its neighbour's, inside the street.`,
      {
        valid: false,
        reason: problems[0]!.code,
        problems,
      },
    );
  }
  return shape.geometry;
}

/** One community as GET /api/communities serves its features. */
export async function communityFeature(tx: Queryable, id: number) {
  const [row] = await tx.query<{ fc: { features: unknown[] } }>(
    featureCollectionSql({
      id: 'cm.id',
      geometry: 'cm.boundary',
      properties: COMMUNITY_PROPERTIES,
      from: 'public.communities cm where cm.id = $1',
      orderBy: 'cm.id',
    }),
    [id],
  );
  return row!.fc.features[0];
}

export async function createCommunity(tx: Queryable, input: CommunityInput) {
  const street = await ledStreet(tx);
  await checkCode(tx, street, input.code, null);
  await checkName(tx, street, input.name, null);
  const geometry = input.geometry ? await checkBoundary(tx, street, input.geometry, null) : null;
  const [row] = await tx.query<{ id: number }>(
    `insert into public.communities (street_id, code, name, boundary)
     values ($1, $2, $3, case when $4::text is null then null else ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($4::text), 4326)) end) returning id`,
    [street.id, input.code, input.name, geometry ? JSON.stringify(geometry) : null],
  );
  return communityFeature(tx, row!.id);
}

export async function changeCommunity(tx: Queryable, id: number, change: CommunityChange) {
  const street = await ledStreet(tx);
  const [c] = await tx.query<{ code: string; name: string; version: number; updatedAt: string }>(
    `select code, name, version, updated_at as "updatedAt" from public.communities where id = $1 and street_id = $2 for update`,
    [id, street.id],
  );
  if (!c) throw new ApiError(404, 'not_found', `No community ${id} in your street.`);
  if (c.version !== change.version) {
    throw new ApiError(
      409,
      'stale_version',
      `Community ${c.name} was changed at ${c.updatedAt}: it is now at version ${c.version}, you saw version ${change.version}. Reload it and make your change again.`,
      {
        communityId: id,
        currentVersion: c.version,
        yourVersion: change.version,
      },
    );
  }
  if (change.code !== undefined && change.code !== c.code) await checkCode(tx, street, change.code, id);
  if (change.name !== undefined && change.name !== c.name) await checkName(tx, street, change.name, id);
  const geometry = change.geometry ? await checkBoundary(tx, street, change.geometry, id) : change.geometry;
  await tx.query(
    `update public.communities set code = coalesce($2, code), name = coalesce($3, name),
       boundary = case when $4 then boundary when $5::text is null then null else ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($5::text), 4326)) end
     where id = $1`,
    [id, change.code ?? null, change.name ?? null, geometry === undefined, geometry ? JSON.stringify(geometry) : null],
  );
  return communityFeature(tx, id);
}
