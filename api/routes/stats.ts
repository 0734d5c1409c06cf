/**
 * The numbers behind the map's colours (docs/metrics.md), with each metric's band decided here
 * so every client agrees. For the product's today they come from the rollups kept current by
 * the database (docs/metrics.md "Rollups"); a closed month's last day from its month-end
 * snapshot; any other date is computed on the fly by the reference functions grid_stats /
 * building_stats. Every answer carries `statsVersion`, which
 * changes with every change to the figures' inputs: it is the ETag, so a client revalidating
 * with If-None-Match gets a 304 until something changed.
 */
import { Hono } from 'hono';
import { zValidator } from '@hono/zod-validator';
import { z } from 'zod';
import { bandOf, METRICS, type BandOrNone, type MetricId, type Thresholds } from '../../geo/metrics/legend';
import type { BuildingStats as BuildingFigures, GridStats as GridFigures } from '../../geo/metrics/coverage.reference';
import type { AppDeps } from '../app';
import { bandThresholds } from '../lib/band-thresholds';
import { validationHook } from '../lib/errors';
import { asOfParam, bboxParam, productToday } from '../lib/query-params';
import { asCaller, type AppEnv } from '../lib/request-db';
import { isClosedMonthEnd, snapshotGridStats } from '../reports/month-snapshots';
import type { Queryable } from '../db/database';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';

/** The API's figures are the reference's (docs/metrics.md) plus each metric's band. */
export type AreaStats = GridFigures & { bands: Record<MetricId, BandOrNone> };
/** A building's figures carry its address: vector tiles hold shapes and ids only, and the map's tooltip and panel name it. */
export type BuildingStats = BuildingFigures & { address: string; bands: Record<MetricId, BandOrNone> };

const COLUMNS = `households, covered_households as "coveredHouseholds", coverage,
  overdue_households as "overdueHouseholds", at_risk_households as "atRiskHouseholds",
  at_risk_overdue as "atRiskOverdue", open_issues as "openIssues", overdue_issues as "overdueIssues",
  days_since_last_visit as "daysSinceLastVisit", days_since_last_patrol as "daysSinceLastPatrol",
  attention, attention_breakdown as "attentionBreakdown"`;

function withBands<T extends GridFigures>(row: T, thresholds: Thresholds): T & { bands: Record<MetricId, BandOrNone> } {
  const bands = Object.fromEntries(METRICS.map((m) => [m, bandOf(m, row[m], thresholds)])) as Record<MetricId, BandOrNone>;
  return { ...row, bands };
}

/** Today reads the rollups (built for today first if the day changed); other dates the reference. */
async function statsVersion(tx: Queryable, asOf: string, today: string): Promise<number> {
  const [row] = asOf === today
    ? await tx.query<{ v: number }>('select public.stats_rollup_ready($1::date) as v', [asOf])
    : await tx.query<{ v: number }>('select public.stats_version() as v');
  return Number(row!.v);
}

const etagOf = (kind: string, asOf: string, version: number) => `"${kind}-${asOf}-v${version}"`;

/** True when the caller already holds this version: the route answers 304 without computing. */
function notModified(c: Context, etag: string): boolean {
  const sent = c.req.header('If-None-Match');
  return !!sent && sent.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

function cacheHeaders(c: Context, etag: string) {
  c.header('ETag', etag);
  // Per caller (RLS decides) and always revalidated: the version, not an age, says it is fresh.
  c.header('Cache-Control', 'private, no-cache');
}

export function statsRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  // Revalidation answers before any figure is read: a middleware, so the handlers' typed JSON
  // (the web's RPC client) stays one shape. The handler still tags what it serves with the
  // version read in its own transaction, so a tag never claims newer figures than it carries.
  const revalidate = (kind: 'grids' | 'buildings') => createMiddleware<AppEnv>(async (c, next) => {
    const sent = c.req.header('If-None-Match');
    const asOf = asOfParam(today).safeParse(c.req.query('asOf'));
    if (!sent || !asOf.success) return next();
    const version = await asCaller(db, c.get('claims'), (tx) => statsVersion(tx, asOf.data, today()));
    const etag = etagOf(kind, asOf.data, version);
    if (!notModified(c, etag)) return next();
    cacheHeaders(c, etag);
    return c.body(null, 304);
  });
  return new Hono<AppEnv>()
    .use('/grids', revalidate('grids'))
    .use('/buildings', revalidate('buildings'))
    .get('/grids', zValidator('query', z.object({ asOf: asOfParam(today) }), validationHook), async (c) => {
      const { asOf } = c.req.valid('query');
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        const version = await statsVersion(tx, asOf, today());
        const etag = etagOf('grids', asOf, version);
        // Today: the rollups; a closed month's last day: its month-end snapshot (stored at the
        // first read, street-scoped by row-level security); any other date: the reference.
        const rows = asOf === today()
          // The rollup function is security definer (it reads the whole table); the join with
          // public.grids, under row-level security, keeps the answer to the caller's street as
          // every other date's is (docs/access.md: aggregates are street-scoped).
          ? await tx.query<GridFigures>(
            `select r.grid_id as id, ${COLUMNS} from public.grid_stats_rollup() r
             where r.grid_id in (select g.id from public.grids g) order by r.grid_id`)
          : isClosedMonthEnd(asOf, today())
            ? await snapshotGridStats(tx, asOf)
            : await tx.query<GridFigures>(`select grid_id as id, ${COLUMNS} from public.grid_stats($1::date) order by grid_id`, [asOf]);
        return {
          etag,
          version,
          rows,
          thresholds: await bandThresholds(tx, asOf),
        };
      });
      cacheHeaders(c, result.etag);
      return c.json({ asOf, statsVersion: result.version, grids: result.rows.map((r) => withBands(r, result.thresholds)) });
    })
    .get('/buildings', zValidator('query', z.object({ bbox: bboxParam, asOf: asOfParam(today) }), validationHook), async (c) => {
      const { asOf, bbox } = c.req.valid('query');
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        const version = await statsVersion(tx, asOf, today());
        const etag = etagOf('buildings', asOf, version);
        const source = asOf === today() ? 'public.building_stats_rollup()' : 'public.building_stats($5::date)';
        const params = asOf === today() ? bbox : [...bbox, asOf];
        return {
          etag,
          version,
          thresholds: await bandThresholds(tx, asOf),
          rows: await tx.query<BuildingFigures & { address: string }>(
            `select s.building_id as id, s.grid_id as "gridId", b.address, ${COLUMNS}
             from ${source} s
             join public.buildings b on b.id = s.building_id
             where b.footprint && ST_MakeEnvelope($1, $2, $3, $4, 4326)
             order by s.building_id`,
            params,
          ),
        };
      });
      cacheHeaders(c, result.etag);
      return c.json({ asOf, statsVersion: result.version, buildings: result.rows.map((r) => withBands(r, result.thresholds)) });
    });
}
