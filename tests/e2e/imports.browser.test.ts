/**
 * The import wizard in headless Chromium on the real product: community staff open it from the
 * header, upload a real file (Monaco's quartiers as a UTM 32N shapefile with its .prj) and a
 * generated XLSX ledger with Chinese headers and deliberate errors, read the dry run's report,
 * map a column, and commit; the map re-reads what changed.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { type Driver, SCREENSHOT_DIR, useBrowserSuite } from './driver';

const FIXTURES = fileURLToPath(new URL('../fixtures/imports/', import.meta.url));
const REALDATA = fileURLToPath(new URL('../../../shared/realdata/', import.meta.url));
const STAFF = 'community@demo.local';

const W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const withCheck = (b: string) => b + '10X98765432'[W.reduce((s, w, i) => s + w * Number(b[i]), 0) % 11];

async function ledger(headers: string[], rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('台账');
  ws.addRow(headers);
  for (const r of rows) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describeWith(chromiumPrerequisite(), 'import wizard, in headless Chromium', () => {
  let page: Page;
  let d: Driver;
  useBrowserSuite(async (t) => {
    ({ page, d } = t);
    await d.given.signedInAs(STAFF);
    await d.given.theMapIsOpen();
  });

  /** The report's problem table as [code, row or feature, severity], in the order shown. */
  const listedProblems = () =>
    page
      .getByTestId('import-problems')
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          tr.getAttribute('data-code'),
          Number(tr.getAttribute('data-row') || tr.getAttribute('data-feature')),
          tr.className,
        ]),
      );
  const problemTypes = async () =>
    Object.fromEntries(
      await page
        .getByTestId('import-problem-types')
        .locator('tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [tr.getAttribute('data-code'), Number(tr.lastElementChild!.textContent!.replace(/\D/g, ''))]),
        ),
    );
  const counts = (testId: string) =>
    page
      .getByTestId(testId)
      .locator('tr')
      .evaluateAll((trs) =>
        Object.fromEntries(
          trs.map((tr) => [tr.getAttribute('data-count'), Number(tr.querySelector('td')!.textContent!.replace(/\D/g, ''))]),
        ),
      );
  const upload = async (kind: string, file: { name: string; buffer: Buffer }) => {
    await page.getByTestId('open-import').click();
    await page.getByTestId('import-wizard').waitFor();
    await page.locator(`input[name="import-kind"][value="${kind}"]`).check();
    await page.getByTestId('import-file').setInputFiles({ name: file.name, mimeType: 'application/octet-stream', buffer: file.buffer });
    await page.getByTestId('import-check').click();
  };

  it("checks a real shapefile in its .prj's coordinate system, lists its problems and draws them, and offers no commit while every feature is an error", async () => {
    const quartiers = JSON.parse(fs.readFileSync(`${REALDATA}monaco/quartiers.geojson`, 'utf8')) as { features: unknown[] };
    const n = quartiers.features.length;

    await upload('grids', { name: 'monaco-quartiers-utm32n.zip', buffer: fs.readFileSync(`${FIXTURES}monaco-quartiers-utm32n.zip`) });
    await page.getByTestId('import-report').waitFor({ timeout: 150_000 });
    expect(await page.getByTestId('import-format').textContent()).toBe('shapefile');
    expect(await page.getByTestId('import-crs').textContent()).toMatch(/WGS_1984_UTM_Zone_32N · 来自 \.prj · 已转换为 WGS84/);
    // Monaco is not in the demo community: every quartier lies outside it (an error of the
    // feature: a grid belongs inside its community), and none has a code (a warning).
    expect(await counts('import-counts')).toMatchObject({ features: n, polygons: n, toInsert: 0, toUpdate: 0, skipped: n });
    expect(await problemTypes()).toEqual({ outside_community: n, missing_field: n });
    const listed = await listedProblems();
    expect(listed.filter(([code]) => code === 'outside_community').map(([, i]) => i)).toEqual([...Array(n).keys()]);
    expect(listed.every(([code, , severity]) => severity === (code === 'outside_community' ? 'error' : 'warning'))).toBe(true);
    // The problem shapes on the preview map: n outlines, drawn.
    const preview = page.getByTestId('import-preview');
    await preview.locator('canvas').waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="import-preview"]')?.classList.contains('ready'));
    await preview.screenshot({ path: `${SCREENSHOT_DIR}/imports-1b-preview.png` });
    await d.then.screenshot('imports-1-shapefile-report');
    // Nothing to write: no commit offered (a street's real grids import: first-day.browser.test.ts).
    expect(await page.getByTestId('import-commit').count()).toBe(0);
  }, 300_000);

  it('reports exactly the deliberate errors of an XLSX ledger by row, re-checks it with a mapped column, and imports the good rows', async () => {
    // An unreadable file: said in Chinese by its code, the API's specifics after it.
    await upload('households', { name: '台账.xlsx', buffer: Buffer.from('%PDF-1.4 not a spreadsheet') });
    expect(await page.getByTestId('import-error').getAttribute('data-code')).toBe('unreadable_file');
    expect(await page.getByTestId('import-error').textContent()).toMatch(
      /^无法读取此文件：.*台账\.xlsx (is named \.xlsx but|is not a CSV or XLSX ledger)/,
    );
    await page.getByRole('button', { name: '关闭' }).first().click();

    // Two buildings of the staff's own grids, as the map has their addresses.
    const me = await d.then.apiAsThePage<{ scope: { fullGridIds: number[] } }>('auth/me');
    const grids = await d.then.apiAsThePage<{ features: { properties: { id: number }; geometry: { coordinates: unknown } }[] }>('grids');
    const own = grids.features.filter((g) => me.scope.fullGridIds.includes(g.properties.id));
    const xy = JSON.stringify(own.map((g) => g.geometry.coordinates))
      .match(/-?\d+\.\d+/g)!
      .map(Number);
    const [xs, ys] = [xy.filter((_, i) => i % 2 === 0), xy.filter((_, i) => i % 2 === 1)];
    const buildings = await d.then.apiAsThePage<{ features: { properties: { address: string; gridId: number } }[] }>(
      `buildings?bbox=${Math.min(...xs)},${Math.min(...ys)},${Math.max(...xs)},${Math.max(...ys)}`,
    );
    const [a0, a1] = buildings.features.filter((b) => me.scope.fullGridIds.includes(b.properties.gridId)).map((b) => b.properties.address);
    expect(a1).toBeDefined();
    // "居民" is no header the product knows for the name: the user maps it.
    const headers = ['居民', '身份证号', '联系电话', '地址', '房号', '类别'];
    const xlsx = await ledger(headers, [
      ['导入甲', withCheck('36010219800101123'), '13907910001', a0, '101', '低保'], // row 2: fine
      ['导入乙', '360102198001011230', '13907910002', a0, '102', ''], // row 3: bad check digit
      ['导入丙', '', '13907910003', '不存在路999号', '103', ''], // row 4: no such building
      ['', '', '13907910004', a1, '104', ''], // row 5: no name
      ['导入丁', '', '12345', a1, '105', ''], // row 6: not a phone number
    ]);
    await upload('households', { name: '台账.xlsx', buffer: xlsx });
    await page.getByTestId('import-report').waitFor({ timeout: 150_000 });
    expect(await listedProblems()).toEqual([['missing_column', 1, 'error']]);
    expect(await page.getByTestId('import-commit').count()).toBe(0);

    await page.locator('select[data-field="headName"]').selectOption('居民');
    await page.getByTestId('import-recheck').click();
    await page.getByTestId('import-problems').locator('tr[data-code="invalid_id_number"]').waitFor({ timeout: 150_000 });
    expect(await listedProblems()).toEqual([
      ['invalid_id_number', 3, 'error'],
      ['unmatched_address', 4, 'error'],
      ['missing_value', 5, 'error'],
      ['invalid_phone', 6, 'error'],
    ]);
    // Each problem in the page's language, from its code and row (geo/import/problem-text.ts).
    expect(await page.locator('tr[data-code="invalid_phone"] td.message').textContent()).toBe(
      '第 6 行：电话号码既不是 11 位手机号也不是固定电话，请更正或留空。',
    );
    expect(await counts('import-counts')).toMatchObject({ rows: 5, toInsert: 1, toUpdate: 0, skipped: 4, unmatched: 1 });
    expect(await page.getByTestId('import-preview').count()).toBe(0);
    await d.then.screenshot('imports-3-ledger-report');

    await page.getByTestId('import-commit').click();
    await page.getByTestId('import-done').waitFor({ timeout: 150_000 });
    expect(await counts('import-committed')).toEqual({ inserted: 1, updated: 0 });
    await d.then.screenshot('imports-4-ledger-committed');
  }, 300_000);
});
