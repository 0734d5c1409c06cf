/**
 * Builds the test databases' templates once per `npm test`, each in two states: migrated only (for
 * suites that need the schema but bring their own data) and migrated with the demo street seeded.
 * A test file loads or copies one in seconds instead of paying ~20 s of migration and seeding. The
 * embedded ones are tarballs cached under node_modules/.cache, keyed by every input, so a changed
 * migration, generator or seed rebuilds them; the PostgreSQL ones are template databases named by
 * the same key.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { TestProject } from 'vitest/node';
import { connect } from '../../api/db/connect';
import { migrate } from '../../api/db/migrate';
import { seedDemoStreetIfEmpty } from '../../api/db/seed';
import { warmMonthSnapshots } from '../../api/db/stats-rollups';
import { readEnv } from '../../api/env';
import { copyDatabaseSettings } from './database-settings';
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
    path.join(root, 'tests/support/pglite-templates.build.ts'),
  ]) {
    hash.update(path.relative(root, file)).update(fs.readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

export default async function setup(project: TestProject) {
  const started = Date.now();
  const key = inputsHash();
  const dir = path.join(root, 'node_modules/.cache/minqing');
  const seeded = path.join(dir, `pglite-template-${key}.tar.gz`);
  const migrated = path.join(dir, `pglite-migrated-${key}.tar.gz`);
  const adminUrl = readEnv().databaseUrl;
  // Built side by side: the embedded ones in a process of their own, the PostgreSQL ones here
  // (a client that mostly waits on its server).
  const postgres = adminUrl ? postgresTemplates(adminUrl, key) : Promise.resolve({ seeded: '', migrated: '' });
  postgres.catch(() => undefined); // reported where it is awaited, below
  if (!fs.existsSync(seeded) || !fs.existsSync(migrated)) {
    const building = Date.now();
    fs.mkdirSync(dir, { recursive: true });
    // Stale templates only: other files here (a running browser suite's lock) are not ours.
    for (const old of fs.readdirSync(dir).filter((f) => /^pglite-(template|migrated)-/.test(f)))
      fs.rmSync(path.join(dir, old), { force: true });
    await buildPgliteTemplates(migrated, seeded);
    console.log(`[setup] built the embedded templates in ${((Date.now() - building) / 1000).toFixed(1)} s`);
  }
  project.provide('pgliteTemplate', seeded);
  project.provide('pgliteMigratedTemplate', migrated);
  project.provide('pgliteSeededDir', seededDataDir(dir, seeded));
  const pg = await postgres;
  project.provide('postgresTemplate', pg.seeded);
  project.provide('postgresMigratedTemplate', pg.migrated);
  if (Date.now() - started > 5000) console.log(`[setup] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function buildPgliteTemplates(migrated: string, seeded: string): Promise<void> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'tests/support/pglite-templates.build.ts'), migrated, seeded, DEMO_TODAY],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0 && fs.existsSync(migrated) && fs.existsSync(seeded)) resolve();
      else reject(new Error(`building the embedded templates failed (exit ${code ?? signal}):\n${output}`));
    });
  });
}

/**
 * The seeded database as an embedded data directory on disk, for the suites that start the real
 * server on it (browser, crash): they copy it instead of migrating and seeding. It is the
 * tarball's contents, unpacked here: opening it with PGlite only to write it out again would load
 * PostGIS for nothing.
 */
function seededDataDir(cache: string, template: string): string {
  const dir = path.join(cache, path.basename(template, '.tar.gz').replace('template', 'seeded'));
  const data = path.join(dir, 'pglite');
  if (fs.existsSync(path.join(dir, 'ready'))) return data;
  for (const old of fs.readdirSync(cache).filter((f) => f.startsWith('pglite-seeded-')))
    fs.rmSync(path.join(cache, old), { recursive: true, force: true });
  untar(zlib.gunzipSync(fs.readFileSync(template)), data);
  fs.writeFileSync(path.join(dir, 'ready'), '');
  return data;
}

/** Unpacks a ustar archive of directories and plain files (what PGlite's dumpDataDir writes). */
function untar(tar: Buffer, into: string): void {
  fs.mkdirSync(into, { recursive: true });
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const text = (from: number, length: number) =>
      header
        .subarray(from, from + length)
        .toString('utf8')
        .replace(/\0[\s\S]*$/, '');
    const prefix = text(257, 5) === 'ustar' ? text(345, 155) : '';
    const name = (prefix ? `${prefix}/` : '') + text(0, 100);
    const size = parseInt(text(124, 12).trim() || '0', 8);
    const type = text(156, 1) || '0';
    at += 512;
    const target = path.join(into, path.normalize(name).replace(/^(\.\.(\/|$)|\/)+/, ''));
    if (type === '5') fs.mkdirSync(target, { recursive: true });
    else if (type === '0') {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, tar.subarray(at, at + size));
    } else throw new Error(`untar: entry ${name} has type ${type}, which PGlite's dumps do not use`);
    at += Math.ceil(size / 512) * 512;
  }
}

/**
 * The migrated and the seeded database on the PostgreSQL server, marked as templates: a suite's
 * database is a copy of one (CREATE DATABASE … TEMPLATE, about a second) instead of a fresh
 * migration and seeding (20–30 s). Built under temporary names and renamed, so that two test runs
 * starting together never see a half-built template.
 */
async function postgresTemplates(adminUrl: string, key: string): Promise<{ seeded: string; migrated: string }> {
  const names = { seeded: `minqing_tpl_${key}`, migrated: `minqing_tplm_${key}` };
  const admin = await connect({ kind: 'postgres', url: adminUrl });
  try {
    const [exists] = await admin.query<{ n: number }>('select count(*)::int as n from pg_database where datname = any ($1::text[])', [
      [names.seeded, names.migrated],
    ]);
    if (exists!.n === 2) return names;
    const started = Date.now();
    const building = { seeded: `${names.seeded}_${process.pid}`, migrated: `${names.migrated}_${process.pid}` };
    const open = (name: string) => {
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return connect({ kind: 'postgres', url: url.toString() });
    };
    await admin.exec(`create database ${building.migrated}`);
    const m = await open(building.migrated);
    try {
      await migrate(m);
    } finally {
      await m.close();
    }
    // A copy of the migrated one (the shim's ALTER DATABASE settings are carried over as
    // scratchPostgres does for every copy), then seeded.
    await admin.exec(`create database ${building.seeded} template ${building.migrated}`);
    await copyDatabaseSettings(admin, building.migrated, building.seeded);
    const db = await open(building.seeded);
    try {
      await seedDemoStreetIfEmpty(db, DEMO_TODAY);
      // The closed months a month report reads, as `npm run stats:rebuild` stores them.
      await warmMonthSnapshots(db, DEMO_TODAY);
    } finally {
      await db.close();
    }
    for (const which of ['migrated', 'seeded'] as const) {
      try {
        await admin.exec(`alter database ${building[which]} rename to ${names[which]}`);
        await admin.exec(`alter database ${names[which]} is_template true`);
      } catch {
        // Another run finished the same template first.
        await admin.exec(`drop database if exists ${building[which]}`);
      }
    }
    console.log(`[setup] built the PostgreSQL templates in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return names;
  } finally {
    await admin.close();
  }
}
