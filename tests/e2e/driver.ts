/**
 * A small given/when/then driver over the real product (maputnik's pattern): `given` starts
 * `npm start`'s entry point as a real process on a throw-away data directory and opens it in
 * headless Chromium; `when` acts like a user; `then` reads what the user would see.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pointOnFeature } from '@turf/turf';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { DEMO_PASSWORD, DEMO_TODAY } from '../support/fixtures';
import { CHROMIUM_PATH } from '../support/prerequisites';

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

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Whether `npm start` would rebuild dist/web (api/start.ts asks the same question). */
function webBuildIsStale(): boolean {
  const index = fs.statSync(path.join(root, 'dist/web/index.html'), { throwIfNoEntry: false });
  return !index || index.mtimeMs < Math.max(newestMtime(path.join(root, 'web')), newestMtime(path.join(root, 'geo')));
}

/**
 * Browser test files run in parallel, and the first product to start may rebuild dist/web; two
 * builds into one directory would trip over each other. So while the build is stale, products
 * start one at a time: the first builds, the rest find the build fresh. Once it is fresh they
 * start side by side (serialised, three files waited up to two boots each for nothing).
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

export interface StartOptions {
  /** Added to the product's environment. */
  env?: Record<string, string>;
  /** An empty data directory instead of the seeded demo street: the product migrates it, as a real street's first start does. */
  empty?: boolean;
}

/** Starts the product exactly as `npm start` does, and resolves with the URL it prints. */
export function startProduct(options: StartOptions = {}): Promise<Product> {
  return webBuildIsStale() ? oneStartAtATime(() => spawnProduct(options)) : spawnProduct(options);
}

async function spawnProduct({ env: extraEnv = {}, empty = false }: StartOptions): Promise<Product> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minqing-e2e-'));
  // The seeded demo street, copied: the product finds its migrations applied and its street
  // there, and starts in seconds instead of migrating and seeding.
  if (!empty) fs.cpSync(inject('pgliteSeededDir'), path.join(dataDir, 'pglite'), { recursive: true });
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

/** Tokens from the API's sign-in, per product and account (see logIn). */
const tokens = new Map<string, Promise<{ token: string; expiresIn: number }>>();

interface StoredSession {
  token: string;
  expiresAt: number;
  mode: string;
  userId: string;
}

/**
 * A cheap page on the product's origin (a JSON answer, no app), so a test can set the browser's
 * storage before the app's first load.
 */
async function onTheProductsOrigin(page: Page, product: Product) {
  if (new URL(page.url(), 'about:blank').origin !== new URL(product.url).origin) await page.goto(new URL('api/health', product.url).href);
}

export function driver(page: Page, product: Product) {
  /**
   * The page outlives a test (one page per file), so what a driver records is this test's only:
   * its listeners come off when the test ends (`dispose`).
   */
  type Listener = (...args: unknown[]) => void;
  type Subscribe = (event: string, listener: Listener) => Page;
  const listeners: [string, Listener][] = [];
  const on = ((event: string, listener: Listener) => {
    listeners.push([event, listener]);
    return (page.on as Subscribe).call(page, event, listener);
  }) as unknown as Page['on'];
  /** Requests that left the machine; the default configuration must make none. */
  const offMachine: string[] = [];
  on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !u.protocol.startsWith('data') && !u.protocol.startsWith('blob')) {
      offMachine.push(r.url());
    }
  });
  /** Geometry requests (GeoJSON and vector tiles), to prove a recolour does not refetch shapes. */
  const geometryRequests: string[] = [];
  on('request', (r) => {
    if (/\/api\/((grids|buildings|communities|roads)(\?|$)|tiles\/)/.test(r.url())) geometryRequests.push(r.url());
  });
  const pageErrors: string[] = [];
  on('pageerror', (e) => pageErrors.push(e.message));
  /** The live event stream stays open for the page's life; it carries table names and grid ids only. */
  const isEventStream = (url: string) => new URL(url).pathname === '/api/events';
  /** Every API answer the page received: what reached the browser is what could leak. */
  const apiAnswers: Promise<ApiAnswer>[] = [];
  on('response', (r) => {
    if (!new URL(r.url()).pathname.startsWith('/api/')) return;
    const answer = { url: r.url(), status: r.status(), presentation: r.request().headers()['x-presentation'] === '1' };
    // A stream's body never ends; waiting for it would wait forever.
    if (isEventStream(r.url())) return void apiAnswers.push(Promise.resolve({ ...answer, body: '' }));
    apiAnswers.push(
      r.text().then(
        (body) => ({ ...answer, body }),
        () => ({ ...answer, body: '' }),
      ),
    );
  });
  /** API requests in flight, but the event stream (which is why 'networkidle' never comes). */
  let inFlight = 0;
  let lastActivity = Date.now();
  const counted = (r: { url(): string }) => new URL(r.url()).pathname.startsWith('/api/') && !isEventStream(r.url());
  on('request', (r) => {
    if (!counted(r)) return;
    inFlight++;
    lastActivity = Date.now();
  });
  const settled = (r: { url(): string }) => {
    if (!counted(r)) return;
    inFlight--;
    lastActivity = Date.now();
  };
  on('requestfinished', settled);
  on('requestfailed', settled);
  /**
   * Logs in through the API, as a test's setup does behind the user's back. Once per account and
   * product: a token outlives a file's tests, and each sign-in is a deliberately slow scrypt on
   * the server.
   */
  function logIn(email: string, password = DEMO_PASSWORD): Promise<{ token: string; expiresIn: number }> {
    const key = `${product.url} ${email} ${password}`;
    let login = tokens.get(key);
    if (!login) {
      login = logInNow(email, password);
      tokens.set(key, login);
      login.catch(() => tokens.delete(key));
    }
    return login;
  }
  async function logInNow(email: string, password: string): Promise<{ token: string; expiresIn: number }> {
    const res = await fetch(new URL('api/auth/login', product.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    if (!res.ok) throw new Error(`signing in as ${email} failed: ${res.status} ${await res.text()}`);
    const { access_token: token, expires_in: expiresIn } = (await res.json()) as { access_token: string; expires_in: number };
    return { token, expiresIn };
  }
  async function api<T>(token: string, route: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(new URL(`api/${route}`, product.url), {
      ...init,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
    });
    if (!res.ok) throw new Error(`${init.method ?? 'GET'} /api/${route} failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
  async function storeSession(session: StoredSession) {
    await onTheProductsOrigin(page, product);
    await page.evaluate((x) => window.localStorage.setItem('minqing.session', JSON.stringify(x)), session);
  }
  /** Where a point of the map is on the page. */
  const onScreen = (lonLat: [number, number]) =>
    page.evaluate((ll) => {
      const map = window.__minqingMap!;
      const xy = map.project(ll);
      const box = map.getCanvas().getBoundingClientRect();
      return { x: box.left + xy.x, y: box.top + xy.y };
    }, lonLat);
  /** "Now" on the product's today (DEMO_TODAY), China time, the way the forms default it. */
  const nowOnDemoToday = () => `${DEMO_TODAY}T${new Date(Date.now() + 8 * 3600_000).toISOString().slice(11, 19)}+08:00`;

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
       * API, put where the web app keeps its session (web/src/auth/session.ts). The next page
       * load finds it; a sign-out in the test then stays signed out, as it would for a user.
       */
      async signedInAs(email: string, password = DEMO_PASSWORD) {
        const { token, expiresIn } = await logIn(email, password);
        const { sub, exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; exp?: number };
        // The token may be a few minutes old (see logIn): its own expiry, not a fresh one.
        await storeSession({ token, expiresAt: exp ? exp * 1000 : Date.now() + expiresIn * 1000, mode: 'local', userId: sub });
      },
      /** A session in the browser's storage, as the web app would have left it (whether the server takes it or not). */
      aStoredSession: (session: StoredSession) => storeSession(session),
      /** A phone-sized screen (the size of a common phone, 390×844 CSS pixels). */
      async aPhoneSizedScreen() {
        await page.setViewportSize({ width: 390, height: 844 });
      },
      /**
       * An issue registered through the API by `email`, in the middle of one of its grids, received
       * "now" on the demo's today so the map (which shows that day) has its pin.
       */
      async anIssueRegisteredBy(email: string, gridId: number, fields: { category: string; description: string; complexity?: string }) {
        const { token } = await logIn(email);
        const grids = await api<GeoJSON.FeatureCollection>(token, 'grids');
        const grid = grids.features.find((f) => f.properties?.id === gridId);
        if (!grid) throw new Error(`no grid ${gridId}`);
        const location = pointOnFeature(grid as never).geometry;
        return api<{ id: number; regNo: string }>(token, 'issues', {
          method: 'POST',
          body: JSON.stringify({ complexity: 'ordinary', tier: 'on_spot', ...fields, location, receivedAt: nowOnDemoToday() }),
        });
      },
      /** Another account's API request meanwhile (e.g. a boundary someone else saves); its JSON answer. */
      async theApiCalledAs<T>(email: string, route: string, init: RequestInit = {}): Promise<T> {
        const { token } = await logIn(email);
        return api<T>(token, route, init);
      },
      /** Marks the page, so a test can tell later that it was never reloaded (a reload drops the mark). */
      async aMarkOnThePage(): Promise<string> {
        const mark = `mark-${Math.random()}`;
        await page.evaluate((m) => ((window as unknown as { __e2eMark: string }).__e2eMark = m), mark);
        return mark;
      },
    },
    when: {
      async startPatrol() {
        await page.getByTestId('patrol-card').getByRole('button', { name: '开始巡查' }).click();
        await page.getByTestId('patrol-running').waitFor();
      },
      /** Stops the patrol under way; resolves with the server's status for the stop it sent. */
      async stopPatrol(): Promise<number> {
        const [res] = await Promise.all([
          page.waitForResponse((r) => /\/api\/patrols\/\d+\/stop$/.test(r.url())),
          page.getByTestId('patrol-card').getByRole('button', { name: '结束巡查' }).click(),
        ]);
        await page.getByTestId('patrol-card').getByRole('button', { name: '开始巡查' }).waitFor();
        return res.status();
      },
      /** Opens a household's record (visits, matters, category changes) under its row. */
      async openHouseholdRecord(householdId: number) {
        const row = page.locator(`[data-testid="households"] li[data-household="${householdId}"]`);
        await row.getByTestId('household-record').click();
        await row.getByTestId('timeline').waitFor();
      },
      /** Opens the signed-in worker's 民情日记, by month when `month` is given. */
      async openDiary(month?: string) {
        await page.getByTestId('open-diary').click();
        const diary = page.getByTestId('diary-page');
        await diary.waitFor();
        if (month) {
          await diary.getByLabel('时段').selectOption({ label: '按月' });
          await diary.getByLabel('按月').fill(month);
        }
        await diary.getByTestId('diary-tally').waitFor();
      },
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
      /**
       * Hovers the rendered building nearest the centre that no issue pin covers; returns its
       * address (a tile carries the id only: the address is looked up as the page's session).
       */
      async hoverBuilding(): Promise<string> {
        const hit = await page.evaluate(async () => {
          const map = window.__minqingMap!;
          const canvas = map.getCanvas().getBoundingClientRect();
          const centre = { x: canvas.width / 2, y: canvas.height / 2 };
          const f = map
            .queryRenderedFeatures({ layers: ['building-fill'] })
            .map((b) => {
              const ring =
                (b.geometry as GeoJSON.MultiPolygon | GeoJSON.Polygon).type === 'Polygon'
                  ? (b.geometry as GeoJSON.Polygon).coordinates[0]!
                  : (b.geometry as GeoJSON.MultiPolygon).coordinates[0]![0]!;
              const lon = ring.slice(0, -1).reduce((s, p) => s + p[0]!, 0) / (ring.length - 1);
              const lat = ring.slice(0, -1).reduce((s, p) => s + p[1]!, 0) / (ring.length - 1);
              const p = map.project([lon, lat]);
              return { id: Number(b.id), lon, lat, x: p.x, y: p.y, d: Math.hypot(p.x - centre.x, p.y - centre.y) };
            })
            // A pin over the building would take the pointer (its tooltip, its click) instead.
            .filter(
              (c) =>
                map.queryRenderedFeatures(
                  [
                    [c.x - 14, c.y - 14],
                    [c.x + 14, c.y + 14],
                  ],
                  { layers: ['issue-pins', 'issue-clusters', 'issue-pin-label'] },
                ).length === 0,
            )
            .sort((a, b) => a.d - b.d)[0];
          if (!f) return null;
          const s = JSON.parse(window.localStorage.getItem('minqing.session') ?? '{}') as { token?: string };
          const bbox = [f.lon - 0.001, f.lat - 0.001, f.lon + 0.001, f.lat + 0.001].join(',');
          const res = await fetch(`/api/stats/buildings?bbox=${bbox}`, { headers: { authorization: `Bearer ${s.token}` } });
          const { buildings } = (await res.json()) as { buildings: { id: number; address: string }[] };
          const address = buildings.find((b) => b.id === f.id)?.address ?? `building ${f.id} has no figures`;
          return { address, x: canvas.left + f.x, y: canvas.top + f.y };
        });
        if (!hit) throw new Error('no building is rendered');
        await page.mouse.move(hit.x - 3, hit.y);
        await page.mouse.move(hit.x, hit.y);
        return hit.address;
      },
      async chooseLanguage(label: string) {
        await page.selectOption('.lang select', { label });
        // zh-TW and English load on first use: chosen is when the page is in that language.
        await page.waitForFunction(() => {
          const select = document.querySelector<HTMLSelectElement>('.lang select');
          return select?.getAttribute('aria-busy') !== 'true' && document.documentElement.lang === select?.value;
        });
      },
      async zoomTo(zoom: number) {
        await page.evaluate((z) => window.__minqingMap!.jumpTo({ zoom: z }), zoom);
        await page.waitForFunction(() => window.__minqingMap!.areTilesLoaded() && !window.__minqingMap!.isMoving());
      },
      async jumpTo(center: [number, number], zoom: number) {
        await page.evaluate(({ c, z }) => window.__minqingMap!.jumpTo({ center: c, zoom: z }), { c: center, z: zoom });
        await page.waitForFunction(() => window.__minqingMap!.areTilesLoaded() && !window.__minqingMap!.isMoving());
      },
      /** Waits until the map has stopped moving (after a fly-to started by the page itself). */
      async waitForTheMapToSettle() {
        await page.waitForFunction(() => !window.__minqingMap!.isMoving() && window.__minqingMap!.loaded(), undefined, { timeout: 20_000 });
      },
      async showOnlyOverdueHouseholds() {
        await page
          .getByTestId('households')
          .getByLabel(/只看逾期未访/)
          .check();
      },
      /** The n-th household shown in the grid panel's list; its id. */
      async household(n: number): Promise<number> {
        const row = page.locator('[data-testid="households"] li').nth(n);
        await row.waitFor({ timeout: 20_000 });
        return Number(await row.getAttribute('data-household'));
      },
      async openVisitForm(householdId: number) {
        await page
          .locator(`[data-testid="households"] li[data-household="${householdId}"]`)
          .getByRole('button', { name: '记录走访' })
          .click();
        await page.getByTestId('visit-form').waitFor();
      },
      async fillVisit(visit: { method?: string; result?: string; durationMin?: number; notes?: string; visitedAt?: string }) {
        const form = page.getByTestId('visit-form');
        if (visit.visitedAt) await form.getByLabel('走访时间').fill(visit.visitedAt);
        if (visit.method) await form.getByLabel('走访方式').selectOption({ label: visit.method });
        if (visit.result) await form.getByLabel('走访结果').selectOption({ label: visit.result });
        if (visit.durationMin !== undefined) await form.getByLabel(/时长/).fill(String(visit.durationMin));
        if (visit.notes) await form.getByLabel('民情日记').fill(visit.notes);
      },
      /** Submits the visit form; resolves with the server's status for the request it sent. */
      async submitVisit(): Promise<number> {
        const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/visits' && r.request().method() === 'POST');
        await page.getByTestId('visit-form').getByRole('button', { name: '保存走访记录' }).click();
        return (await answer).status();
      },
      async closeForm() {
        await page.getByRole('button', { name: '完成' }).click();
      },
      async openIssueForm(householdId: number) {
        await page
          .locator(`[data-testid="households"] li[data-household="${householdId}"]`)
          .getByRole('button', { name: '登记事项' })
          .click();
        await page.getByTestId('issue-form').waitFor();
      },
      async fillIssue(issue: { category: string; description: string; complexity?: string; tier?: string; workUnit?: string }) {
        const form = page.getByTestId('issue-form');
        await form.getByLabel('事项类别').selectOption({ label: issue.category });
        if (issue.complexity) await form.getByLabel('复杂程度').selectOption({ label: issue.complexity });
        if (issue.tier) await form.getByLabel('处理层级').selectOption({ label: issue.tier });
        await form.getByLabel('事项内容').fill(issue.description);
        if (issue.workUnit) await form.getByLabel('工作单位').fill(issue.workUnit);
      },
      /** Clicks the map at a point (lon, lat), as a user picking where a matter is. */
      async clickMapAt(lonLat: [number, number]) {
        const p = await onScreen(lonLat);
        await page.mouse.click(p.x, p.y);
      },
      async hoverMapAt(lonLat: [number, number]) {
        const p = await onScreen(lonLat);
        await page.mouse.move(p.x, p.y);
      },
      /** Opens the boundary editor from the selected grid's panel; waits until it validates (neighbours and buildings loaded). */
      async openBoundaryEditor() {
        await page.click('[data-testid="grid-panel"] [data-action="edit-boundary"]');
        await page.waitForSelector('[data-boundary-editing]');
        await page.waitForFunction(
          () => {
            const h = document.querySelector('[data-testid="boundary-problems"] h3')?.textContent ?? '';
            return h !== '' && !h.includes('载入');
          },
          undefined,
          { timeout: 30_000 },
        );
      },
      /**
       * Drags on the map from one point to another (lon, lat) in a few steps, as a finger or mouse
       * would. Few: while a boundary is edited every pointer move re-validates the shape and redraws
       * in software, a second or more each on a loaded machine, and only where the drag starts and
       * ends counts.
       */
      async dragOnMap(from: [number, number], to: [number, number]) {
        const [a, b] = await page.evaluate(
          (pts) => {
            const map = window.__minqingMap!;
            const box = map.getCanvas().getBoundingClientRect();
            return pts.map((ll) => {
              const xy = map.project(ll);
              return { x: box.left + xy.x, y: box.top + xy.y };
            });
          },
          [from, to],
        );
        await page.mouse.move(a!.x, a!.y);
        await page.mouse.down();
        // The drag starts where the first move lands: a short first step, so it starts on the
        // grabbed vertex (a long one grabs nothing and the shape never changes), then on to the end.
        const length = Math.hypot(b!.x - a!.x, b!.y - a!.y) || 1;
        for (const share of [Math.min(0.5, 3 / length), 0.5, 1])
          await page.mouse.move(a!.x + (b!.x - a!.x) * share, a!.y + (b!.y - a!.y) * share);
        await page.mouse.up();
      },
      /** Where the issue form puts the matter now, [lon, lat]. */
      async issueLocation(): Promise<[number, number]> {
        const point = await page.getByTestId('issue-location').getAttribute('data-point');
        return point!.split(',').map(Number) as [number, number];
      },
      /** Registers the filled-in issue; resolves with the registration number the page shows. */
      async submitIssue(): Promise<string> {
        await page.getByTestId('issue-form').getByRole('button', { name: '登记', exact: true }).click();
        const done = page.getByTestId('issue-registered');
        await done.waitFor({ timeout: 20_000 });
        return (await done.getAttribute('data-reg-no'))!;
      },
      async openIssueBoard() {
        await page.getByRole('tab', { name: '事项台账' }).click();
        await page.getByTestId('issue-board').waitFor();
      },
      async filterIssueBoard(filter: { status?: string; category?: string; tier?: string; overdue?: string; grid?: string }) {
        const board = page.getByTestId('issue-board');
        const labels = { status: '状态', category: '事项类别', tier: '处理层级', overdue: '超期', grid: '网格' } as const;
        for (const [key, option] of Object.entries(filter)) {
          // A label's accessible name includes its select's chosen option, hence the prefix match.
          const select = board.getByRole('combobox', { name: new RegExp(`^${labels[key as keyof typeof labels]}`) });
          await Promise.all([
            page.waitForResponse((r) => new URL(r.url()).pathname === '/api/issues'),
            select.selectOption({ label: option }),
          ]);
        }
      },
      async openIssueFromBoard(regNo: string) {
        await page.locator(`[data-testid="issue-board"] li[data-reg-no="${regNo}"] button`).click();
        await page.getByTestId('issue-page').waitFor();
      },
      /**
       * Presses a transition button on the issue page (受理, 开始办理 …), fills what it asks for and
       * confirms; resolves with the server's status.
       */
      async handleIssue(action: string, input: { note?: string; evaluation?: string; days?: number } = {}): Promise<number> {
        const actions = page.getByTestId('issue-actions');
        await actions.getByRole('button', { name: action, exact: true }).click();
        const form = page.getByTestId('action-form');
        if (input.evaluation) await form.getByLabel('群众评价').selectOption({ label: input.evaluation });
        if (input.days !== undefined) await form.getByLabel(/延期天数/).fill(String(input.days));
        if (input.note) await form.getByRole('textbox', { name: /说明|理由/ }).fill(input.note);
        const answer = page.waitForResponse((r) => /\/api\/issues\/\d+\/transitions$/.test(new URL(r.url()).pathname));
        await form.getByRole('button', { name: `确认${action}` }).click();
        const status = (await answer).status();
        // Success closes the form; a refusal keeps it open with the reason.
        if (status < 300) await form.waitFor({ state: 'detached' });
        else await page.getByTestId('refusal').waitFor();
        return status;
      },
      async toggleIssueStatusOnTheLayer(status: string) {
        await page.getByTestId('issue-layer').getByRole('button', { name: status, exact: true }).click();
      },
      /** Clicks the building nearest the map's centre at street level; its address. */
      async clickBuilding(): Promise<string> {
        const address = await this.hoverBuilding();
        // The mouse is over it now.
        await page.mouse.down();
        await page.mouse.up();
        return address;
      },
    },
    then: {
      async patrolDaysMetText() {
        return (await page.getByTestId('patrol-days-met').textContent()) ?? '';
      },
      /** The kinds of a household's record entries, newest first ('visit' | 'issue' | 'categories'). */
      async householdRecordKinds(householdId: number): Promise<string[]> {
        const entries = page.locator(`[data-testid="households"] li[data-household="${householdId}"] [data-testid="timeline"] > li`);
        return entries.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind') ?? ''));
      },
      async diaryTallyText() {
        return (await page.getByTestId('diary-tally').textContent()) ?? '';
      },
      async diaryVisitCount() {
        return page.locator('[data-testid="diary-visits"] > li').count();
      },
      renderedGridNames: () =>
        page.evaluate(() => [...new Set(window.__minqingMap!.queryRenderedFeatures({ layers: ['grid-fill'] }).map((f) => f.id))].length),
      renderedBuildingCount: async () => {
        await page.waitForFunction(() => window.__minqingMap!.queryRenderedFeatures({ layers: ['building-fill'] }).length > 0, undefined, {
          timeout: 20_000,
        });
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
      /** Each grid's feature-state, as the renderer sees it (the grids are vector tiles, one source layer). */
      gridStates: () =>
        page.evaluate(() => {
          const map = window.__minqingMap!;
          const ids = [...new Set(map.querySourceFeatures('grids', { sourceLayer: 'grids' }).map((f) => Number(f.id)))].sort(
            (a, b) => a - b,
          );
          return Object.fromEntries(ids.map((id) => [id, map.getFeatureState({ source: 'grids', sourceLayer: 'grids', id })]));
        }),
      /** Fill colours actually drawn under each grid's label point. */
      renderedGridColours: () =>
        page.evaluate(() => {
          const map = window.__minqingMap!;
          return map
            .queryRenderedFeatures({ layers: ['grid-fill'] })
            .map((f) => String((f.layer.paint as Record<string, unknown>)['fill-color']));
        }),
      url: () => page.url(),
      /** The ids of the grids the map draws now (from its vector tiles). */
      renderedGridIds: () =>
        page.evaluate(() =>
          [...new Set(window.__minqingMap!.queryRenderedFeatures({ layers: ['grid-fill'] }).map((f) => Number(f.id)))].sort(
            (a, b) => a - b,
          ),
        ),
      tooltipText: async () => {
        await page.waitForSelector('.grid-tooltip', { timeout: 10_000 });
        return page.locator('.grid-tooltip').innerText();
      },
      title: () => page.locator('.brand h1').innerText(),
      signInError: () => page.locator('.sign-in-card [role="alert"]').innerText(),
      /** The demo accounts the sign-in page offers, once it has loaded them from /api/auth/config. */
      async demoAccounts() {
        await page.locator('.demo-accounts button').first().waitFor({ timeout: 20_000 });
        return page.locator('.demo-accounts button').allInnerTexts();
      },
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
      /** The grid panel's coverage: households covered and households, as shown. */
      async gridCoverage(): Promise<{ covered: number; households: number; text: string }> {
        const text = await page.getByTestId('grid-figures').innerText();
        const m = /覆盖率\s+([\d.]+%) \((\d+)\/(\d+)\)/.exec(text);
        if (!m) throw new Error(`no coverage figure in the grid panel:\n${text}`);
        return { text: m[1]!, covered: Number(m[2]), households: Number(m[3]) };
      },
      /** Each grid's figures as the ranking lists them (the whole street, as every open map shows it). */
      rankingText: () => page.getByTestId('ranking').innerText(),
      liveState: () => page.getByTestId('live').getAttribute('data-state'),
      async pageWasNotReloaded(mark: string) {
        return (await page.evaluate(() => (window as unknown as { __e2eMark?: string }).__e2eMark)) === mark;
      },
      /** How many pins the issue layer holds (after its filters). */
      async issuePinCount(): Promise<number> {
        return Number(await page.getByTestId('map').getAttribute('data-issue-pins'));
      },
      /** The unclustered pins drawn on screen: registration number and deadline stage. */
      renderedIssuePins: () =>
        page.evaluate(() =>
          window.__minqingMap!.queryRenderedFeatures({ layers: ['issue-pins'] }).map((f) => ({
            regNo: String(f.properties.regNo),
            stage: String(f.properties.stage),
            status: String(f.properties.status),
            lonLat: (f.geometry as GeoJSON.Point).coordinates as [number, number],
          })),
        ),
      /** Clusters drawn on screen, with how many pins each holds. */
      renderedIssueClusters: () =>
        page.evaluate(() =>
          window.__minqingMap!.queryRenderedFeatures({ layers: ['issue-clusters'] }).map((f) => Number(f.properties.point_count)),
        ),
      issueLegendText: () => page.getByTestId('issue-legend').innerText(),
      registeredText: () => page.getByTestId('issue-registered').innerText(),
      refusalText: () => page.getByTestId('refusal').innerText(),
      visitLoggedText: () => page.getByTestId('visit-logged').innerText(),
      issueStatus: () => page.getByTestId('issue-status').getAttribute('data-status'),
      /** The issue page's timeline, oldest first: the kind of each event. */
      timelineKinds: () =>
        page.locator('[data-testid="issue-timeline"] li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-kind'))),
      transitionButtons: () => page.locator('[data-testid="issue-actions"] .action-buttons button').allInnerTexts(),
      issueReporter: async () => ({
        masked: (await page.getByTestId('issue-reporter').getAttribute('data-masked')) === 'true',
        text: await page.getByTestId('issue-reporter').innerText(),
      }),
      boardRegNos: () =>
        page.locator('[data-testid="issue-board"] li[data-reg-no]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-reg-no')!)),
      boardText: () => page.getByTestId('issue-board').innerText(),
      /** How far the page and an element overflow the viewport sideways (0 = they fit). */
      async horizontalOverflow(testId: string) {
        return page.evaluate((id) => {
          const el = document.querySelector(`[data-testid="${id}"]`)!;
          const r = el.getBoundingClientRect();
          return {
            page: document.documentElement.scrollWidth - window.innerWidth,
            element: Math.max(0, r.right - window.innerWidth, -r.left, el.scrollWidth - el.clientWidth),
            widestChild: Math.max(...[...el.querySelectorAll('*')].map((c) => c.getBoundingClientRect().right)) - window.innerWidth,
          };
        }, testId);
      },
      /** Resolves once no API request (but the live stream) has been in flight for half a second. */
      async quiet(timeoutMs = 30_000) {
        const until = Date.now() + timeoutMs;
        while (inFlight > 0 || Date.now() - lastActivity <= 500) {
          if (Date.now() > until) throw new Error(`the page did not go quiet within ${timeoutMs} ms (${inFlight} API requests in flight)`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      /** The reason codes the boundary editor lists, in order. */
      async boundaryProblems(): Promise<string[]> {
        return page
          .locator('[data-testid="boundary-problems"] li')
          .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-code') ?? ''));
      },
      /** The reason codes drawn by the boundary editor's problem layers (rendered now). */
      async boundaryProblemsOnMap(): Promise<string[]> {
        return page.evaluate(() => {
          const map = window.__minqingMap!;
          const layers = ['boundary-overlap-hatch', 'boundary-area-fill', 'boundary-problem-outline', 'boundary-problem-marker'].filter(
            (l) => map.getLayer(l),
          );
          return [...new Set(map.queryRenderedFeatures({ layers }).map((f) => String(f.properties!.code)))].sort();
        });
      },
      /** GET /api/<route> with the page's own session, as the web app would. */
      async apiAsThePage<T>(route: string): Promise<T> {
        return page.evaluate(async (r) => {
          const s = JSON.parse(window.localStorage.getItem('minqing.session') ?? '{}') as { token?: string };
          const res = await fetch(`/api/${r}`, { headers: { authorization: `Bearer ${s.token}` } });
          if (!res.ok) throw new Error(`GET /api/${r}: ${res.status}`);
          return res.json();
        }, route) as Promise<T>;
      },
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
    /** Takes this driver's listeners off the page (the next test gets its own driver). */
    dispose() {
      for (const [event, listener] of listeners.splice(0)) (page.off as Subscribe).call(page, event, listener);
    },
  };
}

export type Driver = ReturnType<typeof driver>;
export interface BrowserTest {
  product: Product;
  page: Page;
  d: Driver;
  /** A second browser (its own storage, so its own sign-in) on the same product, closed after the test. */
  anotherPage(): Promise<{ page: Page; d: Driver }>;
}

/**
 * Every test page: a desktop screen in Chinese, asking for reduced motion, which MapLibre honours
 * by jumping instead of flying. The tests wait for where the camera ends, not for the flight, and
 * each flight is dozens of frames drawn in software (SwiftShader) on a shared 2-core machine.
 */
// A meeting-room projector's 1024×768 (XGA): the smallest screen the product is presented on, and
// fewer pixels for software WebGL to draw: the GPU process is half a browser file's CPU, and at
// 1400×900 it spent 1.6× the CPU on map.browser (44 s against 28 s).
const PAGE_OPTIONS = { viewport: { width: 1024, height: 768 }, locale: 'zh-CN', reducedMotion: 'reduce' } as const;

/**
 * One product process, one browser and ONE page per test file. A new browser context per test
 * paid for the app's bundle, its compiled code and every vector tile again, test after test;
 * the same page keeps the browser's caches warm. Each test still starts clean: the page leaves
 * the app for a bare page on the product's origin, the browser's storage (session, language,
 * projector mode) is cleared and the screen is the desktop one again, so the test's `given`
 * opens the app afresh like a user who has never been there. `onPage` prepares each test (e.g.
 * signs in) and receives what the test uses.
 */
export function useBrowserSuite(onPage: (t: BrowserTest) => void | Promise<void>, start: StartOptions = {}): void {
  let product: Product;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let d: Driver | undefined;
  let others: { context: BrowserContext; d: Driver }[] = [];
  beforeAll(async () => {
    // The browser starts while the product boots.
    const launching = launchBrowser();
    launching.catch(() => undefined); // reported where it is awaited, below
    product = await startProduct(start);
    browser = await launching;
    context = await browser.newContext(PAGE_OPTIONS);
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await product?.stop();
  });
  beforeEach(async () => {
    await page.goto(new URL('api/health', product.url).href);
    await page.evaluate(() => {
      window.localStorage.clear();
      window.sessionStorage.clear();
    });
    await page.setViewportSize(PAGE_OPTIONS.viewport);
    d = driver(page, product);
    const anotherPage = async () => {
      const other = await browser.newContext(PAGE_OPTIONS);
      const otherPage = await other.newPage();
      const od = driver(otherPage, product);
      others.push({ context: other, d: od });
      return { page: otherPage, d: od };
    };
    await onPage({ product, page, d, anotherPage });
  });
  afterEach(async () => {
    d?.dispose();
    await Promise.all(others.map((o) => o.context.close()));
    others = [];
  });
}
