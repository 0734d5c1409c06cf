/**
 * Communities, grids and buildings from a geometry file: the dry run (PostGIS checks, nothing
 * written but the batch) and the commit (the batch's rows, written as the caller in the
 * request's transaction). Where they go is the caller's scope (import-scope.ts), and the
 * database's policies (20261207001100_imports.sql, 20261209000200_communities.sql) refuse
 * anything else. The rows of each kind: community-rows.ts, grid-rows.ts, buildingRows below.
 */
import type { Feature, Geometry, MultiPolygon } from 'geojson';
import { BUILDING_WHOLE_SHARE } from '../../geo/geometry/grid-boundary.validation';
import { featurePolygons } from '../../geo/import/feature-polygons';
import { type FeatureMapping, guessFeatureMapping } from '../../geo/import/field-mapping';
import { IMPORT_PROBLEM, type ImportProblem } from '../../geo/import/import-problems';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';
import { communityRows } from './community-rows';
import { type Candidate, type GeoRow, gridRows, type Report, streetGridRows } from './grid-rows';
import type { GeoKind, ImportScope } from './import-scope';

export type { GeoRow } from './grid-rows';

export interface GeoDryRun {
  mapping: FeatureMapping;
  fields: string[];
  counts: { features: number; polygons: number; repaired: number; duplicates: number; toInsert: number; toUpdate: number; skipped: number };
  problems: ImportProblem[];
  rows: GeoRow[];
}

const propText = (f: Feature<Geometry | null>, key: string | undefined): string | null => {
  if (!key) return null;
  const v = f.properties?.[key];
  if (v === null || v === undefined) return null;
  const s = String(v).normalize('NFKC').trim();
  return s === '' ? null : s;
};

function fieldsOf(features: readonly Feature<Geometry | null>[]): string[] {
  const keys = new Set<string>();
  for (const f of features.slice(0, 200)) for (const k of Object.keys(f?.properties ?? {})) keys.add(k);
  return [...keys];
}

function bboxOf(g: MultiPolygon): [number, number, number, number] {
  let [a, b, c, d] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of g.coordinates)
    for (const p of poly[0] ?? []) {
      a = Math.min(a, p[0]!);
      b = Math.min(b, p[1]!);
      c = Math.max(c, p[0]!);
      d = Math.max(d, p[1]!);
    }
  return [a, b, c, d];
}

export async function dryRunGeo(
  tx: Queryable,
  kind: GeoKind,
  features: Feature<Geometry | null>[],
  override: FeatureMapping,
  scope: ImportScope,
): Promise<GeoDryRun> {
  // Buildings go into the grids of one community (importScope allows no other scope for them).
  const community = scope.level === 'community' ? { id: scope.communityId, code: scope.communityCode } : null;
  const fields = fieldsOf(features);
  for (const [field, key] of Object.entries(override)) {
    if (key && !fields.includes(key)) {
      throw new ApiError(
        400,
        'invalid_mapping',
        `The mapping names "${key}" for ${field}, but the features have no such property; they have: ${fields.join(', ') || 'none'}.`,
      );
    }
  }
  const mapping: FeatureMapping = { ...guessFeatureMapping(fields), ...override };
  const problems: ImportProblem[] = [];
  const problem: Report = (code, severity, featureIndex, message, details) =>
    problems.push({ code, severity, message, ...(featureIndex === undefined ? {} : { featureIndex }), ...(details ? { details } : {}) });

  // Shapes the database can parse; the rest are reported here.
  let candidates: Candidate[] = [];
  let repaired = 0;
  features.forEach((f, i) => {
    const r = featurePolygons(f?.geometry);
    if (!r.valid) {
      problem(
        IMPORT_PROBLEM.NOT_POLYGON,
        'error',
        i,
        `Feature ${i}: ${r.type ? `a ${r.type}` : 'no geometry'} where an outline (Polygon or MultiPolygon) was expected (${r.reason}); it is not imported.`,
        { reason: r.reason },
      );
      return;
    }
    if (r.repairs.length) {
      repaired++;
      problem(IMPORT_PROBLEM.REPAIRED_GEOMETRY, 'warning', i, `Feature ${i}: ${[...new Set(r.repairs)].join('; ')}.`, {
        repairs: r.repairs,
      });
    }
    candidates.push({
      i,
      name: propText(f, mapping.name),
      code: propText(f, mapping.code),
      address: propText(f, mapping.address),
      geometry: r.geometry,
    });
  });
  const polygons = candidates.length;

  // Buildings far from every grid of the community need no database to be told so (OSM extracts
  // hold whole towns around the few blocks a community covers).
  const grids =
    kind !== 'buildings' || !community
      ? []
      : await tx.query<{ id: number; code: string; box: [number, number, number, number] }>(
          `select id, code, json_build_array(ST_XMin(boundary), ST_YMin(boundary), ST_XMax(boundary), ST_YMax(boundary)) as box
     from public.grids where community_id = $1 order by id`,
          [community.id],
        );
  const outside = (i: number) =>
    problem(
      IMPORT_PROBLEM.BUILDING_OUTSIDE_GRIDS,
      'error',
      i,
      `Feature ${i}: the building lies in none of your community's grids; import or draw the grid first. It is not imported.`,
    );
  if (kind === 'buildings') {
    candidates = candidates.filter((c) => {
      const [a, b, cc, d] = bboxOf(c.geometry);
      const near = grids.some(({ box: [x1, y1, x2, y2] }) => a <= x2 && cc >= x1 && b <= y2 && d >= y1);
      if (!near) outside(c.i);
      return near;
    });
  }

  // PostGIS: validity, repair, identity of outlines, and per kind the grid of each building.
  const checked =
    candidates.length === 0
      ? []
      : await tx.query<{
          i: number;
          valid: boolean;
          reason: string | null;
          empty: boolean;
          geojson: MultiPolygon | null;
          hash: string | null;
          gridId: number | null;
          share: number | null;
          existingByHash: number | null;
        }>(
          // Every CTE materialized: each is used several times, and an inlined one would re-parse and
          // re-validate every geometry once per use (minutes instead of seconds on the embedded build).
          `with input as materialized (
       select (e ->> 'i')::int as i, ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(e ->> 'g'), 4326)) as g
       from jsonb_array_elements($1::jsonb) e
     ), v as materialized (select i, g, ST_IsValid(g) as valid from input),
     f as materialized (
       select i, valid, case when valid then null else ST_IsValidReason(g) end as reason,
              case when valid then ST_Multi(g) else ST_Multi(ST_CollectionExtract(ST_MakeValid(g), 3)) end as g
       from v
     ),
     h as materialized (
       select f.*, ST_IsEmpty(g) as empty,
              case when ST_IsEmpty(g) then null else md5(ST_AsBinary(ST_Normalize(g))) end as hash,
              case when ST_IsEmpty(g) then null else ST_PointOnSurface(g) end as p
       from f
     ),
     -- Outlines already in the database near the file's, hashed once each (re-imports).
     existing as materialized (
       select b.id, md5(ST_AsBinary(ST_Normalize(b.footprint))) as hash from public.buildings b
       where $2 and b.footprint && (select ST_Extent(g) from h)
     ),
     assigned as materialized (
       select h.i, a.grid_id, a.boundary from h
       join lateral (
         select gr.id as grid_id, gr.boundary from public.grids gr
         where $2 and not h.empty and gr.community_id = $3 and ST_Covers(gr.boundary, h.p)
         order by gr.id limit 1
       ) a on true
     )
     select h.i, h.valid, h.reason, h.empty,
            case when h.empty then null else ST_AsGeoJSON(h.g)::json end as geojson, h.hash,
            a.grid_id as "gridId",
            case when a.grid_id is null then null
                 when ST_CoveredBy(h.g, a.boundary) then 1
                 else ST_Area(ST_Intersection(h.g, a.boundary)) / nullif(ST_Area(h.g), 0) end as share,
            (select min(x.id) from existing x where x.hash = h.hash) as "existingByHash"
     from h left join assigned a on a.i = h.i
     order by h.i`,
          [JSON.stringify(candidates.map((c) => ({ i: c.i, g: JSON.stringify(c.geometry) }))), kind === 'buildings', community?.id ?? null],
        );

  const byIndex = new Map(candidates.map((c) => [c.i, c]));
  const seenHash = new Map<string, number>();
  let duplicates = 0;
  const kept: (Candidate & { hash: string })[] = [];
  for (const r of checked) {
    const c = byIndex.get(r.i)!;
    if (!r.valid) {
      if (r.empty || !r.geojson) {
        problem(
          IMPORT_PROBLEM.UNREPAIRABLE_GEOMETRY,
          'error',
          r.i,
          `Feature ${r.i}: the outline is invalid (${r.reason}) and nothing of it is left after repair; redraw it.`,
          { reason: r.reason },
        );
        continue;
      }
      repaired++;
      problem(
        IMPORT_PROBLEM.REPAIRED_GEOMETRY,
        'warning',
        r.i,
        `Feature ${r.i}: the outline was invalid (${r.reason}); it was repaired with ST_MakeValid and the repair is imported. Check it on the map.`,
        { reason: r.reason },
      );
      c.geometry = r.geojson;
    }
    const first = seenHash.get(r.hash!);
    if (first !== undefined) {
      duplicates++;
      problem(
        IMPORT_PROBLEM.DUPLICATE_GEOMETRY,
        'error',
        r.i,
        `Feature ${r.i}: the same outline as feature ${first}; only the first is imported.`,
        { duplicateOf: first },
      );
      continue;
    }
    seenHash.set(r.hash!, r.i);
    if (kind === 'buildings') {
      if (r.gridId === null) {
        outside(r.i);
        continue;
      }
      if (r.existingByHash !== null) {
        duplicates++;
        problem(
          IMPORT_PROBLEM.DUPLICATE_GEOMETRY,
          'warning',
          r.i,
          `Feature ${r.i}: this outline is already building ${r.existingByHash}; it is left as it is.`,
          { existingId: r.existingByHash },
        );
        continue;
      }
      if (r.share !== null && r.share < BUILDING_WHOLE_SHARE) {
        problem(
          IMPORT_PROBLEM.BUILDING_CROSSES_GRIDS,
          'warning',
          r.i,
          `Feature ${r.i}: a grid edge cuts this building (${Math.round(r.share * 100)}% lies in grid ${grids.find((g) => g.id === r.gridId)?.code ?? r.gridId}, where it is counted); consider moving the edge.`,
          {
            gridId: r.gridId,
            gridCode: grids.find((g) => g.id === r.gridId)?.code ?? String(r.gridId),
            share: Math.round(r.share * 1000) / 1000,
          },
        );
      }
    }
    kept.push({ ...c, hash: r.hash! });
  }

  const rows =
    kind === 'communities'
      ? scope.level === 'street'
        ? await communityRows(tx, kept, scope, problem)
        : []
      : kind === 'grids'
        ? community
          ? await gridRows(tx, kept, community, problem)
          : await streetGridRows(tx, kept, scope.streetId, problem)
        : community
          ? await buildingRows(tx, kept, community, problem)
          : [];
  return {
    mapping,
    fields,
    counts: {
      features: features.length,
      polygons,
      repaired,
      duplicates,
      toInsert: rows.filter((r) => r.action === 'insert').length,
      toUpdate: rows.filter((r) => r.action === 'update').length,
      skipped: features.length - rows.length,
    },
    problems,
    rows,
  };
}

async function buildingRows(tx: Queryable, kept: Candidate[], community: { id: number; code: string }, problem: Report): Promise<GeoRow[]> {
  const addresses = kept.map((c) => c.address).filter((a): a is string => a !== null);
  const existing = addresses.length
    ? await tx.query<{ id: number; address: string }>(
        `select b.id, b.address from public.buildings b join public.grids g on g.id = b.grid_id
         where g.community_id = $1 and b.address = any ($2::text[]) order by b.id`,
        [community.id, addresses],
      )
    : [];
  const byAddress = new Map<string, number>();
  for (const e of existing) if (!byAddress.has(e.address)) byAddress.set(e.address, e.id);
  return kept.map((c) => {
    let address = c.address;
    if (!address) {
      address = c.name ?? `#${c.i + 1}`;
      problem(
        IMPORT_PROBLEM.MISSING_FIELD,
        'warning',
        c.i,
        `Feature ${c.i}: no address property; the building is named "${address}" until someone enters its address.`,
        { field: 'address', used: address },
      );
    }
    const target = c.address ? (byAddress.get(c.address) ?? null) : null;
    // The file's code (编号, BM …) is kept: ledgers name buildings by it (楼栋编号).
    return {
      featureIndex: c.i,
      action: target ? 'update' : 'insert',
      targetId: target,
      communityId: null,
      name: c.name,
      code: c.code,
      address,
      geometry: c.geometry,
    };
  });
}

/**
 * Writes the batch's rows; the caller's transaction makes it all or nothing. Each update names
 * the row the dry run matched, inside the caller's scope: one that is gone is a 409.
 */
export async function commitGeo(tx: Queryable, kind: GeoKind, rows: GeoRow[], scope: ImportScope): Promise<Record<string, number>> {
  let updated = 0;
  // A redrawn grid gets its next version in the boundary history, marked as an import
  // (supabase/migrations/*_boundaries.sql).
  await tx.query(`select set_config('minqing.change_kind', 'imported', true), set_config('minqing.change_reason', $1, true)`, [
    `${kind} import`,
  ]);
  const geo = `ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326))`;
  // A batch prepared before rows named their community (at most a day old) goes to the caller's.
  const home = scope.level === 'community' ? scope.communityId : null;
  const gone = (what: string) =>
    new ApiError(409, 'import_conflict', `${what} changed or disappeared since the dry run; nothing was written. Run the import again.`);
  for (const r of rows.filter((x) => x.action === 'update')) {
    const g = JSON.stringify(r.geometry);
    const res =
      kind === 'communities'
        ? await tx.query(`update public.communities set boundary = ${geo}, name = $2 where id = $3 and street_id = $4 returning id`, [
            g,
            r.name,
            r.targetId,
            scope.streetId,
          ])
        : kind === 'grids'
          ? await tx.query(
              `update public.grids set boundary = ${geo}, name = $2, version = version + 1, updated_at = now() where id = $3 and community_id = $4 returning id`,
              [g, r.name, r.targetId, r.communityId ?? home],
            )
          : await tx.query(
              `update public.buildings set footprint = ${geo}, name = coalesce($2, name), code = coalesce($4, code) where id = $3 returning id`,
              [g, r.name, r.targetId, r.code],
            );
    if (res.length !== 1)
      throw gone(
        kind === 'buildings'
          ? `Building ${r.address} (feature ${r.featureIndex})`
          : `${kind === 'grids' ? 'Grid' : 'Community'} ${r.code} (feature ${r.featureIndex})`,
      );
    updated++;
  }
  // New rows in one statement each kind: a thousand footprints are one round trip, not a thousand.
  const fresh = JSON.stringify(
    rows
      .filter((x) => x.action === 'insert')
      .map((r) => ({ community: r.communityId, code: r.code, name: r.name, address: r.address, g: JSON.stringify(r.geometry) })),
  );
  const rowGeo = `ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(e ->> 'g'), 4326))`;
  const insert = {
    communities: `insert into public.communities (street_id, code, name, boundary) select $2, e ->> 'code', e ->> 'name', ${rowGeo} from jsonb_array_elements($1::jsonb) e`,
    grids: `insert into public.grids (community_id, code, name, boundary) select coalesce((e ->> 'community')::int, $2), e ->> 'code', e ->> 'name', ${rowGeo} from jsonb_array_elements($1::jsonb) e`,
    buildings: `insert into public.buildings (address, name, code, footprint) select e ->> 'address', e ->> 'name', e ->> 'code', ${rowGeo} from jsonb_array_elements($1::jsonb) e`,
  }[kind];
  const [{ inserted }] = (await tx.query<{ inserted: number }>(
    `with ins as (${insert} returning 1) select count(*)::int as inserted from ins`,
    kind === 'communities' ? [fresh, scope.streetId] : kind === 'grids' ? [fresh, home] : [fresh],
  )) as [{ inserted: number }];
  if (kind === 'communities') return { inserted, updated };
  let regridded = 0;
  if (kind === 'grids' && rows.length) {
    const [res] = await tx.query<{ n: number }>(
      `select minqing.rederive_building_grids(ST_Collect(array(
         select ST_Envelope(ST_SetSRID(ST_GeomFromGeoJSON(e::text), 4326)) from jsonb_array_elements($1::jsonb) e))) as n`,
      [JSON.stringify(rows.map((r) => r.geometry))],
    );
    regridded = res!.n;
  }
  return { inserted, updated, buildingsRegridded: regridded };
}
