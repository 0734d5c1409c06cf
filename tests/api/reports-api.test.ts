/**
 * Meeting mode through the API: the month report equals the map's figures for the month's last
 * day, refuses months it cannot report, carries no personal field for the presenter; meetings and
 * their decisions, which the next month's report opens with.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { gridLabelLines } from '../../geo/report/grid-label';
import { type DemoRole, ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';
import { describeWith, popplerPrerequisite } from '../support/prerequisites';

const MONTH = '2026-10';
const MONTH_END = '2026-10-31';

describeEachDatabase('reports API', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const call = async (who: DemoRole, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(path, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const type = res.headers.get('content-type') ?? '';
    return { status: res.status, body: (type.includes('json') ? await res.json() : await res.arrayBuffer()) as any, type };
  };

  let report: any;
  beforeAll(async () => {
    const res = await call('street_leader', 'GET', `/api/reports/monthly?month=${MONTH}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    report = res.body;
    // The first report computes 12 months on the embedded database (docs/metrics.md "Month report").
  }, 300_000);

  it("reports the demo's last complete month with the map's figures for its last day, and street totals as their sums", async () => {
    const stats = await call('street_leader', 'GET', `/api/stats/grids?asOf=${MONTH_END}`);
    expect(stats.status).toBe(200);
    expect(report.asOf).toBe(MONTH_END);
    expect(report.complete).toBe(true);
    const byId = new Map(stats.body.grids.map((g: any) => [g.id, g]));
    expect(report.grids.length).toBe(stats.body.grids.length);
    for (const g of report.grids) {
      const s = byId.get(g.id) as any;
      for (const key of Object.keys(s)) expect(g[key], `grid ${g.id} ${key}`).toEqual(s[key]);
    }
    const sum = (k: string) => stats.body.grids.reduce((t: number, g: any) => t + g[k], 0);
    for (const k of ['households', 'coveredHouseholds', 'overdueHouseholds', 'atRiskOverdue', 'overdueIssues', 'openIssues']) {
      expect(report.totals[k], k).toBe(sum(k));
    }
    expect(report.kpis.coverage.value).toBeCloseTo(sum('coveredHouseholds') / sum('households'), 12);
    expect(report.kpis.overdueHouseholds.value).toBe(sum('overdueHouseholds'));
    expect(report.kpis.atRiskOverdue.value).toBe(sum('atRiskOverdue'));
    expect(report.kpis.overdueIssues.value).toBe(sum('overdueIssues'));
  });

  it('gives each KPI its change from the previous month, equal to the previous month-end figures', async () => {
    const prev = await call('street_leader', 'GET', '/api/stats/grids?asOf=2026-09-30');
    const households = prev.body.grids.reduce((t: number, g: any) => t + g.households, 0);
    const covered = prev.body.grids.reduce((t: number, g: any) => t + g.coveredHouseholds, 0);
    expect(report.previousMonth).toBe('2026-09');
    expect(report.kpis.coverage.previous).toBeCloseTo(covered / households, 12);
    expect(report.kpis.coverage.change).toBeCloseTo(report.kpis.coverage.value - covered / households, 12);
    // The month's issue rates are the indicators API's for the same period.
    const ind = await call('street_leader', 'GET', `/api/issues/indicators?from=2026-10-01&to=${MONTH_END}`);
    expect(ind.status).toBe(200);
    expect(report.kpis.issuesRegistered.value).toBe(ind.body.counts.registered);
    expect(report.kpis.closureRate.value).toBeCloseTo(ind.body.rates.closure, 3);
    expect(report.kpis.satisfactionRate.value).toBeCloseTo(ind.body.rates.satisfaction, 3);
    // Visits that fell due are some, and done on time never exceeds done.
    expect(report.kpis.visitsDue.value).toBeGreaterThan(0);
    for (const g of report.grids) expect(g.visits.onTime).toBeLessThanOrEqual(g.visits.done);
    expect(report.kpis.onTimeVisitRate.value).toBeGreaterThan(0);
    expect(report.kpis.patrolCompliance.value).toBeGreaterThanOrEqual(0);
    expect(report.grids.every((g: any) => g.patrol.daysJudged === 31)).toBe(true);
  });

  it("counts each grid's days that met the patrol rule as the patrols add up, day by day in China time", async () => {
    // From the rows, here: a day meets the rule when the grid's finished patrols that started on
    // it (China date) add up to the policy's patrolMinMinutes of that day.
    const patrols = await db().query<{ grid: number; day: string; seconds: number }>(
      `select grid_id as grid, to_char((started_at at time zone 'UTC') + interval '8 hours', 'YYYY-MM-DD') as day,
              extract(epoch from ended_at - started_at)::float8 as seconds
       from public.patrols where ended_at is not null`,
    );
    const walked = new Map<string, number>();
    for (const p of patrols) walked.set(`${p.grid} ${p.day}`, (walked.get(`${p.grid} ${p.day}`) ?? 0) + p.seconds);
    const rules = await db().query<{ grid: number; day: string; minutes: number }>(
      `select g.id as grid, d::date::text as day, (public.policy_settings_at(g.community_id, d::date) ->> 'patrolMinMinutes')::int as minutes
       from public.grids g cross join generate_series($1::date, $2::date, interval '1 day') d`,
      [`${MONTH}-01`, MONTH_END],
    );
    const met = new Map<number, number>();
    for (const r of rules) if ((walked.get(`${r.grid} ${r.day}`) ?? 0) >= r.minutes * 60) met.set(r.grid, (met.get(r.grid) ?? 0) + 1);
    expect(report.grids.map((g: any) => [g.id, g.patrol.daysMet])).toEqual(report.grids.map((g: any) => [g.id, met.get(g.id) ?? 0]));
    expect([...met.values()].some((n) => n > 0 && n < 31)).toBe(true);
  });

  it('ranks grids by attention, counts issues by category and tier, and trends 12 months ending with this one', async () => {
    const att = report.grids.map((g: any) => g.attention);
    expect(att).toEqual([...att].sort((a: number, b: number) => b - a));
    expect(report.grids[0].rank).toBe(1);
    const byCat = report.issues.byCategory.reduce((t: number, c: any) => t + c.registered, 0);
    const byTier = report.issues.byTier.reduce((t: number, c: any) => t + c.registered, 0);
    expect(byCat).toBe(report.kpis.issuesRegistered.value);
    expect(byTier).toBe(report.kpis.issuesRegistered.value);
    expect(report.trend.map((t: any) => t.month)).toEqual([
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
      '2026-03',
      '2026-04',
      '2026-05',
      '2026-06',
      '2026-07',
      '2026-08',
      '2026-09',
      '2026-10',
    ]);
    expect(report.trend.at(-1).coverage).toBe(report.kpis.coverage.value);
    expect(report.trend.at(-2).coverage).toBe(report.kpis.coverage.previous);
    for (const c of [...report.issues.escalated, ...report.issues.longOpen]) {
      expect(c.regNo).toMatch(/^\d{9}$/);
      expect(c.tier === 'escalated' || c.daysOpen >= 30).toBe(true);
    }
  });

  it('narrows to one community: only its grids, and its totals are their sums', async () => {
    const [{ id }] = (await db().query<{ id: number }>('select id from public.communities order by id limit 1')) as [{ id: number }];
    const res = await call('street_leader', 'GET', `/api/reports/monthly?month=${MONTH}&communityId=${id}`);
    expect(res.status).toBe(200);
    const mine = report.grids.filter((g: any) => g.communityId === id);
    expect(res.body.grids.map((g: any) => g.id).sort()).toEqual(mine.map((g: any) => g.id).sort());
    expect(res.body.totals.households).toBe(mine.reduce((t: number, g: any) => t + g.households, 0));
    expect(res.body.scope.communityId).toBe(id);
    expect((await call('street_leader', 'GET', `/api/reports/monthly?month=${MONTH}&communityId=999999`)).status).toBe(404);
  });

  it.each([
    ['2099-01', /in the future; the latest month with data is 2026-11/],
    ['2026-13', /month must be a month as YYYY-MM/],
    ['October', /month must be a month as YYYY-MM/],
  ])('refuses month=%s with a 422 that says why', async (month, message) => {
    const { status, body } = await call('street_leader', 'GET', `/api/reports/monthly?month=${month}`);
    expect(status).toBe(422);
    expect(body.error.code).toBe('invalid_month');
    expect(body.error.message).toMatch(message);
  });

  it('gives the presenter the same figures and no personal field', async () => {
    const { status, body } = await call('presenter', 'GET', `/api/reports/monthly?month=${MONTH}`, undefined, { 'x-presentation': '1' });
    expect(status).toBe(200);
    expect(body.grids.map((g: any) => g.households)).toEqual(report.grids.map((g: any) => g.households));
    const text = JSON.stringify(body);
    const people = await db().query<{ name: string | null; phone: string | null }>(
      'select head_name as name, phone from public.households where head_name is not null limit 2000',
    );
    for (const p of people) {
      if (p.name && p.name.length >= 2) expect(text.includes(`"${p.name}"`), p.name).toBe(false);
      if (p.phone) expect(text.includes(p.phone), p.phone).toBe(false);
    }
    expect(text).not.toMatch(/reporter|description|head_name|phone/i);
  });

  describe('meetings and decisions', () => {
    let own: { community: number; grid: number; staff: number; otherGrid: number };
    beforeAll(async () => {
      const [me] = await db().query<{ id: number; community_id: number }>('select id, community_id from public.staff where email = $1', [
        ROLE_ACCOUNTS.community_staff,
      ]);
      const [g] = await db().query<{ id: number }>('select id from public.grids where community_id = $1 order by id limit 1', [
        me!.community_id,
      ]);
      const [o] = await db().query<{ id: number }>('select id from public.grids where community_id <> $1 order by id limit 1', [
        me!.community_id,
      ]);
      own = { community: me!.community_id, grid: g!.id, staff: me!.id, otherGrid: o!.id };
    });
    const meeting = (over: Record<string, unknown> = {}) => ({
      communityId: own.community,
      month: '2026-09',
      heldOn: '2026-10-03',
      type: 'analysis',
      attendeeStaffIds: [own.staff],
      attendeeNames: ['王建国'],
      ...over,
    });

    it("records a meeting and its decisions; the next month's report opens with them and whether each was done", async () => {
      const m = await call('community_staff', 'POST', '/api/meetings', meeting());
      expect(m.status, JSON.stringify(m.body)).toBe(201);
      const a = await call('community_staff', 'POST', `/api/meetings/${m.body.id}/actions`, {
        gridId: own.grid,
        decision: '补访逾期重点户',
        ownerId: own.staff,
        dueOn: '2026-10-20',
      });
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      const b = await call('community_staff', 'POST', `/api/meetings/${m.body.id}/actions`, {
        gridId: own.grid,
        decision: '修复楼道灯',
        ownerId: own.staff,
        dueOn: '2026-10-25',
      });
      const done = await call('community_staff', 'PATCH', `/api/actions/${a.body.id}`, { done: true, doneOn: '2026-10-18' });
      expect(done.status, JSON.stringify(done.body)).toBe(200);
      expect(done.body).toMatchObject({ done: true, doneOn: '2026-10-18' });

      const next = await call('presenter', 'GET', `/api/reports/monthly?month=${MONTH}`, undefined, { 'x-presentation': '1' });
      const byId = new Map(next.body.previousActions.map((x: any) => [x.id, x]));
      expect(byId.get(a.body.id)).toMatchObject({ decision: '补访逾期重点户', done: true, doneOn: '2026-10-18', gridId: own.grid });
      expect(byId.get(b.body.id)).toMatchObject({ done: false, doneOn: null });

      // The presenter reads the meeting, with the free-text attendee names masked.
      const list = await call('presenter', 'GET', `/api/meetings?month=2026-09`, undefined, { 'x-presentation': '1' });
      expect(list.status).toBe(200);
      const mine = list.body.meetings.find((x: any) => x.id === m.body.id);
      expect(mine.attendeeNames).toEqual(['王*国']);
      expect(mine.actions.map((x: any) => x.id).sort()).toEqual([a.body.id, b.body.id].sort());
    });

    it("refuses writes by anyone but the community's staff, and decisions for another community's grid", async () => {
      expect((await call('grid_member', 'POST', '/api/meetings', meeting())).status).toBe(403);
      expect((await call('street_leader', 'POST', '/api/meetings', meeting())).status).toBe(403);
      const m = await call('community_staff', 'POST', '/api/meetings', meeting());
      const other = await call('community_staff', 'POST', `/api/meetings/${m.body.id}/actions`, {
        gridId: own.otherGrid,
        decision: '越界',
        ownerId: own.staff,
        dueOn: '2026-10-20',
      });
      expect(other.status).toBe(422);
      expect(other.body.error.code).toBe('grid_outside_community');
      const a = await call('community_staff', 'POST', `/api/meetings/${m.body.id}/actions`, {
        gridId: own.grid,
        decision: '补访',
        ownerId: own.staff,
        dueOn: '2026-10-20',
      });
      const byLeader = await call('street_leader', 'PATCH', `/api/actions/${a.body.id}`, { done: true });
      expect(byLeader.status).toBe(403);
      const bad = await call('community_staff', 'POST', '/api/meetings', meeting({ type: 'party', month: '2026-9' }));
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/type must be one of analysis, consultation/);
      expect(bad.body.error.message).toMatch(/month/);
    });
  });

  describeWith(popplerPrerequisite(), 'exports', () => {
    it('exports an A4-landscape PDF of the slides with Chinese text, page numbers and the map, for the presenter', async () => {
      const res = await call('presenter', 'GET', `/api/reports/monthly.pdf?month=${MONTH}`, undefined, { 'x-presentation': '1' });
      expect(res.status).toBe(200);
      expect(res.type).toBe('application/pdf');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minqing-pdf-'));
      try {
        const file = path.join(dir, 'report.pdf');
        fs.writeFileSync(file, Buffer.from(res.body as ArrayBuffer));
        execFileSync('pdftoppm', ['-r', '30', '-png', file, path.join(dir, 'page')]);
        const pages = fs.readdirSync(dir).filter((f) => f.endsWith('.png'));
        expect(pages.length).toBe(10);
        const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
        expect(text).toContain('民情分析会');
        expect(text).toContain('2026年10月 月度民情分析');
        expect(text).toContain('第 1 页 / 共 10 页');
        expect(text).toContain('第 10 页 / 共 10 页');
        expect(text).toMatch(/生成于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
        // The map page names every grid of the street, drawn from their shapes.
        const mapPage = execFileSync('pdftotext', ['-f', '4', '-l', '4', file, '-'], { encoding: 'utf8' });
        // Each name in its printed lines (community, then grid), one above the other.
        for (const g of report.grids) expect(mapPage).toContain(gridLabelLines(g.name).join('\n'));
        // Fonts are embedded subsets: no tofu, no dependence on the viewer's fonts.
        const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' });
        expect(fonts).toMatch(/NotoSansSC/);
        expect(
          fonts
            .split('\n')
            .slice(2)
            .filter((l) => l.trim())
            .every((l) => /\byes\s+yes\b/.test(l)),
        ).toBe(true);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('exports the tables as XLSX: key figures, grid ranking and matters', async () => {
      const res = await call('street_leader', 'GET', `/api/reports/monthly.xlsx?month=${MONTH}`);
      expect(res.status).toBe(200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(res.body as ArrayBuffer);
      expect(wb.worksheets.map((w) => w.name)).toEqual(['主要指标', '网格排名', '民情事项']);
      const ranking = wb.getWorksheet('网格排名')!;
      expect(ranking.getRow(3).getCell(2).value).toBe(report.grids[0].name);
      expect(ranking.rowCount).toBe(2 + report.grids.length);
      expect(wb.getWorksheet('主要指标')!.getRow(3).getCell(2).value).toBeCloseTo(report.kpis.coverage.value, 12);
    });
  });
});
