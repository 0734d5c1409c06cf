/**
 * Real databases for tests — never a mock. The embedded mode loads a template (migrated and
 * seeded once by global-setup.ts) so each file starts in seconds; the PostgreSQL mode creates a
 * fresh database per call on the server named by DATABASE_URL and drops it afterwards.
 */

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { inject } from 'vitest';
import { connect } from '../../api/db/connect';
import type { Database } from '../../api/db/database';
import { migrate } from '../../api/db/migrate';
import { seedDemoStreetIfEmpty } from '../../api/db/seed';
import { copyDatabaseSettings } from './database-settings';
import { DEMO_TODAY } from './fixtures';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    /** An on-disk embedded data directory holding the seeded demo street (browser suites copy it). */
    pgliteSeededDir: string;
    /** The seeded template database on DATABASE_URL's server; '' without one. */
    postgresTemplate: string;
    /** The embedded database migrated but holding no data, as a tarball. */
    pgliteMigratedTemplate: string;
    /** The migrated template database (no data) on DATABASE_URL's server; '' without one. */
    postgresMigratedTemplate: string;
  }
}

export type Mode = 'pglite' | 'postgres';

/** A fresh embedded database holding the migrated, seeded demo street. */
export async function seededPglite(): Promise<Database> {
  const file = inject('pgliteTemplate');
  const blob = new Blob([fs.readFileSync(file)]);
  return connect({ kind: 'pglite', dataDir: 'memory://', loadDataDir: blob });
}

/** A fresh embedded database with every migration applied and no data. */
export async function migratedPglite(): Promise<Database> {
  const blob = new Blob([fs.readFileSync(inject('pgliteMigratedTemplate'))]);
  return connect({ kind: 'pglite', dataDir: 'memory://', loadDataDir: blob });
}

/** A fresh, empty embedded database (nothing migrated). */
export function emptyPglite(): Promise<Database> {
  return connect({ kind: 'pglite', dataDir: 'memory://' });
}

export interface ScratchPostgres {
  db: Database;
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the PostgreSQL server at adminUrl. */
export async function scratchPostgres(adminUrl: string, template?: string): Promise<ScratchPostgres> {
  const name = `minqing_test_${randomBytes(5).toString('hex')}`;
  const admin = await connect({ kind: 'postgres', url: adminUrl });
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.exec(template ? `create database ${name} template ${template}` : `create database ${name}`);
      break;
    } catch (err) {
      // 55006: another suite's copy is reading the template this very moment; wait and retry.
      if ((err as { code?: string }).code !== '55006' || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 250 + Math.random() * 500));
    }
  }
  if (template) {
    await copyDatabaseSettings(admin, template, name);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await connect({ kind: 'postgres', url: url.toString() });
  return {
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      await admin.exec(`drop database if exists ${name} with (force)`);
      await admin.close();
    },
  };
}

export async function seededPostgres(adminUrl: string): Promise<ScratchPostgres> {
  const template = inject('postgresTemplate');
  if (!template) {
    const scratch = await scratchPostgres(adminUrl);
    await migrate(scratch.db);
    await seedDemoStreetIfEmpty(scratch.db, DEMO_TODAY);
    return scratch;
  }
  return scratchPostgres(adminUrl, template);
}

/** A new database on the server at adminUrl with every migration applied and no data. */
export async function migratedPostgres(adminUrl: string): Promise<ScratchPostgres> {
  const template = inject('postgresMigratedTemplate');
  if (template) return scratchPostgres(adminUrl, template);
  const scratch = await scratchPostgres(adminUrl);
  await migrate(scratch.db);
  return scratch;
}

class Rollback extends Error {}

/** Runs fn in a transaction that is always rolled back, so a test's writes leave no trace. */
export async function inRolledBackTransaction<T>(
  db: Database,
  fn: (tx: import('../../api/db/database').Queryable) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  await db
    .transaction(async (tx) => {
      result = await fn(tx);
      throw new Rollback();
    })
    .catch((e: unknown) => {
      if (!(e instanceof Rollback)) throw e;
    });
  return result as T;
}
