/**
 * Exports: GET /api/exports/grids.{geojson,csv,xlsx} (grids with their statistics),
 * overdue.{csv,xlsx} (the mop-up lists) and issues.{csv,xlsx}, as of a date, in the caller's
 * language (?lang=). Everything is read as the caller: personal fields come from the masked
 * *_records views, so an export holds exactly what the caller could see on screen — names for a
 * grid's own team, 张*明 for the street leader, nothing for the presenter. docs/import-export.md.
 */

import { zValidator } from '@hono/zod-validator';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { MAX_DB_INT } from '../../geo/domain/db-int';
import { LOCALES, type Locale, type StringKey, translate } from '../../geo/i18n/strings';
import type { AppDeps } from '../app';
import { type GridRow, gridExportRows, type IssueRow, issueExportRows, type OverdueRow, overdueExportRows } from '../exports/export-rows';
import type { Column } from '../exports/table-file';
import { ApiError, validationHook } from '../lib/errors';
import { asOfParam, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

const FORMATS = ['geojson', 'csv', 'xlsx'] as const;
type Format = (typeof FORMATS)[number];
const TYPES: Record<Format, string> = {
  geojson: 'application/geo+json',
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

const fileParam = z.object({
  file: z
    .string()
    .regex(
      /^(grids|overdue|issues)\.(geojson|csv|xlsx)$/,
      'exports are grids.{geojson,csv,xlsx}, overdue.{csv,xlsx} and issues.{csv,xlsx}',
    ),
});

async function send<R>(
  c: Context,
  name: string,
  format: Format,
  locale: Locale,
  columns: [StringKey, (r: R) => string | number | boolean | null][],
  rows: R[],
) {
  const cols: Column<R>[] = columns.map(([key, value]) => ({ header: translate(locale, key), value }));
  // exceljs is loaded on the first export, not by every process that serves the API.
  const { toCsv, toXlsx } = await import('../exports/table-file');
  const body = format === 'csv' ? toCsv(cols, rows) : await toXlsx(name, cols, rows);
  return c.body(body as Uint8Array<ArrayBuffer>, 200, {
    'content-type': TYPES[format],
    'content-disposition': `attachment; filename="${name}.${format}"`,
  });
}

const pct = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 10);

export function exportRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  const query = z.object({
    asOf: asOfParam(today),
    lang: z.enum(LOCALES).default('zh-CN'),
    gridId: z.coerce.number().int().positive().max(MAX_DB_INT, `at most ${MAX_DB_INT}`).optional(),
  });
  return new Hono<AppEnv>().get(
    '/:file',
    zValidator('param', fileParam, validationHook),
    zValidator('query', query, validationHook),
    async (c) => {
      const [what, fmt] = c.req.valid('param').file.split('.') as ['grids' | 'overdue' | 'issues', Format];
      const { asOf, lang, gridId } = c.req.valid('query');
      if (what !== 'grids' && fmt === 'geojson')
        throw new ApiError(400, 'invalid_request', `${what} are tables: export them as ${what}.csv or ${what}.xlsx.`);
      const claims = c.get('claims');

      if (what === 'grids') {
        const rows = await asCaller(db, claims, (tx) => gridExportRows(tx, asOf, gridId, fmt === 'geojson'));
        if (fmt === 'geojson') {
          const features = rows.map(({ geometry, id, ...p }) => ({ type: 'Feature', id, geometry, properties: { id, ...p, asOf } }));
          return c.body(JSON.stringify({ type: 'FeatureCollection', features }), 200, {
            'content-type': TYPES.geojson,
            'content-disposition': 'attachment; filename="grids.geojson"',
          });
        }
        return send<GridRow>(
          c,
          'grids',
          fmt,
          lang,
          [
            ['export_code', (r) => r.code],
            ['export_name', (r) => r.name],
            ['export_community', (r) => r.community],
            ['export_households', (r) => r.households],
            ['export_coverage', (r) => pct(r.coverage)],
            ['export_overdueHouseholds', (r) => r.overdueHouseholds],
            ['export_atRiskOverdue', (r) => r.atRiskOverdue],
            ['export_openIssues', (r) => r.openIssues],
            ['export_overdueIssues', (r) => r.overdueIssues],
            ['export_attention', (r) => (r.attention === null ? null : Math.round(r.attention * 10) / 10)],
            ['export_asOf', () => asOf],
          ],
          rows,
        );
      }

      if (what === 'overdue') {
        const rows = await asCaller(db, claims, (tx) => overdueExportRows(tx, asOf, gridId));
        return send<OverdueRow>(
          c,
          'overdue',
          fmt,
          lang,
          [
            ['export_grid', (r) => r.grid],
            ['export_address', (r) => r.address],
            ['export_unit', (r) => r.unit],
            ['export_room', (r) => r.room],
            ['export_headName', (r) => r.headName],
            ['export_phone', (r) => r.phone],
            ['export_categories', (r) => r.categories.join('、')],
            ['export_lastVisit', (r) => r.lastVisit],
            ['export_dueDate', (r) => r.dueDate],
            ['export_daysOverdue', (r) => r.daysOverdue],
          ],
          rows,
        );
      }

      const rows = await asCaller(db, claims, (tx) => issueExportRows(tx, gridId));
      return send<IssueRow>(
        c,
        'issues',
        fmt,
        lang,
        [
          ['export_regNo', (r) => r.regNo],
          ['export_grid', (r) => r.grid],
          ['export_category', (r) => r.category],
          ['export_description', (r) => r.description],
          ['export_status', (r) => r.status],
          ['export_receivedAt', (r) => r.receivedAt],
          ['export_dueAt', (r) => r.dueAt],
          ['export_closedAt', (r) => r.closedAt],
          ['export_reporterName', (r) => r.reporterName],
          ['export_reporterContact', (r) => r.reporterContact],
        ],
        rows,
      );
    },
  );
}
