/**
 * Assembles the running product: database (embedded or PostgreSQL), migrations, the demo seed
 * (MINQING_DEMO), the API and the built web app on one port. Used by `npm start` and by the end-to-end tests.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ServerType, serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { createApp } from './app';
import { loadOrCreateSecret } from './auth/tokens';
import { connect } from './db/connect';
import type { Database } from './db/database';
import { migrate } from './db/migrate';
import { seedDemoStreetIfEmpty } from './db/seed';
import type { Env } from './env';
import { notFound } from './lib/errors';
import { productToday } from './lib/query-params';
import { ChangeFeed } from './live/change-feed';
import { setupNeeded } from './streets/street-setup';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_DIST = path.resolve(here, '../dist/web');

export async function openDatabase(env: Env): Promise<Database> {
  return env.databaseUrl
    ? connect({ kind: 'postgres', url: env.databaseUrl, statementTimeoutMs: env.statementTimeoutMs })
    : connect({ kind: 'pglite', dataDir: path.join(env.dataDir, 'pglite') });
}

export interface RunningServer {
  url: string;
  db: Database;
  close(): Promise<void>;
}

export async function startServer(env: Env, log: (line: string) => void = console.log): Promise<RunningServer> {
  const db = await openDatabase(env);
  try {
    const m = await migrate(db);
    if (m.applied.length > 0) log(`database: applied ${m.applied.length} migration(s): ${m.applied.join(', ')}`);
    if (env.demo) {
      const seed = await seedDemoStreetIfEmpty(db, productToday(env));
      if (seed.seeded) log(`database: seeded the demo street ${JSON.stringify(seed.counts)}`);
    } else if (await setupNeeded(db)) {
      log('database: no street yet — open the page to set one up (docs/setup.md)');
    }
    // Import dry runs older than 24 hours hold ledgers nobody committed (docs/import-export.md).
    const [purge] = await db.query<{ n: number }>(`select minqing.purge_import_batches() as n`);
    if (purge && purge.n > 0) log(`database: removed ${purge.n} expired import dry run(s)`);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }

  const changes = new ChangeFeed(db);
  const app = createApp({ db, env, jwtSecret: loadOrCreateSecret(env.jwtSecret, env.dataDir), changes });
  if (fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
    const root = path.relative(process.cwd(), WEB_DIST) || '.';
    app.use('/*', serveStatic({ root }));
    // Client-side routes (a shared map URL) load the app shell; an API path no route answered is
    // the API's JSON 404, never the shell's HTML with a 200.
    app.get('*', (c, next) => (/^\/(api|ogc)(\/|$)/.test(c.req.path) ? notFound(c) : next()), serveStatic({ root, path: 'index.html' }));
  }

  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port: env.port, hostname: env.host }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${env.host === '0.0.0.0' ? 'localhost' : env.host}:${port}/`;
  return {
    url,
    db,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Live-update streams never end by themselves.
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      await changes.close();
      await db.close();
    },
  };
}
