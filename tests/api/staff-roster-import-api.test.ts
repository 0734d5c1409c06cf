/**
 * The staff roster import (花名册, issue 18; api/imports/staff-import.ts): an XLSX roster with each
 * kind of bad row, located by row and column and committing nothing; a GBK CSV as Excel saves it
 * that creates accounts which sign in and must change their password, with the one-time
 * passwords in the commit's answer only; a re-import that adds nothing; the role ceiling.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { IMPORT_PROBLEM } from '../../geo/import/import-problems';
import { problemText } from '../../geo/import/problem-text';
import { type DemoRole, ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

const FIXTURES = fileURLToPath(new URL('../fixtures/imports/', import.meta.url));
const HEADERS = ['姓名', '手机', '邮箱', '角色', '社区', '网格'];

async function roster(rows: unknown[][], headers = HEADERS): Promise<Uint8Array> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('花名册');
  ws.addRow(headers);
  for (const r of rows) ws.addRow(r);
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

function form(file: Uint8Array, name: string) {
  const fd = new FormData();
  fd.set('file', new File([new Uint8Array(file)], name));
  return fd;
}

describeEachDatabase('staff roster import', (_mode, db) => {
  let shared: ReturnType<typeof createApp> | undefined;
  const app = () => (shared ??= createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }));
  const request = async (who: DemoRole, path: string, body?: FormData) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(path, {
      method: body === undefined && !path.endsWith('/commit') ? 'GET' : 'POST',
      body,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const staffCount = async () => ((await db().query<{ n: number }>('select count(*)::int as n from public.staff')) as [{ n: number }])[0].n;

  beforeAll(() => {
    app();
  });

  it('locates every bad row of a roster by row and column, and keeps nothing to commit', async () => {
    const before = await staffCount();
    const xlsx = await roster([
      ['陈一', '13900000001', 'chen.yi@roster.example', '网格员', '洗马池社区', '360102001001001'], // 2: fine
      ['陈二', '', 'chen.er@roster.example', '保洁员', '洗马池社区', ''], // 3: unknown role
      ['陈三', '', 'chen.san@roster.example', '网格员', '不存在社区', ''], // 4: unknown community
      ['陈四', '', 'chen.si@roster.example', '网格员', '洗马池社区', '999'], // 5: unknown grid
      ['陈五', '', 'chen.wu@roster.example', '网格员', '洗马池社区', '360102001002001'], // 6: grid of 贤士社区
      ['陈六', '', 'member01@demo.local', '网格员', '洗马池社区', ''], // 7: email of another person
      ['陈七', '', 'CHEN.YI@roster.example', '网格长', '洗马池社区', ''], // 8: email of row 2
      ['', '', 'chen.ba@roster.example', '网格员', '洗马池社区', ''], // 9: no name
      ['陈九', '', '', '网格员', '洗马池社区', ''], // 10: no email
      ['陈十', '', 'chen.shi@roster.example', '街道领导', '', ''], // 11: above the importer's role
      ['陈十一', '', 'chen.11@roster.example', '网格员', '贤士社区', ''], // 12: another community
      ['陈十二', '12345', 'chen.12@roster.example', '网格员', '洗马池社区', ''], // 13: phone
      ['陈十三', '', 'not-an-email', '网格员', '洗马池社区', ''], // 14: email shape
      ['陈十四', '', 'chen.14@roster.example', '社区工作人员', '洗马池社区', '360102001001001'], // 15: grids for community staff
    ]);
    const { status, body } = await request('community_staff', '/api/imports?kind=staff', form(xlsx, '花名册.xlsx'));
    expect(status).toBe(201);
    expect(body).toMatchObject({
      kind: 'staff',
      format: 'xlsx',
      mapping: { name: '姓名', phone: '手机', email: '邮箱', role: '角色', community: '社区', grids: '网格' },
    });
    const at = (row: number) =>
      body.problems.filter((p: any) => p.row === row).map((p: any) => [p.code, p.details?.column ?? p.details?.field]);
    expect(at(2)).toEqual([]);
    expect(at(3)).toEqual([[IMPORT_PROBLEM.UNKNOWN_ROLE, '角色']]);
    expect(at(4)).toEqual([[IMPORT_PROBLEM.UNKNOWN_COMMUNITY, '社区']]);
    expect(at(5)).toEqual([[IMPORT_PROBLEM.UNKNOWN_GRID, '网格']]);
    expect(at(6)).toEqual([[IMPORT_PROBLEM.GRID_NOT_IN_COMMUNITY, '网格']]);
    expect(at(7)).toEqual([[IMPORT_PROBLEM.EMAIL_TAKEN, '邮箱']]);
    expect(at(8)).toEqual([[IMPORT_PROBLEM.DUPLICATE_EMAIL, '邮箱']]);
    expect(at(9)).toEqual([[IMPORT_PROBLEM.MISSING_VALUE, '姓名']]);
    expect(at(10)).toEqual([[IMPORT_PROBLEM.MISSING_VALUE, '邮箱']]);
    expect(at(11)).toEqual([[IMPORT_PROBLEM.ROLE_NOT_ALLOWED, '角色']]);
    expect(at(12)).toEqual([[IMPORT_PROBLEM.ROLE_NOT_ALLOWED, '社区']]);
    expect(at(13)).toEqual([[IMPORT_PROBLEM.INVALID_PHONE, '手机']]);
    expect(at(14)).toEqual([[IMPORT_PROBLEM.INVALID_EMAIL, '邮箱']]);
    expect(at(15)).toEqual([[IMPORT_PROBLEM.GRIDS_FOR_NON_GRID_ROLE, '网格']]);
    expect(body.problems.every((p: any) => p.severity === 'error')).toBe(true);
    // Said in the user's language from code and details, with nothing left unfilled.
    const text = (row: number) =>
      problemText(
        'zh-CN',
        body.problems.find((p: any) => p.row === row),
      );
    expect(text(6)).toBe('第 6 行：网格 贤士社区第一网格（360102001002001） 属于贤士社区，不属于洗马池社区。');
    expect(text(11)).toBe('第 11 行：您不能导入“街道领导”，您可管理的角色为 社区工作者、网格长、网格员。');
    expect(text(12)).toBe('第 12 行：贤士社区不在您管理的范围内，请只导入本社区的人员。');
    expect(
      problemText(
        'en',
        body.problems.find((p: any) => p.row === 8),
      ),
    ).toBe('Row 8: the email chen.yi@roster.example is also on row 2; each person needs an email of their own.');
    // All or nothing: with errors, no row is kept to commit and nothing was written.
    expect(body.counts).toMatchObject({ rows: 14, valid: 1, toInsert: 0, skipped: 14 });
    const [batch] = await db().query<{ rows: unknown[] }>('select rows from public.import_batches where id = $1', [body.id]);
    expect(batch!.rows).toEqual([]);
    const commit = await request('community_staff', `/api/imports/${body.id}/commit`);
    expect(commit.status).toBe(422);
    expect(commit.body.error.code).toBe('import_rejected');
    expect(await staffCount()).toBe(before);
  });

  it('says which required column a roster lacks', async () => {
    const { body } = await request(
      'community_staff',
      '/api/imports?kind=staff',
      form(await roster([['陈一', '13900000001']], ['姓名', '手机']), 'x.xlsx'),
    );
    expect(body.problems).toEqual([
      expect.objectContaining({
        code: IMPORT_PROBLEM.MISSING_COLUMN,
        row: 1,
        details: expect.objectContaining({ fields: ['staff_email', 'staff_role'] }),
      }),
    ]);
    expect(problemText('zh-CN', body.problems[0])).toMatch(/^表头（第 1 行）缺少以下列：邮箱、角色。/);
  });

  it('creates the accounts of a GBK roster, whose one-time passwords sign in once, must be changed, and are not kept', async () => {
    const csv = new Uint8Array(fs.readFileSync(`${FIXTURES}roster-gbk.csv`));
    const dry = await request('community_staff', '/api/imports?kind=staff', form(csv, '花名册.csv'));
    expect(dry.status).toBe(201);
    expect(dry.body).toMatchObject({
      format: 'csv',
      encoding: 'gbk',
      problems: [],
      counts: { rows: 2, valid: 2, toInsert: 2, alreadyPresent: 0 },
    });
    const done = await request('community_staff', `/api/imports/${dry.body.id}/commit`);
    expect(done.status).toBe(200);
    expect(done.body.committed).toEqual({ inserted: 2, alreadyPresent: 0 });
    const accounts = done.body.accounts as { row: number; staffId: number; email: string; initialPassword: string }[];
    expect(accounts.map((a) => [a.row, a.email])).toEqual([
      [2, 'chen.xiaomei@roster.example'],
      [3, 'zhou.jianguo@roster.example'],
    ]);
    const people = await db().query<{ email: string; name: string; phone: string; role: string; community_id: number; grids: string[] }>(
      `select s.email, s.name, s.phone, s.role::text, s.community_id,
              array(select g.code from public.staff_grids sg join public.grids g on g.id = sg.grid_id where sg.staff_id = s.id order by g.code) as grids
       from public.staff s where s.email like '%@roster.example' order by s.id`,
    );
    expect(people).toEqual([
      {
        email: 'chen.xiaomei@roster.example',
        name: '陈晓梅',
        phone: '13912345678',
        role: 'grid_member',
        community_id: 1,
        grids: ['360102001001001', '360102001001002'],
      },
      {
        email: 'zhou.jianguo@roster.example',
        name: '周建国',
        phone: '13812345679',
        role: 'grid_leader',
        community_id: 1,
        grids: ['360102001001003'],
      },
    ]);
    // Each signs in with their one-time password, and must change it before anything else.
    for (const a of accounts) {
      const login = await app().request('/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.0.${a.row}` },
        body: JSON.stringify({ email: a.email, password: a.initialPassword }),
      });
      expect(login.status, a.email).toBe(200);
      const { access_token } = (await login.json()) as { access_token: string };
      const me = await app().request('/api/auth/me', { headers: { authorization: `Bearer ${access_token}` } });
      expect(((await me.json()) as { mustChangePassword: boolean }).mustChangePassword).toBe(true);
      const blocked = await app().request('/api/grids', { headers: { authorization: `Bearer ${access_token}` } });
      expect(blocked.status).toBe(403);
    }
    // The passwords are in that answer only: not in the batch, its report, its counts, nor the audit log.
    const stored = await db().query<{ t: string }>(
      `select rows::text || report::text || committed::text as t from public.import_batches where id = $1`,
      [dry.body.id],
    );
    const audit = await db().query<{ t: string }>(`select coalesce(new_values::text, '') as t from public.audit_log`);
    for (const a of accounts) {
      expect(stored[0]!.t).not.toContain(a.initialPassword);
      expect(audit.some((r) => r.t.includes(a.initialPassword))).toBe(false);
    }
    const again = await request('community_staff', `/api/imports/${dry.body.id}`);
    expect(again.body).toMatchObject({ committed: true, personalDataRemoved: true, committedCounts: { inserted: 2 } });
    expect(JSON.stringify(again.body)).not.toContain('roster.example');
    // Every account is in the audit log: the staff rows, their grids and their sign-ins.
    const ids = accounts.map((a) => a.staffId);
    const logged = await db().query<{ table_name: string; reason: string | null }>(
      `select distinct table_name, reason from public.audit_log where row_ids && $1::int[] order by 1, 2`,
      [ids],
    );
    expect(logged).toEqual([
      { table_name: 'local_accounts', reason: 'account_created' },
      { table_name: 'staff', reason: null },
    ]);
    const [{ n: assigned }] = (await db().query<{ n: number }>(
      `select count(*)::int as n from public.audit_log where table_name = 'staff_grids' and action = 'insert' and new_values ->> 'staff_id' = any ($1::text[])`,
      [ids.map(String)],
    )) as [{ n: number }];
    expect(assigned).toBe(3);
  });

  it('adds nothing when the same roster comes in again: its people are reported as already there', async () => {
    const before = await staffCount();
    const csv = new Uint8Array(fs.readFileSync(`${FIXTURES}roster-gbk.csv`));
    const dry = await request('community_staff', '/api/imports?kind=staff', form(csv, '花名册.csv'));
    expect(dry.body.counts).toMatchObject({ rows: 2, toInsert: 0, alreadyPresent: 2 });
    expect(dry.body.problems.map((p: any) => [p.row, p.code, p.severity])).toEqual([
      [2, IMPORT_PROBLEM.ALREADY_PRESENT, 'warning'],
      [3, IMPORT_PROBLEM.ALREADY_PRESENT, 'warning'],
    ]);
    const done = await request('community_staff', `/api/imports/${dry.body.id}/commit`);
    expect(done.body).toMatchObject({ committed: { inserted: 0, alreadyPresent: 2 }, accounts: [] });
    expect(await staffCount()).toBe(before);
  });

  it('lets the street leader import across communities, placing people by their grids, and refuses grid teams without one', async () => {
    const xlsx = await roster([
      ['吴一', '', 'wu.yi@roster.example', 'grid_member', '', '贤士社区第二网格'], // community from the grid
      ['吴二', '', 'wu.er@roster.example', '网格员', '', ''], // no community at all
      ['吴三', '', 'wu.san@roster.example', '会议投影', '', ''], // a street role: no community
    ]);
    const { body } = await request('street_leader', '/api/imports?kind=staff', form(xlsx, 'r.xlsx'));
    expect(body.problems.map((p: any) => [p.row, p.code, p.details.column])).toEqual([[3, IMPORT_PROBLEM.COMMUNITY_REQUIRED, '社区']]);
    expect(problemText('zh-CN', body.problems[0])).toBe('第 3 行：“网格员”必须属于一个社区，请在“社区”列填写社区名称或代码。');
  });

  it('refuses a roster to whoever manages no one', async () => {
    const xlsx = await roster([['吴一', '', 'wu.yi@roster.example', '网格员', '洗马池社区', '']]);
    for (const who of ['grid_leader', 'grid_member', 'presenter'] as const) {
      const res = await request(who, '/api/imports?kind=staff', form(xlsx, 'r.xlsx'));
      expect(res.status, who).toBe(403);
    }
  });
});
