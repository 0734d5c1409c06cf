/**
 * The numbers behind the map's colours (docs/metrics.md), with each metric's band decided here
 * so every client agrees. For the product's today they come from the rollups kept current by
 * the database (docs/metrics.md "Rollups"); a closed month's last day from its month-end
 * snapshot; any other date is computed on the fly by the reference functions grid_stats /
 * building_stats. Every answer carries `statsVersion`, which
 * changes with every change to the figures' inputs: it is the ETag, so a client revalidating
 * with If-None-Match gets a 304 until something changed.
 */

import { zValidator } from '@hono/zod-validator';
import type { Context, TypedResponse } from 'hono';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { JSONParsed } from 'hono/utils/types';
import { z } from 'zod';
import type { BuildingStats as BuildingFigures, GridStats as GridFigures } from '../../geo/metrics/coverage.reference';
import { type BandOrNone, bandOf, METRICS, type MetricId, type Thresholds } from '../../geo/metrics/legend';
import type { AppDeps } from '../app';
import type { Queryable } from '../db/database';
import { bandThresholds } from '../lib/band-thresholds';
import { validationHook } from '../lib/errors';
import { asOfParam, bboxParam, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';
import { StatsAnswerCache, type StatsAnswerKey } from '../lib/stats-answer-cache';
import { monthEndFills } from '../reports/month-end-fill';
import { isClosedMonthEnd, snapshotGridStats } from '../reports/month-snapshots';

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

/**
 * What a request's answer depends on besides its parameters, read as the caller: the
 * statsVersion (today: after making sure the rollups hold today) and the caller's visibility
 * class — the street row-level security scopes them to, and for buildings whether they are the
 * street leader (who alone also sees buildings outside every grid). The answer cache is keyed by
 * both, so it can never hand one street's (or role's) rows to a caller the database would not
 * show them to.
 */
interface StatsCheck {
  version: number;
  visibility: string;
}
async function statsCheck(tx: Queryable, kind: StatsKind, asOf: string, today: string): Promise<StatsCheck> {
  const version = asOf === today ? 'public.stats_rollup_ready($1::date)' : 'public.stats_version()';
  const [row] = await tx.query<{ v: number; street: number | null; leader: boolean }>(
    `select ${version} as v, minqing.my_street_id() as street,
       exists (select 1 from minqing.my_staff() me where me.role = 'street_leader') as leader`,
    asOf === today ? [asOf] : [],
  );
  const street = row!.street ?? 'none';
  return { version: Number(row!.v), visibility: kind === 'buildings' ? `${street}:${row!.leader ? 'leader' : 'staff'}` : `${street}` };
}

type StatsKind = 'grids' | 'buildings';
const etagOf = (kind: string, asOf: string, version: number) => `"${kind}-${asOf}-v${version}"`;

/** True when the caller already holds this version: the route answers 304 without computing. */
function notModified(c: Context, etag: string): boolean {
  const sent = c.req.header('If-None-Match');
  return !!sent && sent.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * A serialized answer as the typed JSON the handler would have produced: the cache holds text,
 * and the web's RPC client still sees one response shape.
 */
function jsonText<T>(c: Context, body: string): Response & TypedResponse<JSONParsed<T>, 200, 'json'> {
  return c.body(body, 200, { 'Content-Type': 'application/json' }) as unknown as Response & TypedResponse<JSONParsed<T>, 200, 'json'>;
}

function cacheHeaders(c: Context, etag: string) {
  c.header('ETag', etag);
  // Per caller (RLS decides) and always revalidated: the version, not an age, says it is fresh.
  c.header('Cache-Control', 'private, no-cache');
}

type StatsEnv = { Variables: AppEnv['Variables'] & { statsCheck?: StatsCheck & { asOf: string } } };

export function statsRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  const answers = new StatsAnswerCache();
  const monthEnds = monthEndFills(db, env);
  // The version check runs before any figure is read, once per request: a middleware, so the
  // handlers' typed JSON (the web's RPC client) stays one shape. It answers 304 when the caller
  // holds the version, and hands the check to the handler, which serves a cached answer under it.
  // A miss computes in its own transaction and tags (and caches) what it serves with the version
  // read there, so a tag never claims newer figures than it carries.
  const check = (kind: StatsKind) =>
    createMiddleware<StatsEnv>(async (c, next) => {
      const asOf = asOfParam(today).safeParse(c.req.query('asOf'));
      if (!asOf.success) return next();
      // A closed month's figures are stored by a fill that may take long at a district's size:
      // wait a bounded time for it, never queue behind it (503 with Retry-After instead).
      if (kind === 'grids' && isClosedMonthEnd(asOf.data, today())) await monthEnds.ready(asOf.data);
      const found = await asCaller(db, c.get('claims'), (tx) => statsCheck(tx, kind, asOf.data, today()));
      c.set('statsCheck', { ...found, asOf: asOf.data });
      const etag = etagOf(kind, asOf.data, found.version);
      if (!notModified(c, etag)) return next();
      cacheHeaders(c, etag);
      return c.body(null, 304);
    });
  /** The cached answer for this request under the middleware's check, if any. */
  const cached = (c: Context<StatsEnv>, kind: StatsKind, asOf: string, params?: string) => {
    const found = c.get('statsCheck');
    if (!found || found.asOf !== asOf) return undefined;
    const body = answers.get({ kind, asOf, today: today(), version: found.version, visibility: found.visibility, params });
    if (body !== undefined) cacheHeaders(c, etagOf(kind, asOf, found.version));
    return body;
  };
  /** Serializes an answer once: caches it under the check it was computed with, tags it and sends it. */
  const serve = <T>(c: Context<StatsEnv>, key: Omit<StatsAnswerKey, 'today'>, answer: T) => {
    const body = JSON.stringify(answer);
    answers.set({ ...key, today: today() }, body);
    cacheHeaders(c, etagOf(key.kind, key.asOf, key.version));
    return jsonText<T>(c, body);
  };
  return new Hono<StatsEnv>()
    .use('/grids', check('grids'))
    .use('/buildings', check('buildings'))
    .get('/grids', zValidator('query', z.object({ asOf: asOfParam(today) }), validationHook), async (c) => {
      const { asOf } = c.req.valid('query');
      type Answer = { asOf: string; statsVersion: number; grids: AreaStats[] };
      const hit = cached(c, 'grids', asOf);
      if (hit !== undefined) return jsonText<Answer>(c, hit);
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        const found = await statsCheck(tx, 'grids', asOf, today());
        // Today: the rollups; a closed month's last day: its month-end snapshot (street-scoped
        // by row-level security); any other date: the reference. The rollups and the reference
        // hold every street's grids, so they are cut to the grids the caller may read (RLS).
        const rows =
          asOf === today()
            ? // The rollup function is security definer (it reads the whole table); the join with
              // public.grids, under row-level security, keeps the answer to the caller's street as
              // every other date's is (docs/access.md: aggregates are street-scoped).
              await tx.query<GridFigures>(
                `select r.grid_id as id, ${COLUMNS} from public.grid_stats_rollup() r
             where r.grid_id in (select g.id from public.grids g) order by r.grid_id`,
              )
            : isClosedMonthEnd(asOf, today())
              ? await snapshotGridStats(tx, asOf)
              : await tx.query<GridFigures>(
                  `select grid_id as id, ${COLUMNS} from public.grid_stats($1::date)
               where grid_id in (select id from public.grids) order by grid_id`,
                  [asOf],
                );
        return { found, rows, thresholds: await bandThresholds(tx, asOf) };
      });
      const { found } = result;
      return serve<Answer>(
        c,
        { kind: 'grids', asOf, version: found.version, visibility: found.visibility },
        {
          asOf,
          statsVersion: found.version,
          grids: result.rows.map((r) => withBands(r, result.thresholds)),
        },
      );
    })
    .get('/buildings', zValidator('query', z.object({ bbox: bboxParam, asOf: asOfParam(today) }), validationHook), async (c) => {
      const { asOf, bbox } = c.req.valid('query');
      type Answer = { asOf: string; statsVersion: number; buildings: BuildingStats[] };
      const params = bbox.join(',');
      const hit = cached(c, 'buildings', asOf, params);
      if (hit !== undefined) return jsonText<Answer>(c, hit);
      const result = await asCaller(db, c.get('claims'), async (tx) => {
        const found = await statsCheck(tx, 'buildings', asOf, today());
        const source = asOf === today() ? 'public.building_stats_rollup()' : 'public.building_stats($5::date)';
        return {
          found,
          thresholds: await bandThresholds(tx, asOf),
          // The join with buildings, read as the caller, is the street scope (row-level security).
          rows: await tx.query<BuildingFigures & { address: string }>(
            `select s.building_id as id, s.grid_id as "gridId", b.address, ${COLUMNS}
             from ${source} s
             join public.buildings b on b.id = s.building_id
             where b.footprint && ST_MakeEnvelope($1, $2, $3, $4, 4326)
             order by s.building_id`,
            asOf === today() ? bbox : [...bbox, asOf],
          ),
        };
      });
      const { found } = result;
      return serve<Answer>(
        c,
        { kind: 'buildings', asOf, version: found.version, visibility: found.visibility, params },
        {
          asOf,
          statsVersion: found.version,
          buildings: result.rows.map((r) => withBands(r, result.thresholds)),
        },
      );
    });
}
