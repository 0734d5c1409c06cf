/** `npm run seed`: migrate the configured database and load the demo street if it is empty. */
import { readEnv } from '../env';
import { productToday } from '../lib/query-params';
import { openDatabase } from '../server';
import { migrate } from './migrate';
import { seedDemoStreetIfEmpty } from './seed';

const env = readEnv();
const db = await openDatabase(env);
try {
  const m = await migrate(db);
  console.log(`migrations: ${m.applied.length} applied, ${m.alreadyApplied} already there`);
  const s = await seedDemoStreetIfEmpty(db, productToday(env));
  console.log(s.seeded ? `seeded the demo street: ${JSON.stringify(s.counts)}` : 'the database already has a street; nothing seeded');
} finally {
  await db.close();
}
