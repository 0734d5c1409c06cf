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

interface GridRow {
  id: number;
  code: string;
  name: string;
  community: string;
  households: number;
  coverage: number | null;
  overdueHouseholds: number;
  atRiskOverdue: number;
  openIssues: number;
  overdueIssues: number;
  attention: number | null;
  geometry?: unknown;
}
interface OverdueRow {
  grid: string;
  address: string;
  unit: string | null;
  room: string;
  headName: string | null;
  phone: string | null;
  categories: string[];
  lastVisit: string | null;
  dueDate: string;
  daysOverdue: number;
}
interface IssueRow {
  regNo: string;
  grid: string;
  category: string;
  description: string;
  status: string;
  receivedAt: string;
  dueAt: string | null;
  closedAt: string | null;
  reporterName: string | null;
  reporterContact: string | null;
}

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
        // The grids in force at the end of asOf, with the boundary, code and name they had then (a
        // split's new grid is not in an earlier export, a merged one still is); public.grids only
        // for row-level security.
        const rows = await asCaller(db, claims, (tx) =>
          tx.query<GridRow>(
            `select v.grid_id as id, v.code, v.name, c.name as community, coalesce(s.households, 0) as households, s.coverage,
                  coalesce(s.overdue_households, 0) as "overdueHouseholds", coalesce(s.at_risk_overdue, 0) as "atRiskOverdue",
                  coalesce(s.open_issues, 0) as "openIssues", coalesce(s.overdue_issues, 0) as "overdueIssues", s.attention
                  ${fmt === 'geojson' ? ', ST_AsGeoJSON(v.boundary, 7)::json as geometry' : ''}
           from public.grid_versions_at($1::date) v join public.grids g on g.id = v.grid_id
           join public.communities c on c.id = v.community_id
           left join public.grid_stats($1::date) s on s.grid_id = v.grid_id
           where $2::int is null or v.grid_id = $2 order by v.code`,
            [asOf, gridId ?? null],
          ),
        );
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
        const rows = await asCaller(db, claims, async (tx) => {
          // The grids whose mop-up lists the caller may read (as /api/grids/:id/overdue decides).
          // Named as on asOf (a grid renamed since keeps that day's name, as the map of that day shows it).
          const grids = await tx.query<{ id: number; name: string }>(
            `select g.id, coalesce(v.name, g.name) as name from public.grids g
           left join public.grid_versions_at($2::date) v on v.grid_id = g.id
           where g.id = any (minqing.visible_grid_ids()) and ($1::int is null or g.id = $1) order by coalesce(v.code, g.code)`,
            [gridId ?? null, asOf],
          );
          if (gridId && grids.length === 0)
            throw new ApiError(
              403,
              'forbidden',
              `The mop-up list of grid ${gridId} is for its team, its community staff and the street leader.`,
            );
          const out: OverdueRow[] = [];
          for (const g of grids) {
            out.push(
              ...(await tx.query<OverdueRow>(
                `select $3::text as grid, o.address, o.unit, o.room, hr.head_name as "headName", hr.phone,
                      o.categories::text[] as categories, o.last_visit::text as "lastVisit", o.due_date::text as "dueDate", o.days_overdue as "daysOverdue"
               from public.grid_overdue_households($1, $2::date) o
               left join public.household_records hr on hr.id = o.household_id
               order by o.days_overdue desc, o.address, o.room`,
                [g.id, asOf, g.name],
              )),
            );
          }
          return out;
        });
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

      const rows = await asCaller(db, claims, (tx) =>
        tx.query<IssueRow>(
          `select i.reg_no as "regNo", g.name as grid, i.category::text as category, i.description, i.status::text as status,
                i.received_at::text as "receivedAt", i.due_at::text as "dueAt", i.closed_at::text as "closedAt",
                i.reporter_name as "reporterName", i.reporter_contact as "reporterContact"
         from public.issue_records i join public.grids g on g.id = i.grid_id
         where ($1::int is null or i.grid_id = $1) order by i.received_at desc`,
          [gridId ?? null],
        ),
      );
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
