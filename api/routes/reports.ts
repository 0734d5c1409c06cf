/**
 * The month report for the 民情分析会: JSON for the slides, and the same content as an A4 PDF
 * and an XLSX workbook. Figures as of the month's last day (docs/metrics.md "Month report").
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { ApiError, validationHook } from '../lib/errors';
import { positiveId, productToday } from '../lib/query-params';
import { asCaller, type AppEnv, type Claims } from '../lib/request-db';
import { buildMonthlyReport, type MonthCache, type MonthlyReport } from '../reports/monthly-report';
import type { Database } from '../db/database';

const reportQuery = z.object({
  month: z.string({ error: 'month is required, as YYYY-MM, e.g. 2026-10' }),
  communityId: positiveId('communityId').optional(),
});

/** A month the report can be made for: YYYY-MM, from 2000, not after today's month (422 otherwise). */
export function checkReportMonth(month: string, today: string): string {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) {
    throw new ApiError(422, 'invalid_month', `month must be a month as YYYY-MM, e.g. 2026-10; got "${month}"`, { month });
  }
  if (month < '2000-01') throw new ApiError(422, 'invalid_month', `month ${month} is before 2000-01, earlier than any record`, { month });
  if (month > today.slice(0, 7)) {
    throw new ApiError(422, 'invalid_month', `month ${month} is in the future; the latest month with data is ${today.slice(0, 7)} (today is ${today})`, {
      month,
      today,
    });
  }
  return month;
}

// One cache of complete months' figures per database (tests run two databases in one process).
const caches = new WeakMap<Database, MonthCache>();
const cacheOf = (db: Database) => {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  return cache;
};

export async function loadReport(db: Database, claims: Claims, today: string, q: { month: string; communityId?: number }, trendMonths?: number): Promise<MonthlyReport> {
  const month = checkReportMonth(q.month, today);
  const report = await asCaller(db, claims, (tx) => buildMonthlyReport(tx, { month, communityId: q.communityId ?? null, today, trendMonths, cache: cacheOf(db) }));
  if (!report) {
    throw new ApiError(404, 'not_found', q.communityId ? `No community with id ${q.communityId} in your street.` : 'Your account belongs to no street; there is nothing to report.');
  }
  return report;
}

export function reportRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>().get('/monthly', zValidator('query', reportQuery, validationHook), async (c) => {
    return c.json(await loadReport(db, c.get('claims'), today(), c.req.valid('query')));
  });
}
