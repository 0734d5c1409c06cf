/**
 * Builds the embedded-database template once per `npm test`: migrations applied and the demo
 * street seeded, dumped to a tarball that each test file loads in a few seconds instead of
 * paying ~20 s of migration and seeding. The cache key covers every input, so a changed
 * migration, generator or seed rebuilds it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { connect } from '../../api/db/connect';
import type { PgliteDatabase } from '../../api/db/database';
import { migrate } from '../../api/db/migrate';
import { seedDemoStreetIfEmpty } from '../../api/db/seed';
import { DEMO_TODAY } from './fixtures';

const root = path.resolve(import.meta.dirname, '../..');

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function inputsHash(): string {
  const hash = createHash('sha256').update(DEMO_TODAY);
  for (const file of [
    ...filesUnder(path.join(root, 'supabase/migrations')),
    ...filesUnder(path.join(root, 'geo')),
    ...filesUnder(path.join(root, 'api/db')),
    path.join(root, 'package-lock.json'),
  ]) {
    hash.update(file).update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

export default async function setup(project: TestProject) {
  const dir = path.join(root, 'node_modules/.cache/minqing');
  const file = path.join(dir, `pglite-template-${inputsHash()}.tar.gz`);
  if (!fs.existsSync(file)) {
    const started = Date.now();
    fs.mkdirSync(dir, { recursive: true });
    // Stale templates only: other files here (a running browser suite's lock) are not ours.
    for (const old of fs.readdirSync(dir).filter((f) => f.startsWith('pglite-template-'))) fs.rmSync(path.join(dir, old));
    const db = await connect({ kind: 'pglite', dataDir: 'memory://' });
    try {
      await migrate(db);
      await seedDemoStreetIfEmpty(db, DEMO_TODAY);
      const dump = await (db as PgliteDatabase).raw.dumpDataDir('gzip');
      fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    } finally {
      await db.close();
    }
    console.log(`[setup] built the embedded demo template in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  project.provide('pgliteTemplate', file);
}
