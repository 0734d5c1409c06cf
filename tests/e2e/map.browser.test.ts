import fs from 'node:fs';
import { afterAll, beforeAll, beforeEach, afterEach, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { chromiumPrerequisite, describeWith } from '../support/prerequisites';
import { driver, launchBrowser, startProduct, type Product } from './driver';

describeWith(chromiumPrerequisite(), 'the map page in headless Chromium', () => {
  let product: Product;
  let browser: Browser;
  let page: Page;
  let d: ReturnType<typeof driver>;

  beforeAll(async () => {
    product = await startProduct();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'zh-CN' });
    d = driver(page, product);
  });
  afterEach(async () => {
    await page.close();
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

  it('switches the interface to English', async () => {
    await d.given.theMapIsOpen();
    await d.when.chooseLanguage('English');
    expect(await d.then.title()).toBe('Minqing Map');
  });
});
