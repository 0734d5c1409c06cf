import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { type Driver, useBrowserSuite } from './driver';

describeWith(chromiumPrerequisite(), 'the map page in headless Chromium', () => {
  let page: Page;
  let d: Driver;
  useBrowserSuite(async (t) => {
    ({ page, d } = t);
    // The map is for signed-in staff only; the street leader sees all of it.
    await d.given.signedInAs('street@demo.local');
  });

  it('renders every grid of the demo street on a canvas that is not blank', async () => {
    await d.given.theMapIsOpen();
    expect(await d.then.renderedGridNames()).toBeGreaterThanOrEqual(15);
    const pixels = await d.then.canvasPixels();
    expect(pixels.colours).toBeGreaterThan(20);
    expect(pixels.paintedShare).toBeGreaterThan(0.3);
    const file = await d.then.screenshot('map-street');
    expect(fs.statSync(file).size).toBeGreaterThan(20_000);
    expect(d.then.pageErrors()).toEqual([]);
  });

  it('makes no request off the machine with the default configuration', async () => {
    await d.given.theMapIsOpen();
    await d.when.zoomTo(16);
    expect(d.then.offMachineRequests()).toEqual([]);
  });

  it('shows the clicked grid in the side panel', async () => {
    await d.given.theMapIsOpen();
    const name = await page.evaluate(
      () => window.__minqingMap!.queryRenderedFeatures({ layers: ['grid-label'] })[0]!.properties!.name as string,
    );
    await d.when.clickGrid(name);
    const text = await d.then.panelText();
    expect(text).toContain(name);
    expect(text).toMatch(/网格长/);
    expect(text).toMatch(/\d{3} 户/);
    await d.then.screenshot('map-grid-selected');
  });

  it('draws buildings when zoomed in to street level', async () => {
    await d.given.theMapIsOpen();
    await d.when.zoomTo(16.5);
    expect(await d.then.renderedBuildingCount()).toBeGreaterThan(10);
    await d.then.screenshot('map-buildings');
  });

  it('recolours grids through feature-state when the metric changes, without refetching geometry', async () => {
    await d.given.theMapIsOpen();
    const before = await d.then.gridStates();
    const legendBefore = await d.then.legendText();
    const requestsBefore = d.then.geometryRequests().length;
    await d.when.chooseMetric('attention');
    const after = await d.then.gridStates();
    const changed = Object.keys(after).filter((id) => after[id]!.color !== before[id]!.color);
    expect(changed.length).toBeGreaterThan(0);
    expect(await d.then.legendText()).not.toBe(legendBefore);
    expect(await d.then.legendText()).toContain('关注指数');
    expect(d.then.geometryRequests().length).toBe(requestsBefore);
    expect(d.then.url()).toContain('metric=attention');
  });

  it('changes the picture when the date moves back a year, drawing that day’s boundaries from their own tiles', async () => {
    const tiles: { url: string; authorised: boolean }[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/tiles/'))
        tiles.push({ url: r.url(), authorised: /^Bearer ey/.test(r.headers().authorization ?? '') });
    });
    await d.given.theMapIsOpen();
    expect(tiles.filter((t) => /\/api\/tiles\/grids\/\d+\/\d+\/\d+\.mvt\?v=\d+$/.test(t.url)).length).toBeGreaterThan(0);
    // The session rides in a header: the token never appears in a tile URL (logs, caches, Referer).
    expect(tiles.every((t) => t.authorised && !/ey[A-Za-z0-9_-]{10,}/.test(t.url))).toBe(true);
    const today = await d.then.gridStates();
    const rankingToday = await page.locator('[data-testid="ranking"]').innerText();
    await d.when.chooseDate('2025-11-30');
    const yearAgo = await d.then.gridStates();
    expect(Object.keys(yearAgo).some((id) => yearAgo[id]!.color !== today[id]!.color)).toBe(true);
    // The band counts may happen to match; the ranking's grids and figures cannot.
    expect(await page.locator('[data-testid="ranking"]').innerText()).not.toBe(rankingToday);
    expect(d.then.url()).toContain('asOf=2025-11-30');
    await page.waitForFunction(() => window.__minqingMap!.areTilesLoaded());
    expect(tiles.some((t) => /\/api\/tiles\/grids\/\d+\/\d+\/\d+\.mvt\?v=\d+&asOf=2025-11-30$/.test(t.url))).toBe(true);
    await d.then.screenshot('map-coverage-2025-11-30');
  });

  it('opens a shared link with its metric and date', async () => {
    await d.given.theMapIsOpen('?metric=overdueIssues&asOf=2026-06-30');
    expect(await page.locator('.metric-buttons button.active').getAttribute('data-metric')).toBe('overdueIssues');
    expect(await page.inputValue('[data-testid="as-of"]')).toBe('2026-06-30');
    await page.waitForSelector('[data-colored="overdueIssues@2026-06-30:19"]');
  });

  it('highlights the grids of a legend band when the band is clicked', async () => {
    await d.given.theMapIsOpen();
    await d.when.clickLegendBand('critical');
    const states = await d.then.gridStates();
    const dimmed = Object.values(states).filter((s) => s.dimmed === true).length;
    const lit = Object.values(states).filter((s) => s.dimmed === false).length;
    expect(dimmed).toBeGreaterThan(0);
    expect(lit).toBeGreaterThan(0);
    await d.then.screenshot('map-band-critical');
  });

  it('flies to the worst grid from the ranking and shows its breakdown', async () => {
    await d.given.theMapIsOpen();
    const name = await d.then.rankingFirstName();
    await d.when.clickRanking(0);
    const text = await d.then.panelText();
    expect(text).toContain(name);
    expect(text).toMatch(/覆盖率/);
    expect(text).toMatch(/未覆盖/);
    // The worst grid says what it takes to improve it.
    await page.waitForSelector('[data-testid="mop-up"]');
    expect(await page.locator('[data-testid="mop-up"]').innerText()).toMatch(/逾期未访清单：\d+ 户（重点人群 \d+ 户）\n再走访 \d+ 户/);
    await d.then.screenshot('map-worst-grid');
  });

  it('draws each metric with its legend', async () => {
    await d.given.theMapIsOpen();
    for (const metric of ['coverage', 'overdueHouseholds', 'atRiskOverdue', 'openIssues', 'overdueIssues', 'attention']) {
      await d.when.chooseMetric(metric);
      await page.waitForFunction(() => window.__minqingMap!.loaded());
      const file = await d.then.screenshot(`metric-${metric}`);
      expect(fs.statSync(file).size).toBeGreaterThan(20_000);
    }
  });

  it('shows a building’s own figures when hovering it at street level', async () => {
    await d.given.theMapIsOpen();
    await d.when.zoomTo(17);
    await d.then.renderedBuildingCount();
    await page.waitForSelector('[data-building-stats]:not([data-building-stats="0"])', { timeout: 30_000 });
    const address = await d.when.hoverBuilding();
    await page.waitForFunction((a) => document.querySelector('.grid-tooltip')?.textContent?.includes(a), address, { timeout: 20_000 });
    expect(await d.then.tooltipText()).toMatch(/覆盖率/);
    await d.then.screenshot('map-building-tooltip');
  });

  it('switches the interface to English', async () => {
    await d.given.theMapIsOpen();
    await d.when.chooseLanguage('English');
    expect(await d.then.title()).toBe('Minqing Map');
    // zh-TW and English are chunks of their own, loaded on first use: the next visit remembers the
    // choice and loads it before showing anything, as does a shared link's ?lang=.
    await d.given.theMapIsOpen();
    expect(await d.then.title()).toBe('Minqing Map');
    await d.given.theMapIsOpen('?lang=zh-TW');
    expect(await d.then.title()).toBe('民情地圖');
  });
});
