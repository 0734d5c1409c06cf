/**
 * Runs a suite once on the embedded PGlite and once on real PostgreSQL (when DATABASE_URL is
 * set; CI sets it, and there a missing server fails the run).
 */
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../api/db/database';
import { seededPglite, seededPostgres, type Mode } from './databases';
import { describeWith, postgresPrerequisite } from './prerequisites';

export function describeEachDatabase(name: string, body: (mode: Mode, db: () => Database) => void): void {
  const pg = postgresPrerequisite();
  for (const mode of ['pglite', 'postgres'] as const) {
    const prereq = mode === 'pglite' ? { ok: true, reason: '' } : pg;
    describeWith(prereq, `${name} [${mode}]`, () => {
      let db: Database | undefined;
      let drop: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        if (mode === 'pglite') {
          db = await seededPglite();
          drop = () => db!.close();
        } else {
          const scratch = await seededPostgres(pg.url!);
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
