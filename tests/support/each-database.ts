/**
 * Runs a suite once on the embedded PGlite and once on real PostgreSQL (when DATABASE_URL is
 * set; CI sets it, and there a missing server fails the run).
 */
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../api/db/database';
import { emptyPglite, type Mode, migratedPglite, migratedPostgres, scratchPostgres, seededPglite, seededPostgres } from './databases';
import { describeWith, postgresPrerequisite } from './prerequisites';

export function describeEachDatabase(name: string, body: (mode: Mode, db: () => Database) => void): void {
  describeEach(name, 'seeded', body);
}

/** The same on an empty database (nothing migrated): for suites that migrate or load their own data. */
export function describeEachEmptyDatabase(name: string, body: (mode: Mode, db: () => Database) => void): void {
  describeEach(name, 'empty', body);
}

/** The same on a migrated database holding no data (a copy of a template): for suites that bring their own rows. */
export function describeEachMigratedDatabase(name: string, body: (mode: Mode, db: () => Database) => void): void {
  describeEach(name, 'migrated', body);
}

type Start = 'seeded' | 'migrated' | 'empty';
const open = {
  seeded: { pglite: seededPglite, postgres: seededPostgres },
  migrated: { pglite: migratedPglite, postgres: migratedPostgres },
  empty: { pglite: emptyPglite, postgres: scratchPostgres },
} satisfies Record<Start, unknown>;

function describeEach(name: string, start: Start, body: (mode: Mode, db: () => Database) => void): void {
  const pg = postgresPrerequisite();
  for (const mode of ['pglite', 'postgres'] as const) {
    const prereq = mode === 'pglite' ? { ok: true, reason: '' } : pg;
    describeWith(prereq, `${name} [${mode}]`, () => {
      let db: Database | undefined;
      let drop: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        if (mode === 'pglite') {
          db = await open[start].pglite();
          drop = () => db!.close();
        } else {
          const scratch = await open[start].postgres(pg.url!);
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
