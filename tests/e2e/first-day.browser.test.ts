/**
 * A real street's first day (issue 18), in headless Chromium on the product started empty
 * (MINQING_DEMO=off), one step after another as the street office would take them: the setup
 * page; the street leader imports communities and grids (real OpenStreetMap geometry: Monaco's
 * quartiers, tests/fixtures/first-day/) and the staff roster; a community's staff member, at
 * first sign-in made to change the one-time password, imports the buildings, the household
 * ledger and twelve months of visits; a new grid member changes the password and logs a visit;
 * the leader's map colours the grids by the imported history; the leader disables the member,
 * whose open page is signed out on its next request.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Feature, FeatureCollection } from 'geojson';
import type { Page } from 'playwright-core';
import { expect, it, onTestFailed } from 'vitest';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { type BrowserTest, useBrowserSuite } from './driver';

const FIXTURES = fileURLToPath(new URL('../fixtures/first-day/', import.meta.url));
const read = (f: string) => fs.readFileSync(FIXTURES + f);
const LEADER = { name: '王建国', email: 'wang@binjiang.example.cn', password: 'Binjiang2026river' };
const STAFF = { name: '李秀英', email: 'li@binjiang.example.cn' };
const MEMBER = { name: '张伟', email: 'zhang@binjiang.example.cn' };
const COMMUNITY = { code: '360102001001', name: '西城社区' };
const GRIDS = ['360102001001001', '360102001001002', '360102001001003'];

/** The community's buildings (fixture), by grid code. */
const buildings = (JSON.parse(read('buildings.geojson').toString()) as FeatureCollection).features.filter((f: Feature) =>
  String(f.properties!.code).startsWith(COMMUNITY.code),
);
/** Two households a building, 10 buildings a grid: "姓名 楼栋 单元 房号 类别 入住日期". */
const households = GRIDS.flatMap((grid, g) =>
  buildings
    .filter((b) => String(b.properties!.code).startsWith(grid))
    .slice(0, 10)
    .flatMap((b, i) =>
      ['101', '201'].map((room, r) => ({
        head: `住户${g}${i}${r}`,
        building: String(b.properties!.code),
        unit: '1',
        room,
        category: r === 0 ? '一般家庭户' : '老年人',
      })),
    ),
);
/**
 * Twelve months of visits, on the 15th: the first two grids' households every month up to last
 * month, the third grid's only until April (its worker left, say), so its coverage today is gone.
 */
const MONTHS = Array.from({ length: 12 }, (_, i) => `${i === 0 ? 2025 : 2026}-${String(i === 0 ? 12 : i).padStart(2, '0')}-15`);
const visitRows = households.flatMap((h) =>
  MONTHS.filter((m) => !h.building.startsWith(GRIDS[2]!) || m <= '2026-04-15').map((m) => [
    m,
    h.head,
    h.building,
    h.unit,
    h.room,
    '李秀英',
    '入户',
    '是',
    '身体健康，无诉求',
  ]),
);
const csv = (rows: string[][]) => Buffer.from(`\ufeff${rows.map((r) => r.join(',')).join('\r\n')}\r\n`);

describeWith(chromiumPrerequisite(), "a real street's first day, in headless Chromium", () => {
  let t: BrowserTest;
  useBrowserSuite(
    (suite) => {
      t = suite;
      // A step that fails leaves the screen it failed on.
      onTestFailed(async ({ task }) => {
        await t.d.then.screenshot(`first-day-failed-${task.name.slice(0, 24).replace(/\W+/g, '-')}`);
      });
    },
    { empty: true, env: { MINQING_DEMO: 'off' } },
  );
  const page = (): Page => t.page;
  /** The accounts a roster commit showed once, by email. */
  const passwords = new Map<string, string>();

  /** Through the wizard, opened from the header unless a checklist step or the staff screen opened it. */
  async function importFile(kind: string, name: string, buffer: Buffer) {
    const p = page();
    if (!(await p.getByTestId('import-wizard').isVisible())) await p.getByTestId('open-import').click();
    await p.getByTestId('import-wizard').waitFor();
    await p.locator(`input[name="import-kind"][value="${kind}"]`).check();
    await p.getByTestId('import-file').setInputFiles({ name, mimeType: 'application/octet-stream', buffer });
    await p.getByTestId('import-check').click();
    await p.getByTestId('import-report').waitFor({ timeout: 60_000 });
    const errors = await p.locator('[data-testid="import-problems"] tbody tr.error').count();
    expect(errors, `${kind}: errors in the dry run`).toBe(0);
    await p.getByTestId('import-commit').click();
    await p.getByTestId('import-done').waitFor({ timeout: 60_000 });
  }
  const closeWizard = async () => {
    await page().getByTestId('import-wizard').getByRole('button', { name: '关闭' }).first().click();
  };
  async function signInWithOneTimePassword(email: string, next: string) {
    const p = page();
    await p.goto(t.product.url);
    await p.locator('input[name=email]').fill(email);
    await p.locator('input[name=password]').fill(passwords.get(email)!);
    await p.getByRole('button', { name: '登录' }).click();
    const form = p.getByTestId('change-password');
    await form.waitFor();
    await form.locator('input[name=current]').fill(passwords.get(email)!);
    await form.locator('input[name=next]').fill(next);
    await form.locator('input[name=again]').fill(next);
    await form.getByRole('button', { name: '保存新密码' }).click();
    await p.waitForSelector('[data-map-ready="true"]', { timeout: 60_000 });
  }

  it('opens at the setup page, refuses a bad division code in Chinese, and signs the new street leader in', async () => {
    const p = page();
    await p.goto(t.product.url);
    const form = p.getByTestId('setup-form');
    await form.waitFor();
    await form.locator('input[name="street.name"]').fill('滨江街道');
    await form.locator('input[name="street.code"]').fill('3601020010');
    await form.locator('input[name="admin.name"]').fill(LEADER.name);
    await form.locator('input[name="admin.email"]').fill(LEADER.email);
    await form.locator('input[name="admin.password"]').fill(LEADER.password);
    await form.getByRole('button', { name: '创建街道并登录' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('不是 12 位数字');
    await form.locator('input[name="street.code"]').fill('360102001000');
    await form.getByRole('button', { name: '创建街道并登录' }).click();
    await p.waitForSelector('[data-map-ready="true"]', { timeout: 60_000 });
    const checklist = p.getByTestId('setup-checklist');
    await checklist.waitFor();
    expect(await checklist.locator('li.done').count()).toBe(0);
    await t.d.then.screenshot('first-day-1-setup-done');
  });

  it('lets the leader import the communities and the grids street-wide, and the roster with one-time passwords shown once', async () => {
    const p = page();
    await t.d.given.signedInAs(LEADER.email, LEADER.password);
    await t.d.given.theMapIsOpen();
    await p.getByTestId('setup-checklist').locator('li[data-step="communities"] button').click();
    await importFile('communities', 'communities.geojson', read('communities.geojson'));
    await closeWizard();
    await importFile('grids', 'grids.geojson', read('grids.geojson'));
    await closeWizard();
    const checklist = p.getByTestId('setup-checklist');
    await expect.poll(() => checklist.locator('li[data-step="grids"]').textContent()).toContain('已有 9');

    await checklist.locator('li[data-step="staff"] button').click();
    await p.getByTestId('staff-panel').waitFor();
    await p.getByTestId('staff-import').click();
    const roster = csv([
      ['姓名', '手机', '邮箱', '角色', '社区', '网格'],
      [STAFF.name, '13800000001', STAFF.email, '社区工作人员', COMMUNITY.name, ''],
      [MEMBER.name, '13800000002', MEMBER.email, '网格员', COMMUNITY.code, GRIDS[0]!],
    ]);
    await importFile('staff', '花名册.csv', roster);
    const rows = await p
      .getByTestId('import-accounts')
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.textContent ?? '', tr.querySelector('[data-testid="import-account-password"]')?.textContent ?? '']),
      );
    for (const who of [STAFF, MEMBER]) {
      const row = rows.find(([text]) => text!.includes(who.email));
      expect(row?.[1], who.email).toMatch(/^[A-Za-z0-9]{14}$/);
      passwords.set(who.email, row![1]!);
    }
    await t.d.then.screenshot('first-day-2-roster');
    await closeWizard();
  });

  it("lets the community's staff, after changing the one-time password, import buildings and households", async () => {
    await signInWithOneTimePassword(STAFF.email, 'Xicheng2026office');
    await importFile('buildings', 'buildings.geojson', Buffer.from(JSON.stringify({ type: 'FeatureCollection', features: buildings })));
    await closeWizard();
    const ledger = csv([
      ['户主姓名', '楼栋编号', '单元', '房号', '类别', '入住日期'],
      ...households.map((h) => [h.head, h.building, h.unit, h.room, h.category, '2020-01-01']),
    ]);
    await importFile('households', '住户台账.csv', ledger);
    await closeWizard();
    const visits = csv([['走访日期', '户主姓名', '楼栋编号', '单元', '房号', '走访人', '走访方式', '是否见面', '民情内容'], ...visitRows]);
    await importFile('visits', '走访台账.csv', visits);
    await t.d.then.screenshot('first-day-3-visit-ledger');
    await closeWizard();
  });

  it('makes the new grid member change the one-time password first, then lets them log a visit', async () => {
    await signInWithOneTimePassword(MEMBER.email, 'Grid2026river-north');
    const p = page();
    // Their own grid, from the ranking (it lists the street's grids; the member keeps one).
    await p
      .getByTestId('ranking')
      .getByRole('button', { name: /西城1号网格/ })
      .click();
    const household = await t.d.when.household(0);
    await t.d.when.openVisitForm(household);
    await t.d.when.fillVisit({ notes: '上门了解近况' });
    expect(await t.d.when.submitVisit()).toBe(201);
  });

  /** The ranking's rows as [grid name, figure], as the leader reads them. */
  const ranking = () =>
    page()
      .getByTestId('ranking')
      .locator('li')
      .evaluateAll((lis) => lis.map((li) => [li.querySelector('.rank-name')!.textContent!, li.querySelector('.rank-value')!.textContent!]));

  it("colours the leader's map by the imported history: the grid whose visits stopped in April is the worst", async () => {
    await t.d.given.signedInAs(LEADER.email, LEADER.password);
    await t.d.given.theMapIsOpen();
    const rows = await ranking();
    const byName = new Map(rows.map(([name, value]) => [name, value]));
    expect(byName.get('西城3号网格')).toBe('0.0%');
    expect(byName.get('西城1号网格')).toBe('100.0%');
    expect(byName.get('西城2号网格')).toBe('100.0%');
    // The worst first, in the worst band's colour.
    expect(rows[0]![0]).toBe('西城3号网格');
    await t.d.then.screenshot('first-day-4-leader-map');
  });

  it("signs the member's open page out on its next request once the leader disables the account", async () => {
    const member = await t.anotherPage();
    await member.d.given.signedInAs(MEMBER.email, 'Grid2026river-north');
    await member.d.given.theMapIsOpen();

    await t.d.given.signedInAs(LEADER.email, LEADER.password);
    await t.d.given.theMapIsOpen();
    const p = page();
    p.on('dialog', (dialog) => void dialog.accept());
    await p.getByTestId('open-staff').click();
    const item = p.locator(`[data-testid="staff-item"][data-email="${MEMBER.email}"]`);
    await item.getByTestId('staff-toggle-active').click();
    await item.getByTestId('staff-state').filter({ hasText: '已停用' }).waitFor();

    // The member's next request (here: picking a grid) meets 401, and the page is back at sign-in.
    const refused = member.page.waitForResponse((r) => r.status() === 401);
    await member.page.getByTestId('ranking').getByRole('button').first().click();
    await refused;
    await member.page.getByRole('heading', { name: '登录' }).waitFor();
  });
});
