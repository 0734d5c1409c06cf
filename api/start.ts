/** `npm start`: build the web app if it is missing or stale, then serve the product. */
import fs from 'node:fs';
import path from 'node:path';
import { readEnv } from './env';
import { startServer, WEB_DIST } from './server';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

async function buildWebIfNeeded(): Promise<void> {
  const index = path.join(WEB_DIST, 'index.html');
  const root = path.resolve(WEB_DIST, '../..');
  const sources = Math.max(newestMtime(path.join(root, 'web')), newestMtime(path.join(root, 'geo')));
  if (fs.existsSync(index) && fs.statSync(index).mtimeMs >= sources) return;
  console.log('web: building the web app (first start or sources changed)…');
  const { build } = await import('vite');
  await build({ configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
}

const started = Date.now();
try {
  const env = readEnv();
  // The crash suite starts the server many times and needs the API only.
  if (env.webBuild === 'auto') await buildWebIfNeeded();
  const server = await startServer(env);
  console.log(
    `民情地图 Minqing Map is running at ${server.url} (${server.db.kind}, ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  console.error(`\nMinqing Map could not start: ${(err as Error).message}`);
  process.exit(1);
}
