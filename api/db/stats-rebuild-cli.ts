/**
 * `npm run stats:rebuild`: checks the maintained rollups against the reference functions for
 * the product's today (drift means the incremental maintenance missed something), rebuilds
 * them from scratch, checks again, and exits 1 if either check found drift. Then the same for
 * the stored month-end snapshots: each is checked against the reference functions at its month
 * end and dropped only if it drifted (the triggers keep the others exact), and whichever of the
 * twelve closed months before today is not stored is stored now, so that the request path finds
 * them all (at a district's size one fill takes longer than a request may run).
 *
 * Run it nightly, after midnight China time. It is off the request path, so its statements run
 * under a generous timeout of their own instead of the API's STATEMENT_TIMEOUT_MS.
 */
import { readEnv } from '../env';
import { productToday } from '../lib/query-params';
import { snapshotDrift, storedMonthEnds } from '../reports/month-snapshots';
import { openDatabase } from '../server';
import { migrate } from './migrate';
import { dropMonthSnapshot, formatDrift, rebuildStats, rollupDate, settleRollups, statsDrift, warmMonthSnapshots } from './stats-rollups';

const env = readEnv();
const today = productToday(env);
/** A district's full rebuild takes about a minute and each month-end fill tens of seconds. */
const NIGHTLY_STATEMENT_TIMEOUT_MS = 30 * 60_000;
const db = await openDatabase({ ...env, statementTimeoutMs: NIGHTLY_STATEMENT_TIMEOUT_MS });
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
  const settling = performance.now();
  await settleRollups(db);
  console.log(`vacuumed and analyzed the rollup tables in ${Math.round(performance.now() - settling)} ms`);
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
      for (const d of drift.slice(0, 50))
        console.log(
          `  grid ${d.gridId}  ${d.metric}: snapshot ${JSON.stringify(d.snapshotValue)}, reference ${JSON.stringify(d.referenceValue)}`,
        );
      await dropMonthSnapshot(db, end);
    } else console.log(`month-end snapshot ${end}: no drift`);
  }
  const warming = performance.now();
  const stored = await warmMonthSnapshots(db, today);
  console.log(
    stored.length === 0
      ? 'the twelve closed month ends were all stored already'
      : `stored ${stored.length} month-end snapshots (${stored.join(', ')}) in ${Math.round(performance.now() - warming)} ms`,
  );
} finally {
  await db.close();
}
process.exit(drifted ? 1 : 0);
