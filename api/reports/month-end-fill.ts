/**
 * Storing a closed month's month-end snapshot from the request path, without ever queueing behind
 * a fill (supabase/migrations/*_metrics.sql). At a district's size one fill takes
 * longer than a request may run, and the request timeout would cancel it every time, so the fill
 * runs in its own transaction, detached from the request, with a statement timeout sized for a
 * fill; the request waits for it a bounded time (MONTH_END_WAIT_MS) and otherwise answers 503 with
 * Retry-After. A month end already being stored elsewhere (another API process, or the nightly
 * `npm run stats:rebuild`, which normally stores them all ahead) is answered 503 at once.
 */
import type { Database } from '../db/database';
import type { Env } from '../env';
import { ApiError } from '../lib/errors';

/** Long enough for a district's fill (tens of seconds on a loaded 2-core machine), still bounded. */
const FILL_STATEMENT_TIMEOUT = '10min';
/** Seconds a client should wait before asking again while a fill runs. */
export const MONTH_END_RETRY_AFTER_S = 10;

type Status = 'stored' | 'filling' | 'missing';

/** One map of running fills per database, shared by every app on it (tests build several). */
const running = new WeakMap<Database, Map<string, Promise<void>>>();

export interface MonthEndFills {
  /** Resolves when `monthEnd` is stored; throws a 503 ApiError when it is not stored in time. */
  ready(monthEnd: string): Promise<void>;
}

export function monthEndFills(db: Database, env: Pick<Env, 'monthEndWaitMs'>): MonthEndFills {
  let fills = running.get(db);
  if (!fills) running.set(db, (fills = new Map()));
  const mine = fills;

  const busy = (monthEnd: string) =>
    new ApiError(
      503,
      'month_end_filling',
      `The figures of month end ${monthEnd} are being computed and stored now; ask again in ${MONTH_END_RETRY_AFTER_S} seconds. ` +
        'Running `npm run stats:rebuild` nightly stores the closed months ahead of time.',
      { monthEnd },
      { 'Retry-After': String(MONTH_END_RETRY_AFTER_S) },
    );

  const start = (monthEnd: string): Promise<void> => {
    const fill = db
      .transaction(async (tx) => {
        await tx.query(`set local statement_timeout = '${FILL_STATEMENT_TIMEOUT}'`);
        await tx.query('select public.month_snapshot_ready($1::date)', [monthEnd]);
      })
      .finally(() => mine.delete(monthEnd));
    mine.set(monthEnd, fill);
    // The waiting request may have answered 503 already; a failed fill is then nobody's
    // exception, and the next request starts a fresh one.
    fill.catch((err: Error) => console.error(`month-end snapshot ${monthEnd}: fill failed (${err.message})`));
    return fill;
  };

  return {
    async ready(monthEnd) {
      let fill = mine.get(monthEnd);
      if (!fill) {
        const [row] = await db.query<{ s: Status }>('select public.month_snapshot_status($1::date) as s', [monthEnd]);
        if (row!.s === 'stored') return;
        if (row!.s === 'filling') throw busy(monthEnd);
        fill = mine.get(monthEnd) ?? start(monthEnd);
      }
      let timer: NodeJS.Timeout | undefined;
      const waited = await Promise.race([
        fill.then(() => 'stored' as const),
        new Promise<'waiting'>((resolve) => {
          timer = setTimeout(() => resolve('waiting'), env.monthEndWaitMs);
        }),
      ]).finally(() => clearTimeout(timer));
      if (waited === 'waiting') throw busy(monthEnd);
    },
  };
}
