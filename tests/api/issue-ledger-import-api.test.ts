/**
 * The matters ledger (民情事项台账) import on the demo street (issue 18; api/imports/issue-import.ts):
 * an XLSX ledger of matters open, closed in time, closed late, escalated, resolved, with and
 * without original numbers fitting the scheme, becomes matters whose status, deadline, overdue
 * and history are what the ledger says, in the issues API, the indicators and a past month's
 * figures; a GBK CSV with every kind of bad row writes nothing and says where each error is;
 * a re-import adds nothing; a grid member is refused.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { IMPORT_PROBLEM } from '../../geo/import/import-problems';
import { problemText } from '../../geo/import/problem-text';
import { type DemoRole, ROLE_ACCOUNTS, signedIn, staffGridOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

const FIXTURES = fileURLToPath(new URL('../fixtures/imports/', import.meta.url));
const HEADERS = ['登记编号', '登记日期', '网格', '地址', '类别', '内容', '层级', '状态', '办结日期', '满意度'];

function form(file: Uint8Array, name: string) {
  const fd = new FormData();
  fd.set('file', new File([new Uint8Array(file)], name));
  return fd;
}

async function xlsx(rows: unknown[][]): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('民情事项台账');
  ws.addRow(HEADERS);
  for (const r of rows) ws.addRow(r);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

const utc = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));

describeEachDatabase('matters ledger import', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const call = async (who: DemoRole, path: string, body?: FormData) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(
      path,
      body ? { method: 'POST', body } : path.endsWith('/commit') ? { method: 'POST' } : {},
    );
    return { status: res.status, body: (await res.json()) as any };
  };

  let grid: { id: number; code: string; name: string };
  let address: string;
  let ledger: () => Promise<Uint8Array>;
  beforeAll(async () => {
    const { gridId } = await staffGridOf(db(), ROLE_ACCOUNTS.grid_leader);
    [grid] = (await db().query<{ id: number; code: string; name: string }>('select id, code, name from public.grids where id = $1', [
      gridId,
    ])) as [typeof grid];
    [{ address }] = (await db().query<{ address: string }>('select address from public.buildings where grid_id = $1 order by id limit 1', [
      gridId,
    ])) as [{ address: string }];
    ledger = () =>
      xlsx([
        // closed in time, its number fits the scheme and is free: kept
        ['202409007', utc(2024, 9, 3), grid.name, '', '矛盾纠纷', '台账测试：楼上漏水纠纷', '网格', '已办结', utc(2024, 9, 8), '满意'],
        // closed late (社区: 15 days, due 09-16), a number of the ledger's own scheme: kept beside
        ['MQ-2026-001', '2026-09-01', grid.code, '', '安全隐患', '台账测试：楼道堆放杂物', '社区', '已办结', '2026-09-25', '基本满意'],
        // escalated to the street (30 days, due 10-10), placed by address, no number: open at 09-30, overdue now
        ['', '2026/9/10', '', address, '公共设施', '台账测试：小区路灯损坏', '街道', '办理中', '', ''],
        // accepted, ordinary (due 09-27): overdue at 09-30; its number is of another month: kept beside
        ['202608123', '2026年9月20日', grid.name, '', '环境卫生', '台账测试：垃圾清运不及时', '一般', '已受理', '', ''],
        // resolved, awaiting the resident's feedback
        ['', '2026-11-01', grid.name, '', '意见建议', '台账测试：建议增设休息座椅', '网格', '待回访', '2026-11-03', ''],
      ]);
  });

  const stats = async (asOf: string) => {
    const { status, body } = await call('street_leader', `/api/stats/grids?asOf=${asOf}`);
    expect(status).toBe(200);
    return body.grids.find((g: any) => g.id === grid.id) as { openIssues: number; overdueIssues: number };
  };
  const indicators = async (from: string, to: string) =>
    (await call('community_staff', `/api/issues/indicators?from=${from}&to=${to}&gridId=${grid.id}`)).body.counts;

  describe('a good ledger', () => {
    it('is checked, committed with the history it stands for, and moves the figures of the months it touches', async () => {
      const sepBefore = await stats('2026-09-30'); // stores September's month-end snapshot
      const indBefore = await indicators('2026-09-01', '2026-09-30');
      const ind2024Before = await indicators('2024-09-01', '2024-09-30');

      const dry = await call('community_staff', '/api/imports?kind=issues', form(await ledger(), '民情事项台账.xlsx'));
      expect(dry.status, JSON.stringify(dry.body)).toBe(201);
      expect(dry.body.mapping).toEqual({
        regNo: '登记编号',
        registeredOn: '登记日期',
        grid: '网格',
        address: '地址',
        issueCategory: '类别',
        content: '内容',
        level: '层级',
        status: '状态',
        closedOn: '办结日期',
        satisfaction: '满意度',
      });
      expect(dry.body.problems.map((p: any) => [p.code, p.severity, p.row, p.details.reason])).toEqual([
        [IMPORT_PROBLEM.REG_NO_KEPT_BESIDE, 'warning', 3, 'format'],
        [IMPORT_PROBLEM.REG_NO_KEPT_BESIDE, 'warning', 5, 'month'],
      ]);
      expect(problemText('zh-CN', dry.body.problems[0])).toBe(
        '第 3 行：登记编号 MQ-2026-001 不符合“年月 + 3 位序号”（如 202403001）的规则，将另编新号，原编号保留为“原登记编号”。',
      );
      expect(dry.body.counts).toEqual({
        rows: 5,
        valid: 5,
        errors: 0,
        toInsert: 5,
        alreadyImported: 0,
        numbersKept: 1,
        numbersBeside: 2,
        skipped: 0,
      });

      const done = await call('community_staff', `/api/imports/${dry.body.id}/commit`);
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body.committed).toEqual({ inserted: 5, alreadyImported: 0, numbersKept: 1, numbersBeside: 2 });

      // The issues API, as the community staff sees them.
      const list = (await call('community_staff', `/api/issues?gridId=${grid.id}&limit=1000`)).body.issues.filter((i: any) =>
        i.description.startsWith('台账测试'),
      );
      const by = (text: string) => list.find((i: any) => i.description.includes(text));
      expect(list).toHaveLength(5);
      for (const i of list) expect(i.importBatchId).toBe(dry.body.id);
      expect(by('漏水')).toMatchObject({
        regNo: '202409007',
        originalRegNo: null,
        status: 'closed',
        tier: 'on_spot',
        complexity: 'ordinary',
        category: 'dispute',
        evaluation: 'satisfied',
        overdue: false,
      });
      expect([by('漏水').receivedAt, by('漏水').dueAt, by('漏水').closedAt].map((t: string) => new Date(t).toISOString())).toEqual([
        '2024-09-02T16:00:00.000Z',
        '2024-09-09T16:00:00.000Z',
        '2024-09-07T16:00:00.000Z',
      ]);
      expect(by('杂物')).toMatchObject({
        originalRegNo: 'MQ-2026-001',
        status: 'closed',
        tier: 'community',
        complexity: 'complex',
        evaluation: 'basically_satisfied',
      });
      expect(by('杂物').regNo).toMatch(/^202609\d{3}$/);
      expect(new Date(by('杂物').dueAt).toISOString()).toBe('2026-09-15T16:00:00.000Z');
      expect(by('路灯')).toMatchObject({
        originalRegNo: null,
        status: 'in_progress',
        tier: 'escalated',
        escalatedFrom: 'community',
        complexity: 'major',
        overdue: true,
        closedAt: null,
      });
      expect(by('路灯').regNo).toMatch(/^202609\d{3}$/);
      expect(by('垃圾')).toMatchObject({ originalRegNo: '202608123', status: 'accepted', overdue: true });
      expect(by('垃圾').regNo).toMatch(/^202609\d{3}$/);
      expect(by('座椅')).toMatchObject({ status: 'resolved', closedAt: null, overdue: false });
      const [road] = await db().query<{ building: string }>(
        'select b.address as building from public.issues i join public.buildings b on b.id = i.building_id where i.id = $1',
        [by('路灯').id],
      );
      expect(road!.building).toBe(address);

      // The street leader reads the matters masked, and their origin like their number.
      const leaderSees = (await call('street_leader', `/api/issues/${by('杂物').id}`)).body;
      expect(leaderSees).toMatchObject({ masked: true, originalRegNo: 'MQ-2026-001', importBatchId: dry.body.id });
      // The sealed batch keeps counts and each problem's code, severity and row: no cell of the ledger.
      const sealed = (await call('community_staff', `/api/imports/${dry.body.id}`)).body;
      expect(sealed).toMatchObject({
        committed: true,
        personalDataRemoved: true,
        problems: [
          { code: 'reg_no_kept_beside', severity: 'warning', row: 3 },
          { code: 'reg_no_kept_beside', severity: 'warning', row: 5 },
        ],
      });
      expect(JSON.stringify(sealed)).not.toContain('MQ-2026-001');

      // The rebuilt histories.
      const events = async (i: any) =>
        (await call('community_staff', `/api/issues/${i.id}`)).body.events.map((e: any) => [
          e.kind,
          e.to,
          new Date(e.at).toISOString().slice(0, 10),
          e.details.toTier ?? e.details.evaluation ?? null,
        ]);
      expect(await events(by('路灯'))).toEqual([
        ['registered', 'registered', '2026-09-09', null],
        ['escalated', 'registered', '2026-09-09', 'community'],
        ['escalated', 'registered', '2026-09-09', 'escalated'],
        ['accepted', 'accepted', '2026-09-09', null],
        ['in_progress', 'in_progress', '2026-09-09', null],
      ]);
      expect((await events(by('杂物'))).slice(-2)).toEqual([
        ['resolved', 'resolved', '2026-09-24', null],
        ['closed', 'closed', '2026-09-24', 'basically_satisfied'],
      ]);

      // Figures: September's snapshot is replaced — 路灯 and 垃圾 open at its end, 垃圾 overdue.
      const sepAfter = await stats('2026-09-30');
      expect(sepAfter.openIssues - sepBefore.openIssues).toBe(2);
      expect(sepAfter.overdueIssues - sepBefore.overdueIssues).toBe(1);
      const indAfter = await indicators('2026-09-01', '2026-09-30');
      expect([
        indAfter.registered - indBefore.registered,
        indAfter.closed - indBefore.closed,
        indAfter.closedOnTime - indBefore.closedOnTime,
        indAfter.satisfied - indBefore.satisfied,
      ]).toEqual([3, 1, 0, 1]);
      const ind2024 = await indicators('2024-09-01', '2024-09-30');
      expect([
        ind2024.registered - ind2024Before.registered,
        ind2024.closed - ind2024Before.closed,
        ind2024.closedOnTime - ind2024Before.closedOnTime,
      ]).toEqual([1, 1, 1]);

      // Again: nothing added, and the report says how many were there.
      const again = await call('community_staff', '/api/imports?kind=issues', form(await ledger(), '民情事项台账.xlsx'));
      expect(again.body.counts).toMatchObject({ toInsert: 0, alreadyImported: 5, errors: 0 });
      const none = await call('community_staff', `/api/imports/${again.body.id}/commit`);
      expect(none.body.committed).toMatchObject({ inserted: 0 });
      const [{ n }] = (await db().query<{ n: number }>(
        `select count(*)::int as n from public.issues where description like '台账测试%'`,
      )) as [{ n: number }];
      expect(n).toBe(5);
    });

    it('is refused to a grid member (403), with nothing stored', async () => {
      const res = await call('grid_member', '/api/imports?kind=issues', form(await ledger(), '民情事项台账.xlsx'));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    });
  });

  it('a GBK CSV with bad rows writes nothing and locates every error', async () => {
    // An ambiguous address: a building of another grid given this grid's first building's address.
    await db().query(
      `update public.buildings set address = $1
       where id = (select min(id) from public.buildings where grid_id <> $2
                   and grid_id in (select id from public.grids where community_id = (select community_id from public.grids where id = $2)))`,
      [address, grid.id],
    );
    // The fixture names the demo's first grid and its first building (the grid leader's grid, checked here).
    expect([grid.name, address]).toEqual(['洗马池社区第一网格', '建德观街49号1栋']);
    const csv = fs.readFileSync(`${FIXTURES}issue-ledger-bad-gbk.csv`);
    const before = await db().query<{ n: number }>('select count(*)::int as n from public.issues');
    const dry = await call('community_staff', '/api/imports?kind=issues', form(new Uint8Array(csv), '民情事项台账.csv'));
    expect(dry.status, JSON.stringify(dry.body)).toBe(201);
    expect(dry.body).toMatchObject({ format: 'csv', encoding: 'gbk' });
    const errors = dry.body.problems
      .filter((p: any) => p.severity === 'error')
      .map((p: any) => [p.row, p.code, p.details.column ?? null, p.details.reason ?? null]);
    expect(errors).toEqual([
      [2, IMPORT_PROBLEM.UNKNOWN_LABEL, '类别', null],
      [3, IMPORT_PROBLEM.UNKNOWN_LABEL, '状态', null],
      [4, IMPORT_PROBLEM.UNKNOWN_LABEL, '层级', null],
      [5, IMPORT_PROBLEM.FUTURE_DATE, '登记日期', null],
      [6, IMPORT_PROBLEM.INVALID_DATE, '登记日期', null],
      [7, IMPORT_PROBLEM.CLOSED_BEFORE_REGISTERED, '办结日期', null],
      [8, IMPORT_PROBLEM.STATUS_DATE_MISMATCH, '办结日期', 'closed_without_date'],
      [9, IMPORT_PROBLEM.STATUS_DATE_MISMATCH, '办结日期', 'date_without_close'],
      [10, IMPORT_PROBLEM.UNMATCHED_GRID, '网格', null],
      [11, IMPORT_PROBLEM.UNMATCHED_ADDRESS, '地址', null],
      [12, IMPORT_PROBLEM.AMBIGUOUS_PLACE, '地址', null],
      [14, IMPORT_PROBLEM.DUPLICATE_REG_NO, '登记编号', null],
      [16, IMPORT_PROBLEM.DUPLICATE_ROW, null, 'same_matter'],
    ]);
    expect(dry.body.counts).toMatchObject({ rows: 15, errors: 13, toInsert: 0 });
    // Each in the user's language, naming row, column and value.
    const say = (row: number, locale: 'zh-CN' | 'zh-TW' | 'en') =>
      problemText(
        locale,
        dry.body.problems.find((p: any) => p.row === row),
      );
    expect(say(2, 'zh-CN')).toMatch(/^第 2 行：“类别”（事项类别）的“外星事务”无法识别，请改为以下之一：矛盾纠纷、安全隐患、/);
    expect(say(5, 'zh-TW')).toBe('第 5 列：「登记日期」的日期 2027-01-05 晚於今天（2026-11-15），台帳只記已發生的事，請更正。');
    expect(say(7, 'en')).toBe('Row 7: the closing date 2026-09-01 is before the registration date 2026-09-10; correct one of them.');
    expect(say(10, 'zh-CN')).toMatch(/^第 10 行：“不存在的网格”不是您负责的任何网格的编码或名称/);
    expect(say(16, 'zh-CN')).toBe(
      '第 16 行：与第 15 行是同一事项（日期、网格、类别、内容都相同）。请删除重复的行，或给每件事项填写登记编号。',
    );
    for (const p of dry.body.problems) expect(problemText('zh-CN', p), p.message).not.toBe(p.message);

    const commit = await call('community_staff', `/api/imports/${dry.body.id}/commit`);
    expect(commit.status).toBe(422);
    expect(commit.body.error.code).toBe('import_rejected');
    expect(await db().query<{ n: number }>('select count(*)::int as n from public.issues')).toEqual(before);
  });
});
