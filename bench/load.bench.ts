/**
 * The bench's load run (issue #9): the real API on a loopback HTTP server, `connections`
 * concurrent users for `seconds`, each cycling through a mix of what an open map asks for —
 * the stats for today and for a closed month, buildings' stats for a viewport, grid and building
 * tiles around the busiest ones, and detail requests (a household card, an issue).
 * autocannon drives it; every response's latency is recorded in the server, so that p50/p95/p99
 * come from all of them (autocannon's own histogram has no p95), overall and per kind. Errors are
 * socket errors, timeouts and any non-2xx/304 answer (a 504 from the request timeout included),
 * counted per status and per kind; an error is never a latency sample, so the percentiles are
 * those of the answers users got. Bounded: loopback only, a fixed duration.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { createApp } from '../api/app';
import type { Database } from '../api/db/database';
import { rebuildStats, rollupDate, warmMonthSnapshots } from '../api/db/stats-rollups';
import type { Env } from '../api/env';

export interface LoadRequest {
  kind: 'stats' | 'tiles' | 'detail';
  path: string;
}

export interface Latencies {
  n: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface LoadFigures extends Latencies {
  seconds: number;
  connections: number;
  requestsPerSecond: number;
  errors: number;
  non2xx: number;
  timeouts: number;
  byKind: Record<LoadRequest['kind'], Latencies & { errors: number }>;
  /** Error answers by HTTP status. */
  byStatus: Record<string, number>;
}

function percentiles(xs: number[]): Latencies {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!);
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** The request mix: one list that every connection walks round, so each user asks for all kinds. */
export async function loadMix(
  db: Database,
  opts: {
    geometryVersion: number;
    tiles: Array<{ layer: string; z: number; x: number; y: number }>;
    bbox: [number, number, number, number];
    closedMonthEnd: string;
  },
): Promise<LoadRequest[]> {
  const households = await db.query<{ id: number }>(
    `select id from public.households where moved_out is null order by id % 97, id limit 20`,
  );
  const issues = await db.query<{ id: number }>(`select id from public.issues order by id % 89, id limit 10`);
  const mix: LoadRequest[] = [];
  // Neighbours of the busiest tiles: some cold at first, cached after.
  const tiles = opts.tiles.flatMap((t) => [-1, 0, 1].flatMap((dx) => [-1, 0, 1].map((dy) => ({ ...t, x: t.x + dx, y: t.y + dy }))));
  for (let i = 0; i < 20; i++) {
    mix.push({ kind: 'stats', path: i % 4 === 3 ? `/api/stats/grids?asOf=${opts.closedMonthEnd}` : '/api/stats/grids' });
    const t = tiles[i % tiles.length]!;
    mix.push({ kind: 'tiles', path: `/api/tiles/${t.layer}/${t.z}/${t.x}/${t.y}.mvt?v=${opts.geometryVersion}` });
    const u = tiles[(i * 7 + 3) % tiles.length]!;
    mix.push({ kind: 'tiles', path: `/api/tiles/${u.layer}/${u.z}/${u.x}/${u.y}.mvt?v=${opts.geometryVersion}` });
    mix.push(
      i % 2 === 0
        ? { kind: 'detail', path: `/api/households/${households[i % households.length]!.id}` }
        : { kind: 'detail', path: `/api/issues/${issues[i % issues.length]!.id}` },
    );
    if (i % 5 === 0) mix.push({ kind: 'stats', path: `/api/stats/buildings?bbox=${opts.bbox.join(',')}` });
  }
  return mix;
}

const kindOf = (path: string): LoadRequest['kind'] =>
  path.startsWith('/api/tiles/') ? 'tiles' : path.startsWith('/api/stats/') ? 'stats' : 'detail';

export async function loadRun(
  db: Database,
  opts: { env: Env; jwtSecret: string; token: string; seconds: number; connections: number; mix: LoadRequest[] },
): Promise<LoadFigures> {
  const app = createApp({ db, env: opts.env, jwtSecret: opts.jwtSecret });
  const all: number[] = [];
  const byKind: Record<LoadRequest['kind'], number[]> = { stats: [], tiles: [], detail: [] };
  let non2xx = 0;
  const kindErrors: Record<LoadRequest['kind'], number> = { stats: 0, tiles: 0, detail: 0 };
  const byStatus: Record<string, number> = {};
  let inFlight = 0;
  // Timed in the server from the request's arrival to its full body: with one request in flight
  // per user, the same as the user waits on loopback, and classified by its own path.
  const timed = async (req: Request): Promise<Response> => {
    const t = performance.now();
    inFlight += 1;
    try {
      const res = await app.fetch(req);
      const body = await res.arrayBuffer();
      const ms = performance.now() - t;
      const kind = kindOf(new URL(req.url).pathname);
      if ((res.status >= 200 && res.status < 300) || res.status === 304) {
        all.push(ms);
        byKind[kind].push(ms);
      } else {
        non2xx += 1;
        kindErrors[kind] += 1;
        byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
      }
      return new Response(res.status === 304 ? null : body, { status: res.status, headers: res.headers });
    } finally {
      inFlight -= 1;
    }
  };
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: timed, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
  });
  const { port } = server.address() as AddressInfo;
  try {
    let finish!: (err: Error | null, result: autocannon.Result) => void;
    const done = new Promise<autocannon.Result>((resolve, reject) => {
      finish = (err, result) => (err ? reject(err) : resolve(result));
    });
    autocannon(
      {
        url: `http://127.0.0.1:${port}`,
        connections: opts.connections,
        duration: opts.seconds,
        timeout: 30,
        headers: { authorization: `Bearer ${opts.token}` },
        requests: opts.mix.map((r) => ({ method: 'GET' as const, path: r.path })),
      },
      (err, result) => finish(err, result),
    );
    const result = await done;
    // Requests still being answered when the clock stopped finish before the database closes.
    while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
    return {
      ...percentiles(all),
      seconds: opts.seconds,
      connections: opts.connections,
      requestsPerSecond: result.requests.total / opts.seconds,
      errors: result.errors + non2xx,
      non2xx,
      timeouts: result.timeouts,
      byKind: {
        stats: { ...percentiles(byKind.stats), errors: kindErrors.stats },
        tiles: { ...percentiles(byKind.tiles), errors: kindErrors.tiles },
        detail: { ...percentiles(byKind.detail), errors: kindErrors.detail },
      },
      byStatus,
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function tileOf(lon: number, lat: number, z: number): { z: number; x: number; y: number } {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return { z, x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) };
}

function tileBbox(z: number, x: number, y: number): [number, number, number, number] {
  const n = 2 ** z;
  const lon = (i: number) => (i / n) * 360 - 180;
  const lat = (j: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * j) / n))) * 180) / Math.PI;
  return [lon(x), lat(y + 1), lon(x + 1), lat(y)];
}

/** The load run's figures as the bench's flat results (milliseconds, rounded), for its table and JSON. */
export type LoadResults = Record<string, number>;

/**
 * The whole load run for the bench: picks the map's busiest place (the grid with the most
 * buildings), its tiles and viewport, signs in the street leader, and runs `seconds` (0: skip).
 */
export async function loadBench(
  db: Database,
  opts: { env: Env; jwtSecret: string; token: string; today: string; seconds: number; connections?: number; log?: (line: string) => void },
): Promise<LoadResults> {
  if (!(opts.seconds > 0)) return {};
  const [c] = await db.query<{ lon: number; lat: number }>(
    `select ST_X(p) as lon, ST_Y(p) as lat from (
       select ST_Centroid(ST_Collect(ST_PointOnSurface(b.footprint))) as p from public.buildings b
       where b.grid_id = (select grid_id from public.buildings where grid_id is not null group by grid_id order by count(*) desc, grid_id limit 1)) q`,
  );
  const [{ v }] = (await db.query<{ v: number }>('select public.geometry_version() as v')) as [{ v: number }];
  const tiles = [
    { layer: 'grids', ...tileOf(c!.lon, c!.lat, 12) },
    { layer: 'grids', ...tileOf(c!.lon, c!.lat, 14) },
    { layer: 'buildings', ...tileOf(c!.lon, c!.lat, 15) },
    { layer: 'buildings', ...tileOf(c!.lon, c!.lat, 16) },
  ];
  const z15 = tiles[2]!;
  const [y, m] = opts.today.split('-').map(Number) as [number, number];
  const closedMonthEnd = new Date(Date.UTC(y, m - 1, 0)).toISOString().slice(0, 10);
  const mix = await loadMix(db, { geometryVersion: v, tiles, bbox: tileBbox(z15.z, z15.x, z15.y), closedMonthEnd });
  // As after the nightly `npm run stats:rebuild`: today's rollups and the last closed month stored
  // (the rollups are rebuilt only if something left them on another date: at a district a
  // rebuild is a minute or more).
  const prepared = performance.now();
  if ((await rollupDate(db)) !== opts.today) await rebuildStats(db, opts.today);
  const filled = await warmMonthSnapshots(db, opts.today, 1);
  const prepareMs = performance.now() - prepared;
  opts.log?.(
    `${db.kind}: load run prepared in ${Math.round(prepareMs)} ms${filled.length > 0 ? ` (filled the month-end snapshot ${filled.join(', ')})` : ''}`,
  );
  const connections = opts.connections ?? 50;
  opts.log?.(`${db.kind}: load run, ${connections} users for ${opts.seconds} s`);
  const f = await loadRun(db, { env: opts.env, jwtSecret: opts.jwtSecret, token: opts.token, seconds: opts.seconds, connections, mix });
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    load_seconds: f.seconds,
    load_connections: f.connections,
    load_answers: f.n,
    load_prepare_ms: Math.round(prepareMs),
    load_p50: r1(f.p50),
    load_p95: r1(f.p95),
    load_p99: r1(f.p99),
    load_errors: f.errors,
    load_non2xx: f.non2xx,
    load_timeouts: f.timeouts,
    load_rps: r1(f.requestsPerSecond),
    load_stats_p95: r1(f.byKind.stats.p95),
    load_stats_errors: f.byKind.stats.errors,
    load_tiles_p95: r1(f.byKind.tiles.p95),
    load_tiles_errors: f.byKind.tiles.errors,
    load_detail_p95: r1(f.byKind.detail.p95),
    load_detail_errors: f.byKind.detail.errors,
    ...Object.fromEntries(Object.entries(f.byStatus).map(([status, n]) => [`load_status_${status}`, n])),
  };
}
