import { Hono } from 'hono';
import type { AppDeps } from '../app';

export function healthRoutes({ db }: AppDeps) {
  return new Hono().get('/', async (c) => {
    const [row] = await db.query<{ postgis: string }>('select postgis_lib_version() as postgis');
    return c.json({ status: 'ok' as const, database: db.kind, postgis: row?.postgis ?? 'unknown' });
  });
}
