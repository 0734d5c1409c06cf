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
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { CHROMIUM_PATH } from '../support/prerequisites';
import { DEMO_PASSWORD, DEMO_TODAY } from '../support/fixtures';

const root = path.resolve(import.meta.dirname, '../..');
export const SCREENSHOT_DIR = path.join(root, 'test-results');

export interface ApiAnswer {
  url: string;
  status: number;
  /** Whether the request asked for projector mode. */
  presentation: boolean;
  body: string;
}

export interface Product {
  url: string;
  stop(): Promise<void>;
}

const START_LOCK = path.join(root, 'node_modules/.cache/minqing/e2e-start.lock');

/**
 * Browser test files run in parallel, and the first product to start may rebuild dist/web; two
 * builds into one directory would trip over each other. So products start one at a time: the
 * first builds, the rest find the build fresh.
 */
async function oneStartAtATime<T>(start: () => Promise<T>): Promise<T> {
  fs.mkdirSync(path.dirname(START_LOCK), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(START_LOCK);
      break;
    } catch {
      // A lock older than any start could take was left by a killed run.
      const age = Date.now() - (fs.statSync(START_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 200_000) fs.rmSync(START_LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await start();
  } finally {
    fs.rmSync(START_LOCK, { recursive: true, force: true });
  }
}

/** Starts the product exactly as `npm start` does, and resolves with the URL it prints. */
export function startProduct(extraEnv: Record<string, string> = {}): Promise<Product> {
  return oneStartAtATime(() => spawnProduct(extraEnv));
}

async function spawnProduct(extraEnv: Record<string, string>): Promise<Product> {
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
  /** Every API answer the page received: what reached the browser is what could leak. */
  const apiAnswers: Promise<ApiAnswer>[] = [];
  page.on('response', (r) => {
    if (!new URL(r.url()).pathname.startsWith('/api/')) return;
    const answer = { url: r.url(), status: r.status(), presentation: r.request().headers()['x-presentation'] === '1' };
    apiAnswers.push(r.text().then((body) => ({ ...answer, body }), () => ({ ...answer, body: '' })));
  });

  return {
    given: {
      /** The map page, signed in already (see signedInAs); waits until the map has drawn. */
      async theMapIsOpen(query = '') {
        await page.goto(product.url + query);
        await page.waitForSelector('[data-map-ready="true"]', { timeout: 60_000 });
      },
      async theSignInPageIsOpen() {
        await page.goto(product.url);
        await page.getByRole('heading', { name: '登录' }).waitFor();
      },
      /**
       * A signed-in session without the form, for tests about something else: a token from the
       * API, put where the web app keeps its session (web/src/auth/session.ts), once per page so a
       * sign-out in the test stays signed out.
       */
      async signedInAs(email: string, password = DEMO_PASSWORD) {
        const res = await fetch(new URL('api/auth/login', product.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password }),
        });
        if (!res.ok) throw new Error(`signing in as ${email} failed: ${res.status} ${await res.text()}`);
        const { access_token: token, expires_in: expiresIn } = (await res.json()) as { access_token: string; expires_in: number };
        const { sub } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string };
        const session = { token, expiresAt: Date.now() + expiresIn * 1000, mode: 'local', userId: sub };
        await page.addInitScript((s) => {
          if (window.sessionStorage.getItem('e2e-signed-in')) return;
          window.sessionStorage.setItem('e2e-signed-in', '1');
          window.localStorage.setItem('minqing.session', JSON.stringify(s));
        }, session);
      },
    },
    when: {
      async signIn(email: string, password: string) {
        await page.getByLabel('邮箱', { exact: true }).fill(email);
        await page.getByLabel('密码', { exact: true }).fill(password);
        await page.getByRole('button', { name: '登录', exact: true }).click();
      },
      async chooseDemoAccount(email: string) {
        await page.locator(`.demo-accounts button[data-email="${email}"]`).click();
      },
      async signOut() {
        await page.getByRole('button', { name: '退出登录' }).click();
      },
      async turnOnProjectorMode() {
        await page.getByRole('button', { name: '投影模式' }).click();
      },
      /** Asks to see the n-th masked household's details, giving a reason. */
      async revealHousehold(n: number, reason: string): Promise<number> {
        const row = page.locator('[data-testid="households"] li[data-masked="true"]').nth(n);
        const id = Number(await row.getAttribute('data-household'));
        await row.getByRole('button', { name: '显示详情' }).click();
        await row.getByLabel('查看理由').fill(reason);
        await row.getByRole('button', { name: '确认查看' }).click();
        return id;
      },
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
      signInError: () => page.locator('.sign-in-card [role="alert"]').innerText(),
      demoAccounts: () => page.locator('.demo-accounts button').allInnerTexts(),
      async accountText() {
        await page.getByTestId('account').waitFor();
        return page.getByTestId('account').innerText();
      },
      async isOnSignInPage() {
        return (await page.getByLabel('密码', { exact: true }).count()) === 1 && (await page.locator('[data-map-ready]').count()) === 0;
      },
      hasHouseholdSection: async () => (await page.getByTestId('households').count()) > 0,
      /** The grid panel's household rows as shown: head name, phone, masked or not. */
      async households() {
        await page.waitForSelector('[data-testid="households"] li', { timeout: 20_000 });
        return page.locator('[data-testid="households"] li').evaluateAll((rows) =>
          rows.map((li) => ({
            id: Number(li.getAttribute('data-household')),
            masked: li.getAttribute('data-masked') === 'true',
            headName: li.querySelector('.head-name')?.textContent ?? '',
            phone: li.querySelector('.phone')?.textContent ?? '',
            text: (li as HTMLElement).innerText,
          })),
        );
      },
      household: (id: number) => page.locator(`[data-testid="households"] li[data-household="${id}"]`),
      /** Every API answer so far, bodies included. */
      apiAnswers: () => Promise.all(apiAnswers),
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

export type Driver = ReturnType<typeof driver>;
export interface BrowserTest {
  product: Product;
  page: Page;
  d: Driver;
}

/**
 * One product process and one browser per test file, a fresh page per test; `onPage` prepares
 * each page (e.g. signs in) and receives what the test uses.
 */
export function useBrowserSuite(onPage: (t: BrowserTest) => void | Promise<void>): void {
  let product: Product;
  let browser: Browser;
  let page: Page | undefined;
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
    await onPage({ product, page, d: driver(page, product) });
  });
  afterEach(async () => {
    await page?.close();
  });
}
