/**
 * Runs a suite once on the embedded PGlite and once on real PostgreSQL (when DATABASE_URL is
 * set; CI sets it, and there a missing server fails the run).
 */
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../api/db/database';
import { emptyPglite, scratchPostgres, seededPglite, seededPostgres, type Mode } from './databases';
import { describeWith, postgresPrerequisite } from './prerequisites';

export function describeEachDatabase(name: string, body: (mode: Mode, db: () => Database) => void): void {
  describeEach(name, 'seeded', body);
}

/** The same on an empty database (nothing migrated): for suites that migrate or load their own data. */
export function describeEachEmptyDatabase(name: string, body: (mode: Mode, db: () => Database) => void): void {
  describeEach(name, 'empty', body);
}

function describeEach(name: string, start: 'seeded' | 'empty', body: (mode: Mode, db: () => Database) => void): void {
  const pg = postgresPrerequisite();
  for (const mode of ['pglite', 'postgres'] as const) {
    const prereq = mode === 'pglite' ? { ok: true, reason: '' } : pg;
    describeWith(prereq, `${name} [${mode}]`, () => {
      let db: Database | undefined;
      let drop: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        if (mode === 'pglite') {
          db = start === 'seeded' ? await seededPglite() : await emptyPglite();
          drop = () => db!.close();
        } else {
          const scratch = start === 'seeded' ? await seededPostgres(pg.url!) : await scratchPostgres(pg.url!);
          db = scratch.db;
          drop = scratch.drop;
        }
      });
      afterAll(async () => {
        await drop?.();
      });
      body(mode, () => {
        if (!db) throw new Error('database not ready');
        return db;
      });
    });
  }
}
