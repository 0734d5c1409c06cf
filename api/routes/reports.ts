/**
 * The month report for the 民情分析会: JSON for the slides, and the same content as an A4 PDF
 * and an XLSX workbook. Figures as of the month's last day (docs/metrics.md "Month report").
 */

import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { LOCALES } from '../../geo/i18n/strings';
import type { AppDeps } from '../app';
import type { Database } from '../db/database';
import { ApiError, validationHook } from '../lib/errors';
import { positiveId, productToday } from '../lib/query-params';
import { type AppEnv, asCaller, type Claims } from '../lib/request-db';
import type { GridShape } from '../reports/monthly-pdf';
import { buildMonthlyReport, type MonthlyReport } from '../reports/monthly-report';

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
    throw new ApiError(
      422,
      'invalid_month',
      `month ${month} is in the future; the latest month with data is ${today.slice(0, 7)} (today is ${today})`,
      {
        month,
        today,
      },
    );
  }
  return month;
}

export async function loadReport(
  db: Database,
  claims: Claims,
  today: string,
  q: { month: string; communityId?: number },
  trendMonths?: number,
): Promise<MonthlyReport> {
  const month = checkReportMonth(q.month, today);
  const report = await asCaller(db, claims, (tx) =>
    buildMonthlyReport(tx, { month, communityId: q.communityId ?? null, today, trendMonths }),
  );
  if (!report) {
    throw new ApiError(
      404,
      'not_found',
      q.communityId
        ? `No community with id ${q.communityId} in your street.`
        : 'Your account belongs to no street; there is nothing to report.',
    );
  }
  return report;
}

const exportQuery = reportQuery.extend({ lang: z.enum(LOCALES).default('zh-CN') });

/**
 * The scope's grid shapes for a printed map, as they were at the end of `asOf` (the boundary
 * history, not today's grids: a month before a split is drawn before the split). Joined to
 * public.grids so row-level security still decides, as the tiles do.
 */
async function gridShapes(db: Database, claims: Claims, ids: number[], asOf: string): Promise<GridShape[]> {
  return asCaller(db, claims, (tx) =>
    tx.query<GridShape>(
      `select v.grid_id as id, ST_AsGeoJSON(v.boundary, 6)::json as geometry
       from public.grid_versions_at($2::date) v join public.grids g on g.id = v.grid_id
       where v.grid_id = any($1::int[]) order by v.grid_id`,
      [ids, asOf],
    ),
  );
}

const fileName = (r: MonthlyReport, ext: string) =>
  `minqing-report-${r.month}${r.scope.communityId ? `-c${r.scope.communityId}` : ''}.${ext}`;

export function reportRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>()
    .get('/monthly', zValidator('query', reportQuery, validationHook), async (c) => {
      return c.json(await loadReport(db, c.get('claims'), today(), c.req.valid('query')));
    })
    .get('/monthly.pdf', zValidator('query', exportQuery, validationHook), async (c) => {
      const q = c.req.valid('query');
      const report = await loadReport(db, c.get('claims'), today(), q);
      // pdfkit and its font are loaded on the first export, not by every process that serves the API.
      const { renderMonthlyPdf } = await import('../reports/monthly-pdf');
      const shapes = {
        current: await gridShapes(
          db,
          c.get('claims'),
          report.grids.map((g) => g.id),
          report.asOf,
        ),
        previous: await gridShapes(
          db,
          c.get('claims'),
          report.previousGrids.map((g) => g.id),
          report.previousAsOf,
        ),
      };
      const pdf = await renderMonthlyPdf(report, shapes, q.lang);
      return c.body(new Uint8Array(pdf), 200, {
        'content-type': 'application/pdf',
        'content-disposition': `attachment; filename="${fileName(report, 'pdf')}"`,
      });
    })
    .get('/monthly.xlsx', zValidator('query', exportQuery, validationHook), async (c) => {
      const q = c.req.valid('query');
      const report = await loadReport(db, c.get('claims'), today(), q);
      const { renderMonthlyXlsx } = await import('../reports/monthly-xlsx');
      const xlsx = await renderMonthlyXlsx(report, q.lang);
      return c.body(new Uint8Array(xlsx), 200, {
        'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'content-disposition': `attachment; filename="${fileName(report, 'xlsx')}"`,
      });
    });
}
