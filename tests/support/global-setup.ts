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
import { warmMonthSnapshots } from '../../api/db/stats-rollups';
import { readEnv } from '../../api/env';
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
  const adminUrl = readEnv().databaseUrl;
  // The two templates are built side by side: the embedded one keeps this process busy, the
  // PostgreSQL one mostly waits on its server.
  const postgres = adminUrl ? postgresTemplate(adminUrl, `minqing_tpl_${path.basename(file).slice(16, 32)}`) : Promise.resolve('');
  postgres.catch(() => undefined); // reported where it is awaited, below
  if (!fs.existsSync(file)) {
    const started = Date.now();
    fs.mkdirSync(dir, { recursive: true });
    // Stale templates only: other files here (a running browser suite's lock) are not ours.
    for (const old of fs.readdirSync(dir).filter((f) => f.startsWith('pglite-template-'))) fs.rmSync(path.join(dir, old));
    const db = await connect({ kind: 'pglite', dataDir: 'memory://' });
    try {
      await migrate(db);
      await seedDemoStreetIfEmpty(db, DEMO_TODAY);
      // The closed months a month report reads, as `npm run stats:rebuild` stores them.
      await warmMonthSnapshots(db, DEMO_TODAY);
      const dump = await (db as PgliteDatabase).raw.dumpDataDir('gzip');
      fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    } finally {
      await db.close();
    }
    console.log(`[setup] built the embedded demo template in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  project.provide('pgliteTemplate', file);
  project.provide('pgliteSeededDir', await seededDataDir(dir, file));
  project.provide('postgresTemplate', await postgres);
}

/**
 * The same seeded database as an embedded data directory on disk, for the browser suites: each
 * product they start copies it instead of migrating and seeding (~30 s of a 2-core machine each).
 */
async function seededDataDir(cache: string, template: string): Promise<string> {
  const dir = path.join(cache, path.basename(template, '.tar.gz').replace('template', 'seeded'));
  if (fs.existsSync(path.join(dir, 'ready'))) return path.join(dir, 'pglite');
  for (const old of fs.readdirSync(cache).filter((f) => f.startsWith('pglite-seeded-'))) fs.rmSync(path.join(cache, old), { recursive: true, force: true });
  const db = await connect({ kind: 'pglite', dataDir: path.join(dir, 'pglite'), loadDataDir: new Blob([fs.readFileSync(template)]) });
  await db.close();
  fs.writeFileSync(path.join(dir, 'ready'), '');
  return path.join(dir, 'pglite');
}

/**
 * A migrated, seeded database on the PostgreSQL server, marked as a template: each suite's
 * database is a copy of it (CREATE DATABASE … TEMPLATE, about a second) instead of a fresh
 * migration and seeding (20–30 s each). Built under a temporary name and renamed, so that two
 * test runs starting together never see a half-built template.
 */
async function postgresTemplate(adminUrl: string, name: string): Promise<string> {
  const admin = await connect({ kind: 'postgres', url: adminUrl });
  try {
    const [exists] = await admin.query<{ ok: boolean }>('select exists (select 1 from pg_database where datname = $1) as ok', [name]);
    if (exists!.ok) return name;
    const started = Date.now();
    const building = `${name}_${process.pid}`;
    await admin.exec(`create database ${building}`);
    const url = new URL(adminUrl);
    url.pathname = `/${building}`;
    const db = await connect({ kind: 'postgres', url: url.toString() });
    try {
      await migrate(db);
      await seedDemoStreetIfEmpty(db, DEMO_TODAY);
      // The closed months a month report reads, as `npm run stats:rebuild` stores them.
      await warmMonthSnapshots(db, DEMO_TODAY);
    } finally {
      await db.close();
    }
    try {
      await admin.exec(`alter database ${building} rename to ${name}`);
      await admin.exec(`alter database ${name} is_template true`);
    } catch {
      // Another run finished the same template first.
      await admin.exec(`drop database if exists ${building}`);
    }
    console.log(`[setup] built the PostgreSQL demo template in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return name;
  } finally {
    await admin.close();
  }
}
