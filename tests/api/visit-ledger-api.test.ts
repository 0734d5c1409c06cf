/**
 * Visit ledgers (走访台账, issue 18; docs/import-export.md "Visit ledgers") on the demo street, on
 * both databases: a 12-month ledger of a few households written by exceljs, matched by ID number,
 * by building code + unit + room and by name + address; one row ambiguous, one unmatched; the bad
 * inputs located by row and column; nothing committed while a row is wrong; the commit moving a
 * grid's coverage today (through the stats API) and a past month's snapshot; the same ledger as a
 * GBK CSV adding nothing; who may import.
 */
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { LOCALES } from '../../geo/i18n/strings';
import { IMPORT_PROBLEM } from '../../geo/import/import-problems';
import { problemText } from '../../geo/import/problem-text';
import { type DemoRole, ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

const HEADERS = ['走访日期', '户主姓名', '身份证号', '楼栋编号/地址', '单元', '房号', '走访人', '走访方式', '是否见面', '民情内容'];
type Cells = (string | Date | null)[];

const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const withCheck = (b: string) => b + '10X98765432'[W.reduce((s, w, i) => s + w * Number(b[i]), 0) % 11];

async function xlsx(rows: Cells[]): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('走访台账');
  ws.addRow(HEADERS);
  for (const r of rows) ws.addRow(r);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

/** GBK bytes of a text, from the platform's GBK decoder run backwards (no encoder ships with Node). */
let gbkTable: Map<string, number[]> | undefined;
function encodeGbk(text: string): Uint8Array {
  if (!gbkTable) {
    gbkTable = new Map();
    const decoder = new TextDecoder('gbk');
    for (let lead = 0x81; lead <= 0xfe; lead++) {
      for (let trail = 0x40; trail <= 0xfe; trail++) {
        if (trail === 0x7f) continue;
        const ch = decoder.decode(new Uint8Array([lead, trail]));
        if (ch.length === 1 && ch !== '\ufffd' && !gbkTable.has(ch)) gbkTable.set(ch, [lead, trail]);
      }
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) out.push(ch.charCodeAt(0));
    else
      out.push(
        ...(gbkTable.get(ch) ??
          (() => {
            throw new Error(`no GBK code for ${ch}`);
          })()),
      );
  }
  return new Uint8Array(out);
}

/** The ledger as Excel saves a CSV on a Chinese Windows: GBK, dates as 2026/1/10. */
function gbkCsv(rows: Cells[]): Uint8Array {
  const cell = (v: string | Date | null) => {
    if (v instanceof Date) return `${v.getUTCFullYear()}/${v.getUTCMonth() + 1}/${v.getUTCDate()}`;
    const s = v ?? '';
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return encodeGbk(`${[HEADERS, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`);
}

function form(file: Uint8Array, name: string, extra: Record<string, string> = {}) {
  const fd = new FormData();
  fd.set('file', new File([new Uint8Array(file)], name));
  for (const [k, v] of Object.entries(extra)) fd.set(k, v);
  return fd;
}

const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
/** The 10th of each of the twelve months up to DEMO_TODAY's: 2025-12-10 … 2026-11-10. */
const MONTHS = Array.from({ length: 12 }, (_, i) => {
  const d = new Date(Date.UTC(2025, 11 + i, 10));
  return d.toISOString().slice(0, 10);
});
const PAST_MONTH_END = '2026-06-30';

describeEachDatabase('visit ledgers', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const call = async (who: DemoRole, path: string, body?: FormData) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(
      path,
      body ? { method: 'POST', body } : path.endsWith('/commit') ? { method: 'POST' } : {},
    );
    return { status: res.status, body: (await res.json()) as any };
  };
  const gridFigures = async (gridId: number, asOf?: string) => {
    const { status, body } = await call('community_staff', `/api/stats/grids${asOf ? `?asOf=${asOf}` : ''}`);
    expect(status).toBe(200);
    return body.grids.find((g: any) => g.id === gridId) as { households: number; coveredHouseholds: number; coverage: number };
  };

  const ids = {
    a: withCheck('36010219500101201'),
    f: withCheck('36010219500101302'),
    g: withCheck('36010219500101403'),
    nobody: withCheck('36010219500101504'),
  };
  let gridId: number;
  let member: { id: number; name: string };
  let b1: { id: number; address: string };
  let b2: { id: number; address: string };
  const CODE = 'LD-T001';

  beforeAll(async () => {
    // A grid of the community staff's community with a grid member serving it (member01's).
    const [m] = await db().query<{ gridId: number; id: number; name: string }>(
      `select sg.grid_id as "gridId", s.id, s.name from public.staff s join public.staff_grids sg on sg.staff_id = s.id
       join public.grids g on g.id = sg.grid_id
       where s.email = $1 and g.community_id = (select community_id from public.staff where email = $2)
       order by sg.grid_id limit 1`,
      [ROLE_ACCOUNTS.grid_member, ROLE_ACCOUNTS.community_staff],
    );
    gridId = m!.gridId;
    member = { id: m!.id, name: m!.name };
    [b1, b2] = (await db().query<{ id: number; address: string }>(
      `select id, address from public.buildings where grid_id = $1 order by id limit 2`,
      [gridId],
    )) as [typeof b1, typeof b2];
    await db().query(`update public.buildings set code = $1 where id = $2`, [CODE, b1.id]);
    // The ledger's households, living there since 2025 unless said; elderly: a visit a month.
    await db().query(
      `insert into public.households (building_id, unit, room, head_name, id_number, categories, moved_in, moved_out) values
         ($1, '1', '101', '测甲', $3, '{elderly}', '2025-06-01', null),
         ($1, '2', '202', '测乙', null, '{elderly}', '2025-06-01', null),
         ($2, '3', '303', '测丙', null, '{elderly}', '2025-06-01', null),
         ($2, '4', '401', '测丁', null, '{elderly}', '2025-06-01', null),
         ($2, '4', '402', '测丁', null, '{elderly}', '2025-06-01', null),
         ($2, '5', '501', '测戊', $4, '{elderly}', '2020-01-01', '2026-03-01'),
         ($2, '5', '502', '测己', $5, '{elderly}', '2026-06-01', null)`,
      [b1.id, b2.id, ids.a, ids.f, ids.g],
    );
  });

  /** Twelve months of visits to 测甲 (by ID), 测乙 (by building code + unit + room) and 测丙 (by name + address). */
  const goodRows = (): Cells[] =>
    MONTHS.flatMap((m, i) => [
      [day(m), '测甲', ids.a, b1.address, '1', '101', member.name, i % 3 === 1 ? '电话' : '入户', '是', `第${i + 1}次走访，身体尚好`],
      [day(m), '测乙', '', CODE, '2单元', '202室', '王某某', i % 2 ? '微信' : '入户', i === 5 ? '否' : '是', ''],
      [day(m), '测丙', '', b2.address, '', '', '', '入户', '', `反映楼道灯坏了（${m}）`],
    ]);

  it('reports the bad inputs by row and column, the ambiguous and the unmatched row, and commits nothing while any is there', async () => {
    const rows: Cells[] = [
      [day('2026-12-01'), '测甲', ids.a, '', '', '', member.name, '入户', '是', '日期在今天之后'], // 2 future
      ['2026-13-45', '测甲', ids.a, '', '', '', member.name, '入户', '是', ''], // 3 not a date
      [day('2026-10-01'), '测甲', ids.a, '', '', '', member.name, '飞鸽传书', '是', ''], // 4 unknown method
      [day('2026-10-02'), '测甲', ids.a, '', '', '', member.name, '入户', '也许', ''], // 5 unknown 是否见面
      [day('2026-05-01'), '测戊', ids.f, '', '', '', member.name, '入户', '是', ''], // 6 after moving out
      [day('2026-02-01'), '测己', ids.g, '', '', '', member.name, '入户', '是', ''], // 7 before moving in
      [day('2026-10-03'), '测丁', '', b2.address, '', '', member.name, '入户', '是', ''], // 8 two 测丁 live there
      [day('2026-10-04'), '测某', ids.nobody, '', '', '', member.name, '入户', '是', ''], // 9 nobody has this ID
      [day('2026-10-05'), '测甲', ids.a, '', '', '', member.name, '入户', '是', '这一行没问题'], // 10 fine
      [day('2026-10-06'), '测甲', '36010219500101201X', '', '', '', member.name, '入户', '是', ''], // 11 bad ID number
    ];
    const dry = await call('community_staff', '/api/imports?kind=visits', form(await xlsx(rows), '走访台账-有误.xlsx'));
    expect(dry.status, JSON.stringify(dry.body)).toBe(201);
    expect(dry.body.mapping).toEqual({
      visitDate: '走访日期',
      headName: '户主姓名',
      idNumber: '身份证号',
      building: '楼栋编号/地址',
      unit: '单元',
      room: '房号',
      visitor: '走访人',
      method: '走访方式',
      met: '是否见面',
      content: '民情内容',
    });
    const errors = dry.body.problems.filter((p: any) => p.severity === 'error').map((p: any) => [p.row, p.code, p.details.column]);
    expect(errors).toEqual([
      [2, IMPORT_PROBLEM.VISIT_IN_FUTURE, '走访日期'],
      [3, IMPORT_PROBLEM.INVALID_DATE, '走访日期'],
      [4, IMPORT_PROBLEM.UNKNOWN_METHOD, '走访方式'],
      [5, IMPORT_PROBLEM.UNKNOWN_MET, '是否见面'],
      [6, IMPORT_PROBLEM.VISIT_AFTER_MOVE_OUT, '走访日期'],
      [7, IMPORT_PROBLEM.VISIT_BEFORE_MOVE_IN, '走访日期'],
      [8, IMPORT_PROBLEM.AMBIGUOUS_HOUSEHOLD, '楼栋编号/地址/户主姓名'],
      [9, IMPORT_PROBLEM.UNMATCHED_HOUSEHOLD, '身份证号'],
      [11, IMPORT_PROBLEM.INVALID_ID_NUMBER, '身份证号'],
    ]);
    const byRow = (r: number) => dry.body.problems.find((p: any) => p.row === r);
    expect(byRow(6).details).toMatchObject({ movedOut: '2026-03-01', date: '2026-05-01' });
    expect(byRow(7).details).toMatchObject({ movedIn: '2026-06-01', date: '2026-02-01' });
    expect(byRow(8).details.count).toBe(2);
    expect(byRow(2).message).toMatch(/^Row 2, column 走访日期: the visit date 2026-12-01 is after today/);
    expect(dry.body.counts).toMatchObject({ rows: 10, matched: 1, ambiguous: 1, unmatched: 1, errors: 9, toInsert: 1 });
    // Each problem said in the user's language from its code and details, never the server's English.
    for (const p of dry.body.problems) {
      for (const locale of LOCALES) {
        const text = problemText(locale, p);
        expect(text).not.toMatch(/[{}]/);
        if (locale === 'en') expect(text, p.code).toMatch(/^Row \d+/);
        else expect(text, `${p.code} in ${locale}`).toMatch(/^第 \d+ [行列]/);
      }
    }
    expect(problemText('zh-CN', byRow(6))).toBe(
      '第 6 行“走访日期”列：该户已于 2026-03-01 迁出，2026-05-01 的走访在迁出之后，请更正日期或住户。',
    );

    const refused = await call('community_staff', `/api/imports/${dry.body.id}/commit`);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: 'import_has_errors', details: { errors: 9 } });
    // Leaving out the households not found does not let bad data through.
    const skipping = await call(
      'community_staff',
      '/api/imports?kind=visits',
      form(await xlsx(rows), '走访台账-有误.xlsx', { skipUnmatched: 'true' }),
    );
    expect(skipping.body.counts.errors).toBe(7);
    expect((await call('community_staff', `/api/imports/${skipping.body.id}/commit`)).status).toBe(422);
    const [{ n }] = (await db().query<{ n: number }>(`select count(*)::int as n from public.visits where import_key is not null`)) as [
      { n: number },
    ];
    expect(n).toBe(0);
  });

  it('commits a 12-month ledger: coverage today and a past month move, the rollups stay exact, a re-import as GBK CSV adds nothing', async () => {
    const todayBefore = await gridFigures(gridId);
    const pastBefore = await gridFigures(gridId, PAST_MONTH_END);
    // The past month was served from its stored snapshot.
    expect(
      (await db().query(`select 1 from public.grid_month_snapshots where month_end = $1 and grid_id = $2`, [PAST_MONTH_END, gridId]))
        .length,
    ).toBe(1);

    // With a row no household fits: blocked, unless the keeper leaves such rows out.
    const rows = [...goodRows(), [day('2026-10-04'), '测某', ids.nobody, '', '', '', member.name, '入户', '是', ''] as Cells];
    const blocked = await call('community_staff', '/api/imports?kind=visits', form(await xlsx(rows), '走访台账.xlsx'));
    expect(blocked.body.counts).toMatchObject({ unmatched: 1, errors: 1 });
    const dry = await call(
      'community_staff',
      '/api/imports?kind=visits',
      form(await xlsx(rows), '走访台账.xlsx', { skipUnmatched: 'true' }),
    );
    expect(dry.status, JSON.stringify(dry.body)).toBe(201);
    expect(dry.body.counts).toMatchObject({
      rows: 37,
      matched: 36,
      matchedById: 12,
      matchedByRoom: 12,
      matchedByName: 12,
      ambiguous: 0,
      unmatched: 1,
      errors: 0,
      duplicates: 0,
      alreadyImported: 0,
      unattributed: 24,
      toInsert: 36,
      skipped: 1,
    });
    expect(dry.body.problemCounts).toEqual({ [IMPORT_PROBLEM.UNMATCHED_HOUSEHOLD]: 1, [IMPORT_PROBLEM.UNMATCHED_VISITOR]: 12 });
    expect(dry.body.problems.find((p: any) => p.code === IMPORT_PROBLEM.UNMATCHED_HOUSEHOLD)).toMatchObject({
      row: 38,
      severity: 'warning',
    });
    expect(
      problemText(
        'zh-CN',
        dry.body.problems.find((p: any) => p.code === IMPORT_PROBLEM.UNMATCHED_VISITOR),
      ),
    ).toBe('第 3 行“走访人”列：“王某某”不是该户所在网格或社区的工作人员（或有重名），这次走访按台账所写的姓名导入，不归属任何人员。');
    // The grid's coverage after the commit, computed in the dry run and rolled back.
    expect(dry.body.coverage).toEqual([
      expect.objectContaining({
        gridId,
        visits: 36,
        households: todayBefore.households,
        coveredBefore: todayBefore.coveredHouseholds,
        coveredAfter: todayBefore.coveredHouseholds + 3,
      }),
    ]);
    expect((await gridFigures(gridId)).coveredHouseholds).toBe(todayBefore.coveredHouseholds);

    const done = await call('community_staff', `/api/imports/${dry.body.id}/commit`);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.committed).toEqual({ inserted: 36, alreadyImported: 0 });
    // The committed batch keeps counts, coverage and problem codes, not the ledger's words.
    const kept = await call('community_staff', `/api/imports/${dry.body.id}`);
    expect(kept.body).toMatchObject({
      committed: true,
      personalDataRemoved: true,
      committedCounts: { inserted: 36 },
      coverage: dry.body.coverage,
    });
    expect(kept.body.problems[0]).toEqual({ code: IMPORT_PROBLEM.UNMATCHED_VISITOR, severity: 'warning', row: 3 });
    expect((await gridFigures(gridId)).coveredHouseholds).toBe(todayBefore.coveredHouseholds + 3);
    expect((await gridFigures(gridId, PAST_MONTH_END)).coveredHouseholds).toBe(pastBefore.coveredHouseholds + 3);
    expect(await db().query(`select * from minqing.stats_drift()`)).toEqual([]);

    // Written as the ledger says: attributed where the name is the grid's, marked with the batch.
    const written = await db().query<{
      head: string;
      visitor: number | null;
      label: string | null;
      method: string;
      result: string;
      at: string;
      batch: string;
    }>(
      `select h.head_name as head, v.visitor_id as visitor, v.visitor_label as label, v.method::text as method, v.result::text as result,
              to_char(v.visited_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') as at, v.import_batch_id::text as batch
       from public.visits v join public.households h on h.id = v.household_id
       where v.import_key is not null and public.china_date(v.visited_at) = $1 order by h.head_name`,
      [MONTHS[1]],
    );
    expect(written).toEqual([
      { head: '测丙', visitor: null, label: null, method: 'in_person', result: 'met', at: `${MONTHS[1]} 12:00`, batch: dry.body.id },
      { head: '测乙', visitor: null, label: '王某某', method: 'video', result: 'met', at: `${MONTHS[1]} 12:00`, batch: dry.body.id },
      {
        head: '测甲',
        visitor: member.id,
        label: member.name,
        method: 'phone',
        result: 'met',
        at: `${MONTHS[1]} 12:00`,
        batch: dry.body.id,
      },
    ]);

    // The same ledger again, saved as a GBK CSV: every row already there, nothing added.
    const again = await call('community_staff', '/api/imports?kind=visits', form(gbkCsv(goodRows()), '走访台账.csv'));
    expect(again.body).toMatchObject({ format: 'csv', encoding: 'gbk' });
    expect(again.body.counts).toMatchObject({ matched: 36, alreadyImported: 36, toInsert: 0, errors: 0 });
    const redone = await call('community_staff', `/api/imports/${again.body.id}/commit`);
    expect(redone.body.committed).toEqual({ inserted: 0, alreadyImported: 0 });
    const [{ n }] = (await db().query<{ n: number }>(`select count(*)::int as n from public.visits where import_key is not null`)) as [
      { n: number },
    ];
    expect(n).toBe(36);
  });

  it('lets grid leaders and community staff import visits, not grid members or the street leader', async () => {
    for (const who of ['grid_member', 'street_leader'] as const) {
      const { status, body } = await call(who, '/api/imports?kind=visits', form(await xlsx(goodRows().slice(0, 1)), 'x.xlsx'));
      expect(status, who).toBe(403);
      expect(body.error.code).toBe('forbidden');
    }
  });

  describe('household ledgers', () => {
    it('find the building by its imported code (楼栋编号) as well as by address', async () => {
      const file = new TextEncoder().encode(`户主姓名,楼栋编号,单元,房号\n测庚,${CODE},6,601\n`);
      const { status, body } = await call('community_staff', '/api/imports?kind=households', form(file, '住户.csv'));
      expect(status, JSON.stringify(body)).toBe(201);
      expect(body.mapping.building).toBe('楼栋编号');
      expect(body.problems).toEqual([]);
      expect(body.counts).toMatchObject({ matched: 1, toInsert: 1 });
      const done = await call('community_staff', `/api/imports/${body.id}/commit`);
      expect(done.body.committed).toEqual({ inserted: 1, updated: 0 });
      const [h] = await db().query<{ building_id: number }>(`select building_id from public.households where head_name = '测庚'`);
      expect(h!.building_id).toBe(b1.id);
    });
  });
});
