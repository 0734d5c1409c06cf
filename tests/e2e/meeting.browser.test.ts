import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { type Driver, type Product, useBrowserSuite } from './driver';

const SLIDES = ['title', 'previous-actions', 'kpis', 'map', 'compare', 'worst', 'issues', 'cases', 'trend', 'actions'];

describeWith(chromiumPrerequisite(), 'meeting mode slides, in headless Chromium', () => {
  let page: Page;
  let d: Driver;
  let product: Product;
  useBrowserSuite(async (t) => {
    ({ page, d, product } = t);
  });
  const openMeeting = async () => {
    await page.goto(new URL('/?view=meeting&month=2026-10', product.url).href);
    // The first report computes twelve month-ends on the embedded database.
    await page.getByTestId('slide').waitFor({ timeout: 240_000 });
  };
  const current = async () => ({
    id: await page.getByTestId('slide').getAttribute('data-slide'),
    number: (await page.getByTestId('slide-number').textContent())?.replace(/\s+/g, ''),
  });

  it('walks every slide with the arrow keys, masked, with the map printed with its legend, scale and date', async () => {
    await d.given.signedInAs('presenter@demo.local');
    await page.setViewportSize({ width: 1600, height: 900 });
    await openMeeting();
    // Projector mode is on: every request is masked whatever the account.
    expect(await page.evaluate(() => window.localStorage.getItem('minqing.presentation'))).toBe('1');
    for (const [i, id] of SLIDES.entries()) {
      expect(await current()).toEqual({ id, number: `${i + 1}/${SLIDES.length}` });
      await d.then.screenshot(`meeting-${String(i + 1).padStart(2, '0')}-${id}`);
      if (id === 'title') expect(await page.getByTestId('slide').textContent()).toContain('2026年10月 月度民情分析');
      if (id === 'map') {
        const map = page.getByTestId('slide-map');
        expect(await map.locator('path[data-grid]').count()).toBeGreaterThanOrEqual(15);
        expect(await map.textContent()).toMatch(/数据截至 2026-10-31[\s\S]*北[\s\S]*\d+ m[\s\S]*走访覆盖率/);
        // Every grid's name readable: no two labels overlap (side by side, one-line names ran together).
        const boxes = await map
          .locator('text.map-label')
          .evaluateAll((ts) => ts.map((t) => (t as SVGTextElement).getBBox()).map((b) => ({ x: b.x, y: b.y, w: b.width, h: b.height })));
        expect(boxes.length).toBeGreaterThanOrEqual(15);
        const overlapping = boxes.flatMap((a, i) =>
          boxes
            .slice(i + 1)
            .filter((b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
            .map((b) => [a, b]),
        );
        expect(overlapping).toEqual([]);
        // The map slide as a PNG, at twice the slide's drawing size.
        const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('map-png').click()]);
        const png = fs.readFileSync((await download.path())!);
        expect(png.subarray(1, 4).toString()).toBe('PNG');
        expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([2000, 1240]);
      }
      await page.keyboard.press('ArrowRight');
    }
    // Past the last slide it stays there; ← goes back.
    expect((await current()).id).toBe('actions');
    await page.keyboard.press('ArrowLeft');
    expect((await current()).id).toBe('trend');
  }, 300_000);

  it('moves with PageUp/PageDown as presentation clickers send them, and Home/End', async () => {
    await d.given.signedInAs('presenter@demo.local');
    await openMeeting();
    await page.keyboard.press('PageDown');
    await page.keyboard.press('PageDown');
    expect(await current()).toEqual({ id: 'kpis', number: `3/${SLIDES.length}` });
    await page.keyboard.press('PageUp');
    expect((await current()).id).toBe('previous-actions');
    await page.keyboard.press('End');
    expect((await current()).id).toBe('actions');
    await page.keyboard.press('Home');
    expect((await current()).id).toBe('title');
  }, 300_000);

  it('presents one community when it is picked, keeping the month', async () => {
    await d.given.signedInAs('presenter@demo.local');
    await openMeeting();
    const scope = page.getByTestId('meeting-scope');
    const community = (await scope.locator('option').nth(1).textContent())!;
    await scope.selectOption({ index: 1 });
    await page.waitForURL(/communityId=\d+/);
    expect(new URL(page.url()).searchParams.get('month')).toBe('2026-10');
    await page.getByTestId('slide').waitFor({ timeout: 240_000 });
    expect(await page.getByTestId('slide').innerText()).toContain(community);
    await d.then.screenshot('meeting-community');
  }, 300_000);
});
