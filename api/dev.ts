/** `npm run dev`: Vite's dev server (hot reload) with the API behind it on the next port. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { readEnv } from './env';
import { startServer } from './server';

const env = readEnv();
const api = await startServer({ ...env, port: env.port + 1 });
const vite = await createServer({
  configFile: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../vite.config.ts'),
  server: { port: env.port, host: env.host, proxy: { '/api': api.url.replace(/\/$/, '') } },
});
await vite.listen();
vite.printUrls();
