/**
 * What an import leaves behind: a committed ledger's batch keeps counts and no personal data, a
 * dry run nobody commits is gone after 24 hours, and grids an import adds to a street in use
 * begin at the commit, so statistics for earlier dates keep the grids and assignments of then.
 */
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { todayInChina } from '../../api/lib/query-params';
import { IMPORT_PROBLEM } from '../../geo/import/import-problems';
import { type DemoRole, ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

function form(file: Uint8Array | string, name: string) {
  const fd = new FormData();
  fd.set('file', new File([typeof file === 'string' ? file : new Uint8Array(file)], name));
  return fd;
}

const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const withCheck = (b: string) => b + '10X98765432'[W.reduce((s, w, i) => s + w * Number(b[i]), 0) % 11];

async function ledger(rows: unknown[][]): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('台账');
  ws.addRow(['姓名', '身份证号', '联系电话', '地址', '房号', '类别']);
  for (const r of rows) ws.addRow(r);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

describeEachDatabase('import lifecycle', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const call = async (who: DemoRole, method: string, path: string, body?: FormData) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(path, { method, body });
    return { status: res.status, body: (await res.json()) as any };
  };
  const batch = async (id: string) =>
    (
      await db().query<{ rows: string; report: string; committed: unknown }>(
        `select rows::text, report::text, committed from public.import_batches where id = $1`,
        [id],
      )
    )[0];

  let addresses: string[];
  let communityId: number;
  beforeAll(async () => {
    [{ communityId }] = (await db().query<{ communityId: number }>(
      `select community_id as "communityId" from public.staff where email = $1`,
      [ROLE_ACCOUNTS.community_staff],
    )) as [{ communityId: number }];
    addresses = (
      await db().query<{ address: string }>(
        `select b.address from public.buildings b join public.grids g on g.id = b.grid_id where g.community_id = $1 order by b.id limit 2`,
        [communityId],
      )
    ).map((r) => r.address);
  });

  describe('retention', () => {
    const idNumber = withCheck('36010219800101123');
    // Personal data in the rows (a name, an ID number, a phone) and in the problems (a phone, an address).
    const personal = ['留存甲', idNumber, '13907911111', '12345', '不存在路999号'];
    const rows = () => [
      ['留存甲', idNumber, '13907911111', addresses[0], '101', '低保'],
      ['留存乙', '', '12345', addresses[1], '102', ''],
      ['留存丙', '', '', '不存在路999号', '103', ''],
    ];

    it('drops the rows and the personal data of a ledger when it is committed, keeping counts and problem codes', async () => {
      const dry = await call('community_staff', 'POST', '/api/imports?kind=households', form(await ledger(rows()), '台账.xlsx'));
      expect(dry.status, JSON.stringify(dry.body)).toBe(201);
      expect(Date.parse(dry.body.expiresAt) - Date.parse(dry.body.createdAt)).toBe(24 * 3600_000);
      // Until the commit the batch holds what it will write: that is why it must not stay.
      const pending = await batch(dry.body.id);
      for (const p of ['留存甲', idNumber, '12345']) expect(pending!.rows + pending!.report).toContain(p);

      const done = await call('community_staff', 'POST', `/api/imports/${dry.body.id}/commit`);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.committed).toEqual({ inserted: 1, updated: 0 });

      const kept = await batch(dry.body.id);
      expect(JSON.parse(kept!.rows)).toEqual([]);
      for (const p of personal) expect(kept!.report).not.toContain(p);
      expect(kept!.committed).toEqual({ inserted: 1, updated: 0 });

      const again = await call('community_staff', 'GET', `/api/imports/${dry.body.id}`);
      expect(again.body).toMatchObject({ committed: true, committedCounts: { inserted: 1, updated: 0 }, personalDataRemoved: true });
      expect(again.body.counts).toMatchObject({ rows: 3, toInsert: 1, unmatched: 1 });
      expect(again.body.problems).toEqual([
        { code: IMPORT_PROBLEM.INVALID_PHONE, severity: 'error', row: 3 },
        { code: IMPORT_PROBLEM.UNMATCHED_ADDRESS, severity: 'error', row: 4 },
      ]);
      expect(again.body.problemCounts).toEqual({ [IMPORT_PROBLEM.INVALID_PHONE]: 1, [IMPORT_PROBLEM.UNMATCHED_ADDRESS]: 1 });
    });

    it('removes a dry run nobody committed within 24 hours, whoever imports next', async () => {
      const old = await call('community_staff', 'POST', '/api/imports?kind=households', form(await ledger(rows()), '旧台账.xlsx'));
      const fresh = await call('community_staff', 'POST', '/api/imports?kind=households', form(await ledger(rows()), '新台账.xlsx'));
      await db().query(`update public.import_batches set created_at = now() - interval '24 hours 1 minute' where id = $1`, [old.body.id]);
      await db().query(`update public.import_batches set created_at = now() - interval '23 hours 59 minutes' where id = $1`, [
        fresh.body.id,
      ]);
      expect(await batch(old.body.id)).toBeDefined();

      // Someone else's dry run (a grid leader's ledger) is what purges it.
      const other = await call('grid_leader', 'POST', '/api/imports?kind=households', form('姓名,地址,房号\n张三,x,1\n', 'x.csv'));
      expect(other.status, JSON.stringify(other.body)).toBe(201);
      expect(await batch(old.body.id)).toBeUndefined();
      expect(await batch(fresh.body.id)).toBeDefined();
      const left = await db().query<{ n: number }>(
        `select count(*)::int as n from public.import_batches where committed_at is null and created_at < now() - interval '24 hours'`,
      );
      expect(left[0]!.n).toBe(0);

      const late = await call('community_staff', 'POST', `/api/imports/${old.body.id}/commit`);
      expect(late.status).toBe(404);
      expect(late.body.error.message).toMatch(/not committed within 24 hours are removed.*Upload the file again/);
    });
  });

  describe('boundary history', () => {
    it('starts grids an import adds at the commit: earlier dates keep the grids and assignments of then', async () => {
      // The community's biggest grid is redrawn as its western half (by its code) and a new grid
      // takes the eastern half, with the buildings there.
      const [grid] = await db().query<{ id: number; code: string; west: object; east: object }>(
        `with g as (select id, code, boundary, ST_XMin(boundary) x0, ST_YMin(boundary) y0, ST_XMax(boundary) x1, ST_YMax(boundary) y1,
                      (select ST_X(ST_Centroid(boundary))) cx
                    from public.grids where community_id = $1 and retired_at is null order by ST_Area(boundary) desc limit 1)
         select id, code,
           ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(boundary, ST_MakeEnvelope(x0 - 1e-6, y0 - 1e-6, cx, y1 + 1e-6, 4326)), 3), 9)::json as west,
           ST_AsGeoJSON(ST_CollectionExtract(ST_Intersection(boundary, ST_MakeEnvelope(cx, y0 - 1e-6, x1 + 1e-6, y1 + 1e-6, 4326)), 3), 9)::json as east
         from g`,
        [communityId],
      );
      const eastern = await db().query<{ n: number }>(
        `select count(*)::int as n from public.buildings b join public.grids g on g.id = b.grid_id
         where g.id = $1 and ST_X(ST_PointOnSurface(b.footprint)) > ST_X(ST_Centroid(g.boundary))`,
        [grid!.id],
      );
      expect(eastern[0]!.n).toBeGreaterThan(0);

      const pastDay = '2026-11-14'; // before DEMO_TODAY: read from the history, not from today's rollups
      const households = async (asOf: string) =>
        db().query<{ grid_id: number; households: number }>(
          `select grid_id, households from public.grid_household_counts($1::date) order by grid_id`,
          [asOf],
        );
      const gridsThen = async () =>
        (await db().query<{ id: number }>(`select grid_id as id from public.grid_versions_at($1::date) order by 1`, [pastDay])).map(
          (g) => g.id,
        );
      const before = { households: await households(pastDay), grids: await gridsThen() };

      const file = JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', properties: { 网格编码: grid!.code, 网格名称: '西半' }, geometry: grid!.west },
          { type: 'Feature', properties: { 网格名称: '东半' }, geometry: grid!.east },
        ],
      });
      const dry = await call('community_staff', 'POST', '/api/imports?kind=grids', form(file, 'split.geojson'));
      expect(dry.status, JSON.stringify(dry.body)).toBe(201);
      expect(dry.body.counts).toMatchObject({ toInsert: 1, toUpdate: 1 });
      const done = await call('community_staff', 'POST', `/api/imports/${dry.body.id}/commit`);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.committed.buildingsRegridded).toBe(eastern[0]!.n);

      const [added] = await db().query<{ id: number; validFrom: string; kind: string; recent: boolean; staffId: number | null }>(
        `select v.grid_id as id, v.valid_from::text as "validFrom", v.kind, v.valid_from > now() - interval '10 minutes' as recent, v.staff_id as "staffId"
         from public.grid_versions v join public.grids g on g.id = v.grid_id where g.name = '东半'`,
      );
      expect(added).toMatchObject({ kind: 'imported', recent: true });
      expect(added!.staffId).not.toBeNull();

      // The past is as it was: no new grid, the redrawn grid with all its households, in the
      // history and in the statistics served for that date.
      expect(await gridsThen()).toEqual(before.grids);
      expect(await households(pastDay)).toEqual(before.households);
      const served = (await call('community_staff', 'GET', `/api/stats/grids?asOf=${pastDay}`)).body.grids;
      expect(served.map((g: any) => g.id)).not.toContain(added!.id);
      expect(served.find((g: any) => g.id === grid!.id).households).toBe(before.households.find((h) => h.grid_id === grid!.id)!.households);
      // From the commit on, the new grid holds the eastern buildings.
      const [now] = await db().query<{ n: number }>(
        `select count(*)::int as n from public.building_grids_at($1::date) where grid_id = $2`,
        [todayInChina(), added!.id],
      );
      expect(now!.n).toBe(eastern[0]!.n);
      const [version] = await db().query<{ n: number }>(
        `select count(*)::int as n from public.grid_versions_at($1::date) where grid_id = $2`,
        [todayInChina(), added!.id],
      );
      expect(version!.n).toBe(1);
    });
  });
});
