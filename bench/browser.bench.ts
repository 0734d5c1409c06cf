/**
 * The map in a real browser (issue #9): headless Chromium on loopback against the bench's own
 * database, served in this process exactly as `npm start` serves it (API + built web app).
 *
 * - `browserFirstColoured`: from navigation to the first frame on which every grid drawn on the
 *   widest view that still shows grid tiles (z11, the grids' minzoom, on a 1920×1080 page) has
 *   its metric colour in feature-state, with every tile of the view loaded. A fresh browser
 *   context per run: no HTTP cache, a cold page.
 * - `browserMetricSwitch`: on that loaded view, from the click on another metric to the frame
 *   drawn after the map applied the new colours (the map's `data-colored` signal, then one more
 *   animation frame). No request is involved: the figures carry every metric's band.
 *
 * Figures are medians and p95s, measured in the page with performance.now(); never asserted.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type ServerType, serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { type Browser, chromium } from 'playwright-core';
import { createApp } from '../api/app';
import type { Database } from '../api/db/database';
import type { Env } from '../api/env';
import { ChangeFeed } from '../api/live/change-feed';
import { WEB_DIST } from '../api/server';

interface Figure {
  median: number;
  p95: number;
  runs: number;
}

const CHROMIUM = '/usr/bin/chromium';
const VIEWPORT = { width: 1920, height: 1080 };
/** The grids' tiles start at z11 (api/lib/vector-tiles.ts): the widest view that draws them. */
const WIDEST_GRID_ZOOM = 11;
const METRICS = ['attention', 'coverage', 'overdueHouseholds', 'openIssues'] as const;

/** Rejects naming what was awaited when `p` has not settled in `limitMs`: a map that never colours must not hang the bench. */
function bounded<T>(p: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`browser: ${what} not within ${limitMs / 1000} s`)), limitMs);
  });
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

function figure(samples: number[]): Figure {
  const out = [...samples].sort((a, b) => a - b);
  const at = (q: number) => out[Math.min(out.length - 1, Math.ceil(q * out.length) - 1)]!;
  return { median: at(0.5), p95: at(0.95), runs: out.length };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** The built web app, rebuilt when web/ or geo/ changed since (as `npm start` does). */
async function ensureWebBuilt(): Promise<void> {
  const index = path.join(WEB_DIST, 'index.html');
  const root = path.resolve(WEB_DIST, '../..');
  const sources = Math.max(newestMtime(path.join(root, 'web')), newestMtime(path.join(root, 'geo')));
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return;
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
}

async function serveProduct(db: Database, env: Env, secret: string): Promise<{ url: string; close(): Promise<void> }> {
  const changes = new ChangeFeed(db);
  const app = createApp({ db, env, jwtSecret: secret, changes });
  const root = path.relative(process.cwd(), WEB_DIST) || '.';
  app.use('/*', serveStatic({ root }));
  app.get('*', serveStatic({ root, path: 'index.html' }));
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      await changes.close();
    },
  };
}

/**
 * Resolves in the page when every drawn grid has a colour in feature-state; the time since
 * navigation, and when the map first said it had applied colours (its data-colored signal).
 */
const FULLY_COLOURED = `new Promise((resolve) => {
  let applied = null;
  const check = () => {
    const signal = document.querySelector('[data-testid="map"]')?.getAttribute('data-colored');
    if (applied === null && signal && signal.indexOf(':0') === -1) applied = performance.now();
    const map = window.__minqingMap;
    const el = document.querySelector('[data-testid="map"]');
    if (map && el && (el.getAttribute('data-colored') || '').indexOf(':0') === -1 && el.getAttribute('data-colored')
        && map.isStyleLoaded() && map.areTilesLoaded()) {
      const drawn = map.queryRenderedFeatures({ layers: ['grid-fill'] });
      if (drawn.length > 0 && drawn.every((f) => map.getFeatureState({ source: 'grids', sourceLayer: 'grids', id: f.id }).color)) {
        return resolve({ at: performance.now(), applied, grids: new Set(drawn.map((f) => f.id)).size });
      }
    }
    requestAnimationFrame(check);
  };
  check();
})`;

/** Clicks a metric and resolves with the time until the frame after the map applied it. */
const SWITCH_METRIC = (metric: string) => `new Promise((resolve) => {
  const el = document.querySelector('[data-testid="map"]');
  const button = document.querySelector('.metric-buttons button[data-metric="${metric}"]');
  const t0 = performance.now();
  button.click();
  const check = () => {
    if ((el.getAttribute('data-colored') || '').startsWith('${metric}@')) {
      const applied = performance.now() - t0;
      requestAnimationFrame(() => resolve({ applied, drawn: performance.now() - t0 }));
      return;
    }
    requestAnimationFrame(check);
  };
  check();
})`;

export async function browserBench(
  db: Database,
  o: { env: Env; secret: string; token: string; userId: string; runs: number; slowRuns: number; log(line: string): void },
): Promise<Record<string, Figure | number>> {
  if (!fs.existsSync(CHROMIUM)) {
    o.log(`browser: skipped, no Chromium at ${CHROMIUM}`);
    return {};
  }
  await ensureWebBuilt();
  // The view: the centre of the street's grids at the widest zoom that draws grid tiles.
  const [centre] = await db.query<{ lon: number; lat: number }>(
    `select ST_X(c) as lon, ST_Y(c) as lat from (select ST_Centroid(ST_Extent(boundary)::geometry) as c from public.grids where retired_at is null) q`,
  );
  const view = `${centre!.lon.toFixed(5)},${centre!.lat.toFixed(5)},${WIDEST_GRID_ZOOM}`;
  const product = await serveProduct(db, o.env, o.secret);
  const browser: Browser = await chromium.launch({
    executablePath: CHROMIUM,
    // WebGL without a GPU: SwiftShader, as in the browser tests.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  const session = { token: o.token, expiresAt: Date.now() + 3600_000, mode: 'local', userId: o.userId };
  const first: number[] = [];
  const firstApplied: number[] = [];
  const switches: number[] = [];
  const switchApplied: number[] = [];
  let grids = 0;
  try {
    for (let run = 0; run <= o.slowRuns; run++) {
      // A new context each run: empty HTTP cache and storage, as a first visit.
      const context = await browser.newContext({ viewport: VIEWPORT, locale: 'zh-CN' });
      await context.addInitScript((s) => window.localStorage.setItem('minqing.session', JSON.stringify(s)), session);
      const page = await context.newPage();
      await page.goto(`${product.url}?view=${view}`, { timeout: 60_000 });
      const done = (await bounded(
        page.evaluate(FULLY_COLOURED),
        120_000,
        `run ${run}: every drawn grid coloured (data-colored signal, tiles loaded, feature-state set)`,
      )) as { at: number; applied: number; grids: number };
      grids = done.grids;
      // The first run warms the server (its caches, the JIT).
      if (run > 0) {
        first.push(done.at);
        firstApplied.push(done.applied);
      }
      if (run === o.slowRuns) {
        for (let i = 0; i <= o.runs; i++) {
          const metric = METRICS[i % METRICS.length]!;
          const ms = (await bounded(page.evaluate(SWITCH_METRIC(metric)), 30_000, `the recolour after switching to ${metric}`)) as {
            applied: number;
            drawn: number;
          };
          if (i > 0) {
            switches.push(ms.drawn);
            switchApplied.push(ms.applied);
          }
        }
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await product.close();
  }
  const r = {
    browserGridsDrawn: grids,
    browserFirstColoured: figure(first),
    browserColoursApplied: figure(firstApplied),
    browserMetricSwitch: figure(switches),
    browserMetricApplied: figure(switchApplied),
  };
  const f = (x: Figure) => `${x.median.toFixed(0)} / ${x.p95.toFixed(0)} ms`;
  o.log(
    `browser: ${grids} grids drawn; first coloured ${f(r.browserFirstColoured)} (state ${f(r.browserColoursApplied)}), metric switch ${f(r.browserMetricSwitch)} (state ${f(r.browserMetricApplied)}), median / p95`,
  );
  return r;
}
