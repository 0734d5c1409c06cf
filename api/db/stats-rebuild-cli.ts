/**
 * `npm run stats:rebuild`: checks the maintained rollups against the reference functions for
 * the product's today (drift means the incremental maintenance missed something), rebuilds
 * them from scratch, checks again, and exits 1 if either check found drift. Then the same for
 * the stored month-end snapshots: each is checked against the reference functions at its month
 * end, all are dropped, and the twelve closed months before today are stored afresh.
 */
import { readEnv } from '../env';
import { productToday } from '../lib/query-params';
import { openDatabase } from '../server';
import { migrate } from './migrate';
import { snapshotDrift, storedMonthEnds } from '../reports/month-snapshots';
import { dropMonthSnapshots, formatDrift, rebuildStats, rollupDate, statsDrift, warmMonthSnapshots } from './stats-rollups';

const env = readEnv();
const today = productToday(env);
const db = await openDatabase(env);
let drifted = false;
try {
  await migrate(db);
  const held = await rollupDate(db);
  if (held === today) {
    const before = await statsDrift(db);
    if (before.length > 0) {
      drifted = true;
      console.log(`drift in the maintained rollups for ${today} (grid/building, metric, rollup value, reference value):`);
      console.log(formatDrift(before));
    } else console.log(`maintained rollups for ${today}: no drift`);
  } else {
    console.log(`rollups held ${held ?? 'nothing yet'}; the product's today is ${today}: nothing to check before rebuilding`);
  }
  const started = performance.now();
  const version = await rebuildStats(db, today);
  console.log(`rebuilt all rollups for ${today} in ${Math.round(performance.now() - started)} ms (statsVersion ${version})`);
  const after = await statsDrift(db);
  if (after.length > 0) {
    drifted = true;
    console.log('drift right after a full rebuild (the keyed functions disagree with the reference):');
    console.log(formatDrift(after));
  } else console.log('rebuilt rollups: no drift');

  for (const end of await storedMonthEnds(db)) {
    const drift = await snapshotDrift(db, end);
    if (drift.length > 0) {
      drifted = true;
      console.log(`drift in the month-end snapshot of ${end} (grid, metric, snapshot value, reference value):`);
      for (const d of drift.slice(0, 50)) console.log(`  grid ${d.gridId}  ${d.metric}: snapshot ${JSON.stringify(d.snapshotValue)}, reference ${JSON.stringify(d.referenceValue)}`);
    } else console.log(`month-end snapshot ${end}: no drift`);
  }
  const warming = performance.now();
  await dropMonthSnapshots(db);
  const stored = await warmMonthSnapshots(db, today);
  console.log(`stored ${stored.length} month-end snapshots (${stored[0]} … ${stored.at(-1)}) in ${Math.round(performance.now() - warming)} ms`);
} finally {
  await db.close();
}
process.exit(drifted ? 1 : 0);
