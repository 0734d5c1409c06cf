/**
 * The numbers behind the map's colours (docs/metrics.md), computed by the SQL functions
 * grid_stats / building_stats, with each metric's band decided here so every client agrees.
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

/** The API's figures are the reference's (docs/metrics.md) plus each metric's band. */
export type AreaStats = GridFigures & { bands: Record<MetricId, BandOrNone> };
export type BuildingStats = BuildingFigures & { bands: Record<MetricId, BandOrNone> };

const COLUMNS = `households, covered_households as "coveredHouseholds", coverage,
  overdue_households as "overdueHouseholds", at_risk_households as "atRiskHouseholds",
  at_risk_overdue as "atRiskOverdue", open_issues as "openIssues", overdue_issues as "overdueIssues",
  days_since_last_visit as "daysSinceLastVisit", days_since_last_patrol as "daysSinceLastPatrol",
  attention, attention_breakdown as "attentionBreakdown"`;

function withBands<T extends GridFigures>(row: T, thresholds: Thresholds): T & { bands: Record<MetricId, BandOrNone> } {
  const bands = Object.fromEntries(METRICS.map((m) => [m, bandOf(m, row[m], thresholds)])) as Record<MetricId, BandOrNone>;
  return { ...row, bands };
}

export function statsRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>()
    .get('/grids', zValidator('query', z.object({ asOf: asOfParam(today) }), validationHook), async (c) => {
      const { asOf } = c.req.valid('query');
      const { rows, thresholds } = await asCaller(db, c.get('claims'), async (tx) => ({
        rows: await tx.query<GridFigures>(`select grid_id as id, ${COLUMNS} from public.grid_stats($1::date)`, [asOf]),
        thresholds: await bandThresholds(tx, asOf),
      }));
      return c.json({ asOf, grids: rows.map((r) => withBands(r, thresholds)) });
    })
    .get('/buildings', zValidator('query', z.object({ bbox: bboxParam, asOf: asOfParam(today) }), validationHook), async (c) => {
      const { asOf, bbox } = c.req.valid('query');
      const { rows, thresholds } = await asCaller(db, c.get('claims'), async (tx) => ({
        thresholds: await bandThresholds(tx, asOf),
        rows: await tx.query<BuildingFigures>(
          `select s.building_id as id, s.grid_id as "gridId", ${COLUMNS}
           from public.building_stats($1::date) s
           join public.buildings b on b.id = s.building_id
           where b.footprint && ST_MakeEnvelope($2, $3, $4, $5, 4326)
           order by s.building_id`,
          [asOf, ...bbox],
        ),
      }));
      return c.json({ asOf, buildings: rows.map((r) => withBands(r, thresholds)) });
    });
}
