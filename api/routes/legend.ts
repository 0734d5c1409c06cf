import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { legend } from '../../geo/metrics/legend';
import type { AppDeps } from '../app';
import { bandThresholds } from '../lib/band-thresholds';
import { validationHook } from '../lib/errors';
import { asOfParam, productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

/** The bands in force at asOf (the street-wide policy may move their boundaries). */
export function legendRoutes({ db, env }: AppDeps) {
  const today = () => productToday(env);
  return new Hono<AppEnv>().get('/', zValidator('query', z.object({ asOf: asOfParam(today) }), validationHook), async (c) => {
    const { asOf } = c.req.valid('query');
    const thresholds = await asCaller(db, c.get('claims'), (tx) => bandThresholds(tx, asOf));
    return c.json({ asOf, metrics: legend(thresholds) });
  });
}
