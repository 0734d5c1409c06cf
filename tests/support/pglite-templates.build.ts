/**
 * Builds the embedded templates in a process of its own (global-setup.ts starts it):
 *   node --import tsx tests/support/pglite-templates.build.ts <migrated.tar.gz> <seeded.tar.gz> <today>
 * PGlite runs its queries synchronously on the thread that calls it, so built inside the test
 * runner it froze the event loop for seconds at a time, and the PostgreSQL template built beside
 * it (a client that only sends queries) stood still meanwhile. Here the two really overlap.
 * Each file is written under a temporary name and renamed, so a reader never sees half of one.
 */
import fs from 'node:fs';
import { connect } from '../../api/db/connect';
import type { PgliteDatabase } from '../../api/db/database';
import { migrate } from '../../api/db/migrate';
import { seedDemoStreetIfEmpty } from '../../api/db/seed';
import { warmMonthSnapshots } from '../../api/db/stats-rollups';

const [migratedFile, seededFile, today] = process.argv.slice(2);
if (!migratedFile || !seededFile || !today) throw new Error('usage: pglite-templates.build.ts <migrated.tar.gz> <seeded.tar.gz> <today>');

async function dumpTo(db: PgliteDatabase, file: string): Promise<void> {
  const dump = await db.raw.dumpDataDir('gzip');
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  fs.renameSync(partial, file);
}

const db = (await connect({ kind: 'pglite', dataDir: 'memory://' })) as PgliteDatabase;
try {
  await migrate(db);
  await dumpTo(db, migratedFile);
  await seedDemoStreetIfEmpty(db, today);
  // The closed months a month report reads, as `npm run stats:rebuild` stores them.
  await warmMonthSnapshots(db, today);
  await dumpTo(db, seededFile);
} finally {
  await db.close();
}
