/**
 * A small given/when/then driver over the real product (maputnik's pattern): `given` starts
 * `npm start`'s entry point as a real process on a throw-away data directory and opens it in
 * headless Chromium; `when` acts like a user; `then` reads what the user would see.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from '../support/prerequisites';
import { DEMO_TODAY } from '../support/fixtures';

const root = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOT_DIR = path.join(root, 'test-results');

export interface Product {
  url: string;
  stop(): Promise<void>;
}

/** Starts the product exactly as `npm start` does, and resolves with the URL it prints. */
export async function startProduct(extraEnv: Record<string, string> = {}): Promise<Product> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minqing-e2e-'));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'api/start.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, DEMO_TODAY, DATABASE_URL: '', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the product did not start within 180 s:\n${output}`)), 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /is running at (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the product exited with ${code}:\n${output}`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
}

export function driver(page: Page, product: Product) {
  /** Requests that left the machine; the default configuration must make none. */
  const offMachine: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !u.protocol.startsWith('data') && !u.protocol.startsWith('blob')) {
      offMachine.push(r.url());
    }
  });
  /** Geometry requests, to prove a recolour does not refetch shapes. */
  const geometryRequests: string[] = [];
  page.on('request', (r) => {
    if (/\/api\/(grids|buildings|communities|roads)(\?|$)/.test(r.url())) geometryRequests.push(r.url());
  });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  return {
    given: {
      async theMapIsOpen(query = '') {
        await page.goto(product.url + query);
        await page.waitForSelector('[data-map-ready="true"]', { timeout: 60_000 });
      },
    },
    when: {
      async clickGrid(name: string) {
        const point = await page.evaluate((n) => {
          const map = window.__minqingMap!;
          const f = map.queryRenderedFeatures({ layers: ['grid-label'] }).find((x) => x.properties?.name === n);
          if (!f) return null;
          const [lon, lat] = (f.geometry as GeoJSON.Point).coordinates as [number, number];
          const p = map.project([lon, lat]);
          const box = map.getCanvas().getBoundingClientRect();
          // A little below the label, so the click lands on the fill rather than the text.
          return { x: box.left + p.x, y: box.top + p.y + 14 };
        }, name);
        if (!point) throw new Error(`no grid labelled ${name} is visible`);
        await page.mouse.click(point.x, point.y);
      },
      async chooseMetric(metric: string) {
        await page.click(`.metric-buttons button[data-metric="${metric}"]`);
        await page.waitForSelector(`[data-colored^="${metric}@"]`);
      },
      async chooseDate(date: string) {
        await page.fill('[data-testid="as-of"]', date);
        await page.waitForSelector(`[data-colored*="@${date}:"]`);
        await page.waitForFunction(() => window.__minqingMap!.loaded());
      },
      async clickLegendBand(band: string) {
        await page.click(`[data-testid="legend"] button[data-band="${band}"]`);
      },
      async clickRanking(position: number) {
        await page.locator('[data-testid="ranking"] li button').nth(position).click();
      },
      /** Hovers the first rendered building; returns its address. */
      async hoverBuilding(): Promise<string> {
        const hit = await page.evaluate(() => {
          const map = window.__minqingMap!;
          const canvas = map.getCanvas().getBoundingClientRect();
          const centre = { x: canvas.width / 2, y: canvas.height / 2 };
          const f = map
            .queryRenderedFeatures({ layers: ['building-fill'] })
            .map((b) => {
              const ring = (b.geometry as GeoJSON.MultiPolygon | GeoJSON.Polygon).type === 'Polygon'
                ? (b.geometry as GeoJSON.Polygon).coordinates[0]!
                : (b.geometry as GeoJSON.MultiPolygon).coordinates[0]![0]!;
              const lon = ring.slice(0, -1).reduce((s, p) => s + p[0]!, 0) / (ring.length - 1);
              const lat = ring.slice(0, -1).reduce((s, p) => s + p[1]!, 0) / (ring.length - 1);
              const p = map.project([lon, lat]);
              return { address: String(b.properties!.address), x: p.x, y: p.y, d: Math.hypot(p.x - centre.x, p.y - centre.y) };
            })
            .sort((a, b) => a.d - b.d)[0];
          return f ? { address: f.address, x: canvas.left + f.x, y: canvas.top + f.y } : null;
        });
        if (!hit) throw new Error('no building is rendered');
        await page.mouse.move(hit.x - 3, hit.y);
        await page.mouse.move(hit.x, hit.y);
        return hit.address;
      },
      async chooseLanguage(label: string) {
        await page.selectOption('.lang select', { label });
      },
      async zoomTo(zoom: number) {
        await page.evaluate((z) => window.__minqingMap!.jumpTo({ zoom: z }), zoom);
        await page.waitForFunction(() => window.__minqingMap!.areTilesLoaded() && !window.__minqingMap!.isMoving());
      },
    },
    then: {
      renderedGridNames: () =>
        page.evaluate(() =>
          [...new Set(window.__minqingMap!.queryRenderedFeatures({ layers: ['grid-fill'] }).map((f) => f.id))].length,
        ),
      renderedBuildingCount: async () => {
        await page.waitForFunction(
          () => window.__minqingMap!.queryRenderedFeatures({ layers: ['building-fill'] }).length > 0,
          undefined,
          { timeout: 20_000 },
        );
        return page.evaluate(() => window.__minqingMap!.queryRenderedFeatures({ layers: ['building-fill'] }).length);
      },
      /** Distinct colours on the WebGL canvas, and the share of pixels that differ from the background. */
      canvasPixels: () =>
        page.evaluate(() => {
          const src = window.__minqingMap!.getCanvas();
          const c = document.createElement('canvas');
          c.width = src.width;
          c.height = src.height;
          const ctx = c.getContext('2d')!;
          ctx.drawImage(src, 0, 0);
          const { data } = ctx.getImageData(0, 0, c.width, c.height);
          const colours = new Set<number>();
          let painted = 0;
          const [br, bg, bb] = [data[0]!, data[1]!, data[2]!];
          for (let i = 0; i < data.length; i += 4) {
            colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
            if (Math.abs(data[i]! - br) + Math.abs(data[i + 1]! - bg) + Math.abs(data[i + 2]! - bb) > 24) painted++;
          }
          return { colours: colours.size, paintedShare: painted / (data.length / 4) };
        }),
      panelText: () => page.locator('[data-testid="grid-panel"]').innerText(),
      legendText: () => page.locator('[data-testid="legend"]').innerText(),
      rankingFirstName: () => page.locator('[data-testid="ranking"] .rank-name').first().innerText(),
      /** Each grid's feature-state, as the renderer sees it. */
      gridStates: () =>
        page.evaluate(() => {
          const map = window.__minqingMap!;
          const ids = [...new Set(map.querySourceFeatures('grids').map((f) => Number(f.id)))].sort((a, b) => a - b);
          return Object.fromEntries(ids.map((id) => [id, map.getFeatureState({ source: 'grids', id })]));
        }),
      /** Fill colours actually drawn under each grid's label point. */
      renderedGridColours: () =>
        page.evaluate(() => {
          const map = window.__minqingMap!;
          return map.queryRenderedFeatures({ layers: ['grid-fill'] }).map((f) => String((f.layer.paint as Record<string, unknown>)['fill-color']));
        }),
      url: () => page.url(),
      tooltipText: async () => {
        await page.waitForSelector('.grid-tooltip', { timeout: 10_000 });
        return page.locator('.grid-tooltip').innerText();
      },
      title: () => page.locator('.brand h1').innerText(),
      offMachineRequests: () => offMachine,
      geometryRequests: () => [...geometryRequests],
      pageErrors: () => pageErrors,
      async screenshot(name: string) {
        fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
        const file = path.join(SCREENSHOT_DIR, `${name}.png`);
        await page.screenshot({ path: file });
        return file;
      },
    },
  };
}
