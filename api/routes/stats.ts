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
import { bandThresholds } from '../lib/band-thresholds';
import { validationHook } from '../lib/errors';
import { asOfParam, bboxParam, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';
import { StatsAnswerCache, type StatsAnswerKey } from '../lib/stats-answer-cache';
import { monthEndFills } from '../reports/month-end-fill';
import { isClosedMonthEnd } from '../reports/month-snapshots';
import { buildingFigures, gridFigures, type StatsCheck, type StatsKind, statsCheck } from '../stats/area-stats';

/** The API's figures are the reference's (docs/metrics.md) plus each metric's band. */
export type AreaStats = GridFigures & { bands: Record<MetricId, BandOrNone> };
/** A building's figures carry its address: vector tiles hold shapes and ids only, and the map's tooltip and panel name it. */
export type BuildingStats = BuildingFigures & { address: string; bands: Record<MetricId, BandOrNone> };

function withBands<T extends GridFigures>(row: T, thresholds: Thresholds): T & { bands: Record<MetricId, BandOrNone> } {
  const bands = Object.fromEntries(METRICS.map((m) => [m, bandOf(m, row[m], thresholds)])) as Record<MetricId, BandOrNone>;
  return { ...row, bands };
}

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
        const rows = await gridFigures(tx, asOf, today());
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
        return {
          found,
          thresholds: await bandThresholds(tx, asOf),
          rows: await buildingFigures(tx, bbox, asOf, today()),
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
