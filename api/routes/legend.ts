import { Hono } from 'hono';
import { legend } from '../../geo/metrics/legend';

export function legendRoutes() {
  return new Hono().get('/', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.json({ metrics: legend() });
  });
}
