/**
 * Grids and buildings from a geometry file: the dry run (PostGIS checks, nothing written but the
 * batch) and the commit (the batch's rows, written as the caller in the request's transaction).
 * Imports go into the caller's community: community staff keep their community's map, and the
 * database's policies (20261207001100_imports.sql) refuse anything else.
 */
import type { Feature, Geometry, MultiPolygon } from 'geojson';
import { BUILDING_WHOLE_SHARE, GAP_TOLERANCE_M2, OUTSIDE_TOLERANCE_M2, OVERLAP_TOLERANCE_M2 } from '../../geo/geometry/grid-boundary.validation';
import { featurePolygons } from '../../geo/import/feature-polygons';
import { guessFeatureMapping, type FeatureMapping } from '../../geo/import/field-mapping';
import { generateGridCodes, GRID_CODE_PATTERN, validateGridCode } from '../../geo/import/grid-code';
import { IMPORT_PROBLEM, type ImportProblem } from '../../geo/import/import-problems';
import type { Queryable } from '../db/database';
import { ApiError } from '../lib/errors';

export type GeoKind = 'grids' | 'buildings';

/** One row the commit writes. */
export interface GeoRow {
  featureIndex: number;
  action: 'insert' | 'update';
  /** The grid or building updated (re-import by code or address). */
  targetId: number | null;
  name: string | null;
  code: string | null;
  address: string | null;
  geometry: MultiPolygon;
}

export interface GeoDryRun {
  mapping: FeatureMapping;
  fields: string[];
  counts: { features: number; polygons: number; repaired: number; duplicates: number; toInsert: number; toUpdate: number; skipped: number };
  problems: ImportProblem[];
  rows: GeoRow[];
}

interface Candidate {
  i: number;
  name: string | null;
  code: string | null;
  address: string | null;
  geometry: MultiPolygon;
}

/** The caller's community, or a 403 that says who imports the map. */
export async function managedCommunity(tx: Queryable): Promise<{ id: number; code: string }> {
  const [row] = await tx.query<{ id: number | null; code: string | null }>(
    `select c.id, c.code from public.communities c where c.id = minqing.my_managed_community()`,
  );
  if (!row?.id) {
    throw new ApiError(403, 'forbidden', 'Grids and buildings are imported by community staff, into their own community; your account is not community staff.');
  }
  return { id: row.id, code: row.code! };
}

const propText = (f: Feature<Geometry | null>, key: string | undefined): string | null => {
  if (!key) return null;
  const v = (f.properties ?? {})[key];
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
  for (const poly of g.coordinates) for (const p of poly[0] ?? []) {
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
  community: { id: number; code: string },
): Promise<GeoDryRun> {
  const fields = fieldsOf(features);
  for (const [field, key] of Object.entries(override)) {
    if (key && !fields.includes(key)) {
      throw new ApiError(400, 'invalid_mapping', `The mapping names "${key}" for ${field}, but the features have no such property; they have: ${fields.join(', ') || 'none'}.`);
    }
  }
  const mapping: FeatureMapping = { ...guessFeatureMapping(fields), ...override };
  const problems: ImportProblem[] = [];
  const problem = (code: ImportProblem['code'], severity: ImportProblem['severity'], featureIndex: number | undefined, message: string, details?: Record<string, unknown>) =>
    problems.push({ code, severity, message, ...(featureIndex === undefined ? {} : { featureIndex }), ...(details ? { details } : {}) });

  // Shapes the database can parse; the rest are reported here.
  let candidates: Candidate[] = [];
  let repaired = 0;
  features.forEach((f, i) => {
    const r = featurePolygons(f?.geometry);
    if (!r.valid) {
      problem(IMPORT_PROBLEM.NOT_POLYGON, 'error', i, `Feature ${i}: ${r.type ? `a ${r.type}` : 'no geometry'} where an outline (Polygon or MultiPolygon) was expected (${r.reason}); it is not imported.`, { reason: r.reason });
      return;
    }
    if (r.repairs.length) {
      repaired++;
      problem(IMPORT_PROBLEM.REPAIRED_GEOMETRY, 'warning', i, `Feature ${i}: ${[...new Set(r.repairs)].join('; ')}.`, { repairs: r.repairs });
    }
    candidates.push({ i, name: propText(f, mapping.name), code: propText(f, mapping.code), address: propText(f, mapping.address), geometry: r.geometry });
  });
  const polygons = candidates.length;

  // Buildings far from every grid of the community need no database to be told so (OSM extracts
  // hold whole towns around the few blocks a community covers).
  const grids = await tx.query<{ id: number; code: string; box: [number, number, number, number] }>(
    `select id, code, json_build_array(ST_XMin(boundary), ST_YMin(boundary), ST_XMax(boundary), ST_YMax(boundary)) as box
     from public.grids where community_id = $1 order by id`,
    [community.id],
  );
  const outside = (i: number) =>
    problem(IMPORT_PROBLEM.BUILDING_OUTSIDE_GRIDS, 'error', i, `Feature ${i}: the building lies in none of your community's grids; import or draw the grid first. It is not imported.`);
  if (kind === 'buildings') {
    candidates = candidates.filter((c) => {
      const [a, b, cc, d] = bboxOf(c.geometry);
      const near = grids.some(({ box: [x1, y1, x2, y2] }) => a <= x2 && cc >= x1 && b <= y2 && d >= y1);
      if (!near) outside(c.i);
      return near;
    });
  }

  // PostGIS: validity, repair, identity of outlines, and per kind the grid of each building.
  const checked = candidates.length === 0 ? [] : await tx.query<{
    i: number; valid: boolean; reason: string | null; empty: boolean; geojson: MultiPolygon | null; hash: string | null;
    gridId: number | null; share: number | null; existingByHash: number | null;
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
    [JSON.stringify(candidates.map((c) => ({ i: c.i, g: JSON.stringify(c.geometry) }))), kind === 'buildings', community.id],
  );

  const byIndex = new Map(candidates.map((c) => [c.i, c]));
  const seenHash = new Map<string, number>();
  let duplicates = 0;
  const kept: (Candidate & { hash: string })[] = [];
  for (const r of checked) {
    const c = byIndex.get(r.i)!;
    if (!r.valid) {
      if (r.empty || !r.geojson) {
        problem(IMPORT_PROBLEM.UNREPAIRABLE_GEOMETRY, 'error', r.i, `Feature ${r.i}: the outline is invalid (${r.reason}) and nothing of it is left after repair; redraw it.`, { reason: r.reason });
        continue;
      }
      repaired++;
      problem(IMPORT_PROBLEM.REPAIRED_GEOMETRY, 'warning', r.i, `Feature ${r.i}: the outline was invalid (${r.reason}); it was repaired with ST_MakeValid and the repair is imported. Check it on the map.`, { reason: r.reason });
      c.geometry = r.geojson;
    }
    const first = seenHash.get(r.hash!);
    if (first !== undefined) {
      duplicates++;
      problem(IMPORT_PROBLEM.DUPLICATE_GEOMETRY, 'error', r.i, `Feature ${r.i}: the same outline as feature ${first}; only the first is imported.`, { duplicateOf: first });
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
        problem(IMPORT_PROBLEM.DUPLICATE_GEOMETRY, 'warning', r.i, `Feature ${r.i}: this outline is already building ${r.existingByHash}; it is left as it is.`, { existingId: r.existingByHash });
        continue;
      }
      if (r.share !== null && r.share < BUILDING_WHOLE_SHARE) {
        problem(IMPORT_PROBLEM.BUILDING_CROSSES_GRIDS, 'warning', r.i, `Feature ${r.i}: a grid edge cuts this building (${Math.round(r.share * 100)}% lies in grid ${grids.find((g) => g.id === r.gridId)?.code ?? r.gridId}, where it is counted); consider moving the edge.`, { gridId: r.gridId, gridCode: grids.find((g) => g.id === r.gridId)?.code ?? String(r.gridId), share: Math.round(r.share * 1000) / 1000 });
      }
    }
    kept.push({ ...c, hash: r.hash! });
  }

  const rows = kind === 'grids' ? await gridRows(tx, kept, community, problem) : await buildingRows(tx, kept, community, problem);
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

type Report = (code: ImportProblem['code'], severity: ImportProblem['severity'], featureIndex: number | undefined, message: string, details?: Record<string, unknown>) => void;

async function gridRows(tx: Queryable, kept: Candidate[], community: { id: number; code: string }, problem: Report): Promise<GeoRow[]> {
  // Codes: from the file (re-import by code updates that grid), else generated in the 15-digit scheme.
  const existing = await tx.query<{ id: number; code: string; communityId: number }>(
    `select id, code, community_id as "communityId" from public.grids where code = any ($1::text[])`,
    [kept.map((c) => c.code).filter(Boolean)],
  );
  // A code held by a grid the caller cannot see (another street) still blocks the insert.
  const [{ taken }] = (await tx.query<{ taken: string[] }>(
    `select coalesce(array_agg(t), '{}') as taken from minqing.taken_grid_codes($1::text[]) t`,
    [kept.map((c) => c.code).filter(Boolean)],
  )) as [{ taken: string[] }];
  const byCode = new Map(existing.map((g) => [g.code, g]));
  const seenCode = new Map<string, number>();
  const rows: GeoRow[] = [];
  const needCode: Candidate[] = [];
  for (const c of kept) {
    if (c.code) {
      const first = seenCode.get(c.code);
      if (first !== undefined) {
        problem(IMPORT_PROBLEM.DUPLICATE_CODE, 'error', c.i, `Feature ${c.i}: the code ${c.code} is also feature ${first}'s; only the first is imported. Give each grid its own code.`, { duplicateOf: first, code: c.code });
        continue;
      }
      seenCode.set(c.code, c.i);
      const same = byCode.get(c.code);
      if ((same && same.communityId !== community.id) || (!same && taken.includes(c.code))) {
        problem(IMPORT_PROBLEM.CODE_TAKEN, 'error', c.i, `Feature ${c.i}: the code ${c.code} belongs to a grid of another community; give this grid a code of your community.`, { code: c.code });
        continue;
      }
      if (!validateGridCode(c.code, { communityPrefix: GRID_CODE_PATTERN.test(community.code + '001') ? community.code : undefined }).valid) {
        problem(IMPORT_PROBLEM.NONSTANDARD_CODE, 'warning', c.i, `Feature ${c.i}: the code ${c.code} does not follow the 15-digit scheme (${community.code}nnn); it is kept as given.`, { code: c.code, prefix: community.code });
      }
      rows.push({ featureIndex: c.i, action: same ? 'update' : 'insert', targetId: same?.id ?? null, name: c.name ?? c.code, code: c.code, address: null, geometry: c.geometry });
    } else needCode.push(c);
  }
  if (needCode.length) {
    const [{ maxSeq }] = (await tx.query<{ maxSeq: number }>(
      `select coalesce(max(right(code, 3)::int), 0) as "maxSeq" from public.grids where community_id = $1 and code ~ ('^' || $2 || '\\d{3}$')`,
      [community.id, community.code],
    )) as [{ maxSeq: number }];
    const points = await tx.query<{ i: number; x: number; y: number; h: number }>(
      `select (e ->> 'i')::int as i, ST_X(p) as x, ST_Y(p) as y, ST_YMax(g) - ST_YMin(g) as h
       from jsonb_array_elements($1::jsonb) e
       cross join lateral (select ST_SetSRID(ST_GeomFromGeoJSON(e ->> 'g'), 4326) as g) gg
       cross join lateral (select ST_PointOnSurface(gg.g) as p) pp`,
      [JSON.stringify(needCode.map((c) => ({ i: c.i, g: JSON.stringify(c.geometry) })))],
    );
    const prefix = /^\d{12}$/.test(community.code) ? community.code : null;
    const codes = prefix
      ? generateGridCodes(prefix, points.map((p) => ({ key: p.i, point: [p.x, p.y] as const, height: p.h })), maxSeq + 1)
      : points.map((p, n) => ({ key: p.i, code: `${community.code}-${String(maxSeq + n + 1).padStart(3, '0')}` }));
    const codeOf = new Map(codes.map((c) => [c.key, c.code]));
    for (const c of needCode) {
      const code = codeOf.get(c.i)!;
      problem(IMPORT_PROBLEM.MISSING_FIELD, 'warning', c.i, `Feature ${c.i}: no code property${c.name ? '' : ' and no name'}; it gets the code ${code} (west→east, north→south).`, { field: 'code', generated: code });
      rows.push({ featureIndex: c.i, action: 'insert', targetId: null, name: c.name ?? code, code, address: null, geometry: c.geometry });
    }
    rows.sort((a, b) => a.featureIndex - b.featureIndex);
  }
  if (rows.length === 0) return rows;

  // The imported grids together: overlaps, gaps in the community, area outside it, cut buildings.
  const params = [JSON.stringify(rows.map((r) => ({ i: r.featureIndex, g: JSON.stringify(r.geometry), t: r.targetId }))), community.id];
  const input = `input as (select (e ->> 'i')::int as i, (e ->> 't')::int as target, ST_SetSRID(ST_GeomFromGeoJSON(e ->> 'g'), 4326) as g from jsonb_array_elements($1::jsonb) e)`;
  const overlaps = await tx.query<{ a: number; b: number; areaM2: number }>(
    `with ${input}
     select x.i as a, y.i as b, ST_Area(ST_Intersection(x.g, y.g)::geography) as "areaM2"
     from input x join input y on x.i < y.i and ST_Intersects(x.g, y.g)
     where ST_Area(ST_Intersection(x.g, y.g)::geography) > ${OVERLAP_TOLERANCE_M2} order by x.i, y.i`,
    params.slice(0, 1),
  );
  for (const o of overlaps) {
    problem(IMPORT_PROBLEM.GRID_OVERLAP, 'warning', o.b, `Features ${o.a} and ${o.b} overlap by ${Math.round(o.areaM2)} m²; a grid's edge should be its neighbour's.`, { otherFeatureIndex: o.a, areaM2: Math.round(o.areaM2 * 10) / 10 });
  }
  const outside = await tx.query<{ i: number; areaM2: number }>(
    `with ${input}
     select i, ST_Area(ST_Difference(g, c.boundary)::geography) as "areaM2" from input, public.communities c
     where c.id = $2 and not ST_CoveredBy(g, c.boundary) and ST_Area(ST_Difference(g, c.boundary)::geography) > ${OUTSIDE_TOLERANCE_M2} order by i`,
    params,
  );
  for (const o of outside) {
    problem(IMPORT_PROBLEM.OUTSIDE_COMMUNITY, 'warning', o.i, `Feature ${o.i}: ${Math.round(o.areaM2)} m² lie outside your community's boundary.`, { areaM2: Math.round(o.areaM2 * 10) / 10 });
  }
  const [gap] = await tx.query<{ areaM2: number; parts: number }>(
    `with ${input},
     kept as (select boundary as g from public.grids where community_id = $2 and id not in (select target from input where target is not null)),
     cover as (select ST_Union(g) as g from (select g from input union all select g from kept) u),
     gap as (select ST_Difference(c.boundary, cover.g) as g from public.communities c, cover where c.id = $2)
     select coalesce(ST_Area(gap.g::geography), 0) as "areaM2", ST_NumGeometries(gap.g) as parts from gap`,
    params,
  );
  if (gap && gap.areaM2 > GAP_TOLERANCE_M2) {
    problem(IMPORT_PROBLEM.GRID_GAP, 'warning', undefined, `${Math.round(gap.areaM2)} m² of your community (${gap.parts} piece(s)) would be in no grid; every place should belong to one grid.`, { areaM2: Math.round(gap.areaM2 * 10) / 10, parts: gap.parts });
  }
  const cut = await tx.query<{ i: number; ids: number[] }>(
    `with ${input}
     select input.i, array_agg(b.id order by b.id) as ids from input
     join public.buildings b on b.footprint && input.g and ST_Intersects(b.footprint, input.g) and not ST_CoveredBy(b.footprint, input.g)
     where ST_Area(ST_Intersection(b.footprint, input.g)) / nullif(ST_Area(b.footprint), 0) between ${1 - BUILDING_WHOLE_SHARE} and ${BUILDING_WHOLE_SHARE}
     group by input.i order by input.i`,
    params.slice(0, 1),
  );
  for (const c of cut) {
    problem(IMPORT_PROBLEM.BUILDING_CROSSES_GRIDS, 'warning', c.i, `Feature ${c.i}: its edge cuts ${c.ids.length} existing building(s); each is counted in the grid holding its point on surface.`, { buildingIds: c.ids.slice(0, 50), count: c.ids.length });
  }
  return rows;
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
      problem(IMPORT_PROBLEM.MISSING_FIELD, 'warning', c.i, `Feature ${c.i}: no address property; the building is named "${address}" until someone enters its address.`, { field: 'address', used: address });
    }
    const target = c.address ? byAddress.get(c.address) ?? null : null;
    // The file's code (编号, BM …) is kept: ledgers name buildings by it (楼栋编号).
    return { featureIndex: c.i, action: target ? 'update' : 'insert', targetId: target, name: c.name, code: c.code, address, geometry: c.geometry };
  });
}

/** Writes the batch's rows; the caller's transaction makes it all or nothing. */
export async function commitGeo(tx: Queryable, kind: GeoKind, rows: GeoRow[], communityId: number) {
  let updated = 0;
  // A redrawn grid gets its next version in the boundary history, marked as an import
  // (supabase/migrations/*_boundaries.sql).
  await tx.query(`select set_config('minqing.change_kind', 'imported', true), set_config('minqing.change_reason', $1, true)`, [
    `${kind} import`,
  ]);
  const geo = `ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326))`;
  for (const r of rows.filter((x) => x.action === 'update')) {
    const g = JSON.stringify(r.geometry);
    if (kind === 'grids') {
      const res = await tx.query(
        `update public.grids set boundary = ${geo}, name = $2, version = version + 1, updated_at = now() where id = $3 and community_id = $4 returning id`,
        [g, r.name, r.targetId, communityId],
      );
      if (res.length !== 1) throw new ApiError(409, 'import_conflict', `Grid ${r.code} (feature ${r.featureIndex}) changed or disappeared since the dry run; run the import again.`);
    } else {
      const res = await tx.query(`update public.buildings set footprint = ${geo}, name = coalesce($2, name), code = coalesce($4, code) where id = $3 returning id`, [g, r.name, r.targetId, r.code]);
      if (res.length !== 1) throw new ApiError(409, 'import_conflict', `Building ${r.address} (feature ${r.featureIndex}) changed or disappeared since the dry run; run the import again.`);
    }
    updated++;
  }
  // New rows in one statement each kind: a thousand footprints are one round trip, not a thousand.
  const fresh = JSON.stringify(
    rows.filter((x) => x.action === 'insert').map((r) => ({ code: r.code, name: r.name, address: r.address, g: JSON.stringify(r.geometry) })),
  );
  const rowGeo = `ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(e ->> 'g'), 4326))`;
  const [{ inserted }] = (await tx.query<{ inserted: number }>(
    kind === 'grids'
      ? `with ins as (insert into public.grids (community_id, code, name, boundary)
           select $2, e ->> 'code', e ->> 'name', ${rowGeo} from jsonb_array_elements($1::jsonb) e returning 1)
         select count(*)::int as inserted from ins`
      : `with ins as (insert into public.buildings (address, name, code, footprint)
           select e ->> 'address', e ->> 'name', e ->> 'code', ${rowGeo} from jsonb_array_elements($1::jsonb) e returning 1)
         select count(*)::int as inserted from ins`,
    kind === 'grids' ? [fresh, communityId] : [fresh],
  )) as [{ inserted: number }];
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
