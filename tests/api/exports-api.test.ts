/**
 * Exports: grids with statistics as GeoJSON, CSV (UTF-8 with BOM, Chinese headers) and XLSX; the
 * mop-up list and issues with personal fields exactly as the caller's role may see them.
 */
import ExcelJS from 'exceljs';
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { decodeText, parseCsv } from '../../geo/import/csv.parse';
import { type DemoRole, ROLE_ACCOUNTS, signedIn, staffGridOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('exports', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const download = async (who: DemoRole, path: string) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(path);
    return { status: res.status, type: res.headers.get('content-type'), bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  const csv = (bytes: Uint8Array) => {
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    return parseCsv(decodeText(bytes).text);
  };

  let grids: { code: string; households: number }[];
  let grid: number;
  beforeAll(async () => {
    grids = await db().query<{ code: string; households: number }>(
      `select g.code, coalesce(c.households, 0) as households from public.grids g
       left join public.grid_household_counts($1::date) c on c.grid_id = g.id order by g.code`,
      [DEMO_TODAY],
    );
    ({ gridId: grid } = await staffGridOf(db(), ROLE_ACCOUNTS.grid_leader));
  });

  it('exports the grids with their statistics as CSV with a BOM and Chinese headers, in code order', async () => {
    const { status, type, bytes } = await download('street_leader', '/api/exports/grids.csv');
    expect(status).toBe(200);
    expect(type).toContain('text/csv');
    const [header, ...rows] = csv(bytes);
    expect(header).toEqual([
      '网格编码',
      '网格名称',
      '所属社区',
      '住户数',
      '走访覆盖率',
      '逾期未访户',
      '重点人群逾期',
      '未办结事项',
      '超期事项',
      '关注指数',
      '统计日期',
    ]);
    expect(rows.map((r) => [r[0], Number(r[3])])).toEqual(grids.map((g) => [g.code, g.households]));
    expect(rows.every((r) => r[10] === DEMO_TODAY)).toBe(true);
  });

  it('exports the same as XLSX (in English on request) and as GeoJSON', async () => {
    const x = await download('street_leader', '/api/exports/grids.xlsx?lang=en');
    expect(x.type).toContain('spreadsheetml');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.bytes as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.getRow(1).getCell(1).value).toBe('Grid code');
    expect(ws.actualRowCount).toBe(grids.length + 1);
    expect(ws.getRow(2).getCell(4).value).toBe(grids[0]!.households);

    const g = await download('street_leader', '/api/exports/grids.geojson');
    const fc = JSON.parse(new TextDecoder().decode(g.bytes));
    expect(fc.features).toHaveLength(grids.length);
    expect(fc.features[0]).toMatchObject({
      type: 'Feature',
      geometry: { type: 'MultiPolygon' },
      properties: { code: grids[0]!.code, households: grids[0]!.households },
    });
  });

  it("exports a grid's mop-up list with names for its leader, masked for the street leader, refused to the presenter", async () => {
    const path = `/api/exports/overdue.csv?gridId=${grid}`;
    const leader = csv((await download('grid_leader', path)).bytes);
    const street = csv((await download('street_leader', path)).bytes);
    expect(leader[0]).toEqual(['网格', '地址', '单元', '房号', '户主姓名', '联系电话', '人员类别', '最近走访', '应访日期', '逾期天数']);
    const [{ n }] = (await db().query<{ n: number }>('select count(*)::int as n from public.grid_overdue_households($1, $2::date)', [
      grid,
      DEMO_TODAY,
    ])) as [{ n: number }];
    expect(n).toBeGreaterThan(0);
    expect(leader).toHaveLength(n + 1);
    expect(street).toHaveLength(n + 1);
    const names = new Set(
      (
        await db().query<{ head_name: string }>(
          'select head_name from public.households h join public.buildings b on b.id = h.building_id where b.grid_id = $1',
          [grid],
        )
      ).map((r) => r.head_name),
    );
    expect(leader.slice(1).every((r) => names.has(r[4]!))).toBe(true);
    expect(street.slice(1).every((r) => r[4]!.includes('*') && !names.has(r[4]!))).toBe(true);
    expect((await download('presenter', path)).status).toBe(403);
  });

  it('exports issues as XLSX with the reporter masked for the street leader', async () => {
    const res = await download('street_leader', '/api/exports/issues.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.bytes as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    const [{ n }] = (await db().query<{ n: number }>('select count(*)::int as n from public.issues')) as [{ n: number }];
    expect(ws.actualRowCount).toBe(n + 1);
    const reporters: string[] = [];
    ws.eachRow((row, i) => {
      if (i > 1 && row.getCell(9).value) reporters.push(String(row.getCell(9).value));
    });
    expect(reporters.length).toBeGreaterThan(0);
    expect(reporters.every((r) => r.includes('*'))).toBe(true);
  });

  it('refuses unknown exports and GeoJSON of tables with 400, and callers without a token with 401', async () => {
    expect((await download('street_leader', '/api/exports/households.csv')).status).toBe(400);
    expect((await download('street_leader', '/api/exports/issues.geojson')).status).toBe(400);
    expect((await app().request('/api/exports/grids.csv')).status).toBe(401);
  });
});
