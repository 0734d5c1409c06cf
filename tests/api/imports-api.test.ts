/**
 * Imports on the demo street: household ledgers (XLSX with Chinese headers and deliberate errors,
 * GBK CSV as Excel saves it on a Chinese Windows), re-imports that update, a commit that fails and
 * leaves nothing behind, coordinates swapped and in GCJ-02, and what is refused: too large, not
 * what the name says, not the caller's to import.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import type { MultiPolygon } from 'geojson';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { gcj02ToWgs84, mapPositions, wgs84ToGcj02 } from '../../geo/import/gcj02';
import { IMPORT_PROBLEM } from '../../geo/import/import-problems';
import { type DemoRole, ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

const FIXTURES = fileURLToPath(new URL('../fixtures/imports/', import.meta.url));

function form(file: Uint8Array | string, name: string, extra: Record<string, string> = {}) {
  const fd = new FormData();
  fd.set('file', new File([typeof file === 'string' ? file : new Uint8Array(file)], name));
  for (const [k, v] of Object.entries(extra)) fd.set(k, v);
  return fd;
}

const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const withCheck = (b: string) => b + '10X98765432'[W.reduce((s, w, i) => s + w * Number(b[i]), 0) % 11];

async function ledger(
  rows: unknown[][],
  headers = ['姓名', '身份证号', '联系电话', '地址', '单元', '房号', '类别', '入住日期'],
): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('台账');
  ws.addRow(headers);
  for (const r of rows) ws.addRow(r);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

describeEachDatabase('imports', (_mode, db) => {
  const app = (env: Record<string, string> = {}) =>
    createApp({ db: db(), env: readEnv({ DEMO_TODAY, ...env }), jwtSecret: TEST_JWT_SECRET });
  const post = async (who: DemoRole, path: string, body?: FormData, env?: Record<string, string>) => {
    const res = await signedIn(app(env), db(), ROLE_ACCOUNTS[who]).request(path, { method: 'POST', body });
    return { status: res.status, body: (await res.json()) as any };
  };
  const get = async (who: DemoRole, path: string) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(path);
    return { status: res.status, body: (await res.json()) as any };
  };

  let addresses: string[];
  let communityId: number;
  beforeAll(async () => {
    [{ communityId }] = (await db().query<{ communityId: number }>(
      `select community_id as "communityId" from public.staff where email = $1`,
      [ROLE_ACCOUNTS.community_staff],
    )) as [{ communityId: number }];
    addresses = (
      await db().query<{ address: string }>(
        `select b.address from public.buildings b join public.grids g on g.id = b.grid_id where g.community_id = $1 order by b.id limit 3`,
        [communityId],
      )
    ).map((r) => r.address);
  });

  describe('household ledgers', () => {
    const id1 = withCheck('36010219800101123');
    const id2 = withCheck('36010219900315456');
    const id3 = withCheck('36010219551111789');
    const rows = () => [
      ['测试甲', id1, '13907910001', addresses[0], '1', '101', '低保、残疾', new Date(Date.UTC(2020, 2, 1))],
      ['测试乙', id1.slice(0, 17) + (id1[17] === '0' ? '1' : '0'), '13907910002', addresses[0], '1', '102', '', null],
      ['测试丙', '', '13907910003', '不存在路999号', '1', '103', '', null],
      ['', '', '13907910004', addresses[1], '2', '201', '', null],
      ['测试丁', id2, '', addresses[1], '2', '202', '五保户', null],
      ['测试甲', id1, '13907910001', addresses[2], '1', '301', '', null],
      ['测试戊', '', '12345', addresses[2], '1', '302', '', null],
      ['测试己', id3, '0791-86881234', `${addresses[2]}3单元`, '3', '303', '空巢老人,独居', '2019年5月6日'],
    ];

    it('reports exactly the deliberate errors of an XLSX ledger, each with its row number', async () => {
      const { status, body } = await post('community_staff', '/api/imports?kind=households', form(await ledger(rows()), '台账.xlsx'));
      expect(status, JSON.stringify(body)).toBe(201);
      expect(body.format).toBe('xlsx');
      expect(body.mapping).toMatchObject({
        headName: '姓名',
        idNumber: '身份证号',
        phone: '联系电话',
        address: '地址',
        unit: '单元',
        room: '房号',
        categories: '类别',
        movedIn: '入住日期',
      });
      const errors = body.problems.filter((p: any) => p.severity === 'error').map((p: any) => [p.code, p.row]);
      expect(errors).toEqual([
        [IMPORT_PROBLEM.INVALID_ID_NUMBER, 3],
        [IMPORT_PROBLEM.UNMATCHED_ADDRESS, 4],
        [IMPORT_PROBLEM.MISSING_VALUE, 5],
        [IMPORT_PROBLEM.DUPLICATE_ROW, 7],
        [IMPORT_PROBLEM.INVALID_PHONE, 8],
      ]);
      expect(body.problems.filter((p: any) => p.severity === 'warning').map((p: any) => [p.code, p.row, p.details.label])).toEqual([
        [IMPORT_PROBLEM.UNKNOWN_CATEGORY, 6, '五保户'],
      ]);
      expect(body.counts).toMatchObject({ rows: 8, toInsert: 3, toUpdate: 0, skipped: 5, unmatched: 1 });
    });

    it('commits the good rows with their categories, and a re-import of the updated ledger updates them', async () => {
      const dry = await post('community_staff', '/api/imports?kind=households', form(await ledger(rows()), '台账.xlsx'));
      const before = await db().query<{ n: number }>('select count(*)::int as n from public.households');
      const done = await post('community_staff', `/api/imports/${dry.body.id}/commit`);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.committed).toEqual({ inserted: 3, updated: 0 });
      const written = await db().query<{ head_name: string; categories: string; moved_in: string; building: string }>(
        `select h.head_name, h.categories::text, h.moved_in::text, b.address as building from public.households h
         join public.buildings b on b.id = h.building_id where h.head_name like '测试%' order by h.head_name`,
      );
      expect(written).toEqual([
        { head_name: '测试丁', categories: '{ordinary}', moved_in: DEMO_TODAY, building: addresses[1] },
        { head_name: '测试己', categories: '{empty_nest,lonely_elderly}', moved_in: '2019-05-06', building: addresses[2] },
        { head_name: '测试甲', categories: '{low_income,disabled}', moved_in: '2020-03-01', building: addresses[0] },
      ]);

      // The same people with a new phone and the unknown label mapped: updated, not duplicated.
      const updated = rows().map((r) => [...r]);
      updated[0]![2] = '13800000000';
      const again = await post(
        'community_staff',
        '/api/imports?kind=households',
        form(await ledger(updated), '台账-更新.xlsx', { categoryLabels: JSON.stringify({ 五保户: 'low_income' }) }),
      );
      expect(again.body.counts).toMatchObject({ toInsert: 0, toUpdate: 3 });
      expect(again.body.problemCounts[IMPORT_PROBLEM.UNKNOWN_CATEGORY]).toBeUndefined();
      const redone = await post('community_staff', `/api/imports/${again.body.id}/commit`);
      expect(redone.body.committed).toEqual({ inserted: 0, updated: 3 });
      const after = await db().query<{ n: number }>('select count(*)::int as n from public.households');
      expect(after[0]!.n).toBe(before[0]!.n + 3);
      const [jia] = await db().query<{ phone: string }>(`select phone from public.households where id_number = $1`, [id1]);
      expect(jia!.phone).toBe('13800000000');
      const [ding] = await db().query<{ categories: string }>(`select categories::text from public.households where id_number = $1`, [id2]);
      expect(ding!.categories).toBe('{low_income}');

      // A batch is committed once.
      const twice = await post('community_staff', `/api/imports/${again.body.id}/commit`);
      expect(twice.status).toBe(409);
      expect(twice.body.error.code).toBe('already_committed');
    });

    it('decodes a GBK CSV saved by Excel and maps its headers', async () => {
      const { status, body } = await post(
        'community_staff',
        '/api/imports?kind=households',
        form(new Uint8Array(fs.readFileSync(`${FIXTURES}ledger-gbk.csv`)), '台账.csv'),
      );
      expect(status, JSON.stringify(body)).toBe(201);
      expect(body).toMatchObject({ format: 'csv', encoding: 'gbk' });
      expect(body.mapping).toMatchObject({ headName: '户主姓名', idNumber: '身份证号', categories: '人员类别', members: '人口数' });
      expect(body.problems).toEqual([]);
      expect(body.counts).toMatchObject({ rows: 2, matched: 2 });
    });

    it('reports a ledger without a name column as one problem on the header row', async () => {
      const { body } = await post('community_staff', '/api/imports?kind=households', form('地址,房号\n建德观街49号1栋,101\n', 'x.csv'));
      expect(body.problems).toEqual([expect.objectContaining({ code: IMPORT_PROBLEM.MISSING_COLUMN, row: 1 })]);
      expect(body.counts.toInsert).toBe(0);
    });

    it('lets only grid leaders and community staff import a ledger', async () => {
      const { status, body } = await post('grid_member', '/api/imports?kind=households', form('姓名,地址,房号\n张三,x,1\n', 'x.csv'));
      expect(status).toBe(403);
      expect(body.error.code).toBe('forbidden');
    });
  });

  describe('grids and buildings', () => {
    const square = (x: number, y: number, d = 0.0004): MultiPolygon => ({
      type: 'MultiPolygon',
      coordinates: [
        [
          [
            [x, y],
            [x + d, y],
            [x + d, y + d],
            [x, y + d],
            [x, y],
          ],
        ],
      ],
    });
    const fc = (features: { geometry: unknown; properties?: object }[]) =>
      JSON.stringify({
        type: 'FeatureCollection',
        features: features.map((f) => ({ type: 'Feature', properties: f.properties ?? {}, geometry: f.geometry })),
      });

    it('leaves the database as it was when the commit fails halfway', async () => {
      // First an existing grid redrawn as its western half (written first, as an update), then a
      // new grid on its eastern half whose insert will fail. (Halves: a grid may overlap no other.)
      const [own] = await db().query<{ code: string; west: MultiPolygon; east: MultiPolygon }>(
        `with g as (select code, boundary, ST_XMin(boundary) x0, ST_YMin(boundary) y0, ST_XMax(boundary) x1, ST_YMax(boundary) y1,
                           ST_X(ST_Centroid(boundary)) cx from public.grids where community_id = $1 and retired_at is null order by id desc limit 1)
         select code,
           ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(boundary, ST_MakeEnvelope(x0 - 1e-6, y0 - 1e-6, cx, y1 + 1e-6, 4326)), 3), 9)::json as west,
           ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(boundary, ST_MakeEnvelope(cx, y0 - 1e-6, x1 + 1e-6, y1 + 1e-6, 4326)), 3), 9)::json as east
         from g`,
        [communityId],
      );
      const file = fc([
        { geometry: own!.west, properties: { 网格编码: own!.code, 网格名称: '改过的名字' } },
        { geometry: own!.east, properties: { 网格编码: 'TX-002', 网格名称: '乙' } },
      ]);
      const dry = await post('community_staff', '/api/imports?kind=grids', form(file, 'grids.geojson'));
      expect(dry.body.counts).toMatchObject({ toInsert: 1, toUpdate: 1 });
      expect(dry.body.mapping).toMatchObject({ code: '网格编码', name: '网格名称' });
      // Meanwhile someone gives another community's grid the second code.
      await db().query(`update public.grids set code = 'TX-002' where id = (select min(id) from public.grids where community_id <> $1)`, [
        communityId,
      ]);
      const gridsBefore = await db().query<{ n: number; buildings: string }>(
        `select count(*)::int as n, string_agg(id || ':' || version || ':' || name || ':' || md5(ST_AsBinary(boundary)), ',' order by id) as grids,
                (select string_agg(id || ':' || coalesce(grid_id, 0), ',' order by id) from public.buildings) as buildings from public.grids`,
      );
      const done = await post('community_staff', `/api/imports/${dry.body.id}/commit`);
      expect(done.status).toBe(409);
      expect(done.body.error, JSON.stringify(done.body)).toMatchObject({
        code: 'import_conflict',
        message: expect.stringContaining('TX-002'),
      });
      const gridsAfter = await db().query<{ n: number; buildings: string }>(
        `select count(*)::int as n, string_agg(id || ':' || version || ':' || name || ':' || md5(ST_AsBinary(boundary)), ',' order by id) as grids,
                (select string_agg(id || ':' || coalesce(grid_id, 0), ',' order by id) from public.buildings) as buildings from public.grids`,
      );
      expect(gridsAfter).toEqual(gridsBefore);
      expect((await db().query(`select 1 from public.grids where name = '改过的名字'`)).length).toBe(0);
      const batch = await get('community_staff', `/api/imports/${dry.body.id}`);
      expect(batch.body).toMatchObject({ committed: false, kind: 'grids' });
      await db().query(`update public.grids set code = $1 where code = 'TX-002'`, ['360102001002001']);
    });

    it('re-imports a grid by its code from latitude-first GCJ-02 coordinates: swapped back, converted, the grid redrawn', async () => {
      const [grid] = await db().query<{ id: number; code: string; version: number; boundary: MultiPolygon }>(
        `select id, code, version, ST_AsGeoJSON(boundary)::json as boundary from public.grids where community_id = $1 order by id limit 1`,
        [communityId],
      );
      const shifted = mapPositions(grid!.boundary.coordinates, (p) => {
        const [lon, lat] = wgs84ToGcj02(p);
        return [lat, lon];
      });
      const file = fc([{ geometry: { type: 'MultiPolygon', coordinates: shifted }, properties: { code: grid!.code, name: '重绘网格' } }]);
      const dry = await post('community_staff', '/api/imports?kind=grids&crs=gcj02', form(file, 'grid.geojson'));
      expect(dry.status, JSON.stringify(dry.body)).toBe(201);
      expect(dry.body.crs).toMatchObject({ swapped: true, fromGcj02: true, source: 'guessed' });
      expect(dry.body.counts).toMatchObject({ toInsert: 0, toUpdate: 1 });
      const done = await post('community_staff', `/api/imports/${dry.body.id}/commit`);
      expect(done.body.committed).toMatchObject({ inserted: 0, updated: 1 });
      const [after] = await db().query<{ version: number; name: string; offsetM: number }>(
        `select version, name, ST_HausdorffDistance(boundary, ST_SetSRID(ST_GeomFromGeoJSON($2::text), 4326)) * 111000 as "offsetM"
         from public.grids where id = $1`,
        [grid!.id, JSON.stringify(grid!.boundary)],
      );
      expect(after).toMatchObject({ version: grid!.version + 1, name: '重绘网格' });
      expect(after!.offsetM).toBeLessThan(0.05);
      // The import keeps the boundary history: the old version closed, the new one marked as imported.
      const versions = await db().query<{ version: number; kind: string; closed: boolean; reason: string | null }>(
        'select version, kind, valid_to is not null as closed, reason from public.grid_versions where grid_id = $1 order by version',
        [grid!.id],
      );
      expect(versions.at(-2)).toMatchObject({ version: grid!.version, closed: true });
      expect(versions.at(-1)).toMatchObject({ version: grid!.version + 1, kind: 'imported', closed: false, reason: 'grids import' });
      // Without crs=gcj02 the same file lands hundreds of metres off: the conversion is what moved it back.
      const [lon, lat] = grid!.boundary.coordinates[0]![0]![0]! as [number, number];
      const [glon, glat] = wgs84ToGcj02([lon, lat]);
      expect(Math.hypot(glon - lon, glat - lat) * 111000).toBeGreaterThan(100);
      expect(gcj02ToWgs84([glon, glat])[0]).toBeCloseTo(lon, 8);
    });

    it('repairs an invalid outline with ST_MakeValid, refuses a point, and writes buildings into the grid they fall in', async () => {
      const [{ x, y, gridId }] = (await db().query<{ x: number; y: number; gridId: number }>(
        `select ST_X(p) as x, ST_Y(p) as y, g.id as "gridId" from public.grids g
         cross join lateral (select ST_PointOnSurface(ST_Buffer(g.boundary::geography, -40)::geometry) as p) s
         where g.community_id = $1 order by g.id limit 1`,
        [communityId],
      )) as [{ x: number; y: number; gridId: number }];
      const d = 0.0001;
      const bowtie = {
        type: 'Polygon',
        coordinates: [
          [
            [x, y],
            [x + d, y + d],
            [x + d, y],
            [x, y + d],
            [x, y],
          ],
        ],
      };
      const file = fc([
        { geometry: bowtie, properties: { 地址: '导入路1号' } },
        { geometry: { type: 'Point', coordinates: [x, y] }, properties: { 地址: '导入路2号' } },
        { geometry: square(x - 0.0002, y - 0.0002, 0.00008), properties: { 地址: '导入路3号' } },
      ]);
      const dry = await post('community_staff', '/api/imports?kind=buildings', form(file, 'b.geojson'));
      expect(dry.status, JSON.stringify(dry.body)).toBe(201);
      expect(dry.body.problems.map((p: any) => [p.code, p.featureIndex])).toEqual([
        [IMPORT_PROBLEM.NOT_POLYGON, 1],
        [IMPORT_PROBLEM.REPAIRED_GEOMETRY, 0],
      ]);
      expect(dry.body.counts).toMatchObject({ features: 3, repaired: 1, toInsert: 2 });
      const done = await post('community_staff', `/api/imports/${dry.body.id}/commit`);
      expect(done.body.committed.inserted).toBe(2);
      const rows = await db().query<{ address: string; grid_id: number; valid: boolean }>(
        `select address, grid_id, ST_IsValid(footprint) as valid from public.buildings where address like '导入路%' order by address`,
      );
      expect(rows).toEqual([
        { address: '导入路1号', grid_id: gridId, valid: true },
        { address: '导入路3号', grid_id: gridId, valid: true },
      ]);
    });

    it('lets only community staff import grids and buildings, and keeps each batch its owner’s', async () => {
      const file = fc([{ geometry: square(115.9, 28.6), properties: {} }]);
      const leader = await post('grid_leader', '/api/imports?kind=grids', form(file, 'g.geojson'));
      expect(leader.status).toBe(403);
      const mine = await post('community_staff', '/api/imports?kind=grids', form(file, 'g.geojson'));
      expect((await get('street_leader', `/api/imports/${mine.body.id}`)).status).toBe(404);
      expect((await post('street_leader', `/api/imports/${mine.body.id}/commit`)).status).toBe(404);
    });
  });

  describe('refused files', () => {
    it('answers a file over the limit with 413 naming the limit', async () => {
      const big = new Uint8Array(200 * 1024).fill(32);
      const { status, body } = await post('community_staff', '/api/imports?kind=grids', form(big, 'big.geojson'), { IMPORT_MAX_MB: '0.1' });
      expect(status).toBe(413);
      expect(body.error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('0.1 MB') });
    });

    it('answers a PNG named .zip, a broken XLSX and projected numbers without a .prj with 422', async () => {
      const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
      const a = await post('community_staff', '/api/imports?kind=grids', form(png, 'grids.zip'));
      expect(a.status).toBe(422);
      expect(a.body.error).toMatchObject({ code: 'unreadable_file', message: expect.stringContaining('PNG') });

      const xlsx = await ledger([['张三', '', '', '建德观街49号1栋', '1', '101', '', null]]);
      const b = await post(
        'community_staff',
        '/api/imports?kind=households',
        form(xlsx.subarray(0, Math.floor(xlsx.length / 2)), '台账.xlsx'),
      );
      expect(b.status).toBe(422);
      expect(b.body.error.code).toBe('unreadable_file');

      const projected = JSON.stringify({
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: {},
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [500000, 3170000],
                  [500100, 3170000],
                  [500100, 3170100],
                  [500000, 3170000],
                ],
              ],
            },
          },
        ],
      });
      const c = await post('community_staff', '/api/imports?kind=grids', form(projected, 'g.geojson'));
      expect(c.status).toBe(422);
      expect(c.body.error.code).toBe('unknown_crs');

      const d = await post('community_staff', '/api/imports?kind=grids', form('{"type":"FeatureCollection","features":[', 'g.geojson'));
      expect(d.status).toBe(422);
    });

    it('answers a missing file or a bad mapping with 400', async () => {
      const a = await post(
        'community_staff',
        '/api/imports?kind=grids',
        form('', 'x').constructor === FormData ? new FormData() : undefined,
      );
      expect(a.status).toBe(400);
      const b = await post(
        'community_staff',
        '/api/imports?kind=grids',
        form(JSON.stringify({ type: 'FeatureCollection', features: [] }), 'g.geojson', { mapping: '{"name":"NOPE"}' }),
      );
      expect(b.status).toBe(400);
      expect(b.body.error).toMatchObject({ code: 'invalid_mapping', message: expect.stringContaining('NOPE') });
    });
  });
});
