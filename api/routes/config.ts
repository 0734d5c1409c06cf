/** What the web app needs to know before it draws: the basemap, and the street it shows. */
import { Hono } from 'hono';
import type { AppDeps } from '../app';
import { productToday } from '../lib/query-params';
import { type AppEnv, asCaller } from '../lib/request-db';

export interface StreetInfo {
  id: number;
  code: string;
  name: string;
  isDemo: boolean;
  /** The street's own grid code pattern, or null for the 15-digit scheme (docs/boundaries.md). */
  gridCodePattern: string | null;
  /** Null while a street set up by name and code has no community yet. */
  bbox: [number, number, number, number] | null;
  communities: { id: number; code: string; name: string }[];
}

export function configRoutes({ db, env }: AppDeps) {
  return new Hono<AppEnv>().get('/', async (c) => {
    const streets = await asCaller(db, c.get('claims'), (tx) =>
      tx.query<StreetInfo>(`
        select s.id, s.code, s.name, s.is_demo as "isDemo", s.grid_code_pattern as "gridCodePattern",
          case when s.boundary is not null
            then json_build_array(ST_XMin(s.boundary), ST_YMin(s.boundary), ST_XMax(s.boundary), ST_YMax(s.boundary)) end as bbox,
          coalesce((select json_agg(json_build_object('id', c.id, 'code', c.code, 'name', c.name) order by c.code)
                    from public.communities c where c.street_id = s.id), '[]'::json) as communities
        from public.streets s
        order by s.code`),
    );
    // The web app's date picker must not offer days after today in China.
    return c.json({ basemap: env.basemap, today: productToday(env), streets });
  });
}
