/**
 * `npm run bench [-- --tier community|street|district] [--runs N] [--load-seconds S]`: measures the statistics
 * rollups, the stats API and vector tiles on the embedded PGlite and, when DATABASE_URL is set,
 * on PostgreSQL, side by side in the same run. Every figure is a median and p95 over repeated
 * runs; ratios compare two paths measured in this run on this machine. Prints a markdown table
 * and writes bench/results.json. Not a test: figures are reported, never asserted.
 *
 * Tiers come from the demo generator (~1,600 households and ~6 grids per community): community and
 * street are one demo street of 2 and 18 communities; district (7 streets × 48 communities: 2,100
 * grids, ~59k buildings, ~547k households, ~5.9M visits) and city (67 × 48, on demand only: 20,100
 * grids, ~0.57M buildings, ~5.2M households, ~57M visits) are several streets side by side from
 * geo/demo/district.generator.ts, generated and loaded one street at a time (one transaction per
 * street, 20,000-row statements) so memory stays bounded by one street. Generated databases are
 * cached under node_modules/.cache/minqing/bench/ (PGlite as a data-dir dump, PostgreSQL as a
 * database named minqing_bench_<tier>_<hash> kept on the server, renamed to that name only once
 * fully loaded). `--databases pglite,postgres` picks the databases; district and city default to
 * PostgreSQL only (see PGLITE_LIMIT).
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApp } from '../api/app';
import { issueToken } from '../api/auth/tokens';
import { connect } from '../api/db/connect';
import type { Database, PgliteDatabase } from '../api/db/database';
import { migrate, readMigrations } from '../api/db/migrate';
import { loadDemoStreet } from '../api/db/seed';
import { rebuildStats } from '../api/db/stats-rollups';
import { readEnv } from '../api/env';
import { ChangeFeed } from '../api/live/change-feed';
import { renderTile, type TileRequest } from '../api/lib/vector-tiles';
import { generateDemoDistrict } from '../geo/demo/district.generator';
import { browserBench, BROWSER_ROWS } from './browser.bench';
import { LOAD_ROWS, loadBench } from './load.bench';

/** Streets × communities per street. */
const TIERS = {
  community: { streets: 1, communities: 2 },
  street: { streets: 1, communities: 18 },
  district: { streets: 7, communities: 48 },
  city: { streets: 67, communities: 48 },
} as const;
type Tier = keyof typeof TIERS;
/**
 * Why the large tiers skip the embedded database unless asked for: PGlite runs PostgreSQL in one
 * single-threaded WebAssembly instance (heap capped at 2 GiB: 32,768 pages of 64 KiB in the bundled
 * build) over an in-memory data directory, which the cache then dumps as one gzip blob. A district is
 * ~2 GB on PostgreSQL (5.9M visits); the street tier's 309k visits already take ~15 min to load on
 * PGlite (README), i.e. hours for a district, and the data directory plus its dump would have to sit
 * in the Node process's memory at once.
 */
const PGLITE_LIMIT = 'PGlite skipped: a district (~5.9M visits, ~2 GB of database) would take hours to load into the embedded database (the street tier\'s 309k visits take ~15 min) and its data directory and cache dump would be held in memory whole; pass --databases pglite,postgres to try anyway';
const TODAY = '2026-11-15';
const SECRET = 'bench-only-secret-0123456789abcdef0123456789';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(root, 'node_modules/.cache/minqing/bench');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const tier = (arg('tier') ?? 'street') as Tier;
if (!(tier in TIERS)) {
  console.error(`--tier must be one of ${Object.keys(TIERS).join(', ')}; got ${tier}`);
  process.exit(2);
}
const large = TIERS[tier].streets > 1;
const databases = (arg('databases') ?? (large ? 'postgres' : 'pglite,postgres')).split(',');
const RUNS = Number(arg('runs') ?? 20);
const SLOW_RUNS = Math.max(3, Math.round(RUNS / 4));
const env = readEnv({ DEMO_TODAY: TODAY, DATABASE_URL: '' });
const postgresUrl = readEnv().databaseUrl;

const inputsHash = createHash('sha256')
  .update(JSON.stringify(readMigrations().map((m) => [m.name, m.sql])))
  .update(fs.readFileSync(path.join(root, 'api/db/seed.ts')))
  .update(fs.readFileSync(path.join(root, 'geo/demo/district.generator.ts')))
  .update(`${tier}:${JSON.stringify(TIERS[tier])}:${TODAY}`)
  .digest('hex')
  .slice(0, 12);

const log = (line: string) => console.error(`[bench ${tier}] ${line}`);

async function load(db: Database): Promise<void> {
  await migrate(db);
  const t = performance.now();
  const counts = { streets: 0, grids: 0, households: 0, visits: 0 };
  const { streets, communities } = TIERS[tier];
  // The large tiers load visits and patrols without their per-row audit and change-feed triggers
  // and visits without the far-from-building check (a geography distance per row): together they
  // cost ~300 µs a visit, ~30 min for a district's visits on this shared machine. Seeded rows then
  // have no audit rows, announce no change and carry no distance_m / flagged_for_review, which no
  // measured path reads (stats, tiles, the load mix); the statement-level rollup and snapshot
  // triggers stay on, and all are enabled again before the database is used.
  const rowTriggers: [string, string[]][] = [
    ['visits', ['visits_audit', 'visits_announce', 'visits_flag_far_from_building']],
    ['patrols', ['patrols_audit', 'patrols_announce']],
  ];
  const setTriggers = (how: 'enable' | 'disable') =>
    Promise.all(rowTriggers.map(([table, names]) =>
      db.exec(`alter table public.${table} ${names.map((n) => `${how} trigger ${n}`).join(', ')}`)));
  if (large) await setTriggers('disable');
  for (const street of generateDemoDistrict({ today: TODAY, streets, communitiesPerStreet: communities })) {
    // One transaction per street: a district's millions of rows in one would hold every lock and
    // all of the WAL to the end; a failure drops the half-loaded database anyway (see openPostgres).
    await db.transaction((tx) => loadDemoStreet(tx, street, { accounts: counts.streets === 0 }));
    counts.streets++;
    counts.grids += street.grids.length;
    counts.households += street.households.length;
    counts.visits += street.visits.length;
    log(`loaded street ${counts.streets}/${streets}: ${counts.grids} grids, ${counts.households} households, ${counts.visits} visits in ${ms(performance.now() - t)}`);
  }
  if (large) {
    await setTriggers('enable');
    await db.exec('analyze');
  }
}

async function openPglite(): Promise<Database> {
  const file = path.join(cacheDir, `pglite-${tier}-${inputsHash}.tar.gz`);
  if (fs.existsSync(file)) {
    return connect({ kind: 'pglite', dataDir: 'memory://', loadDataDir: new Blob([fs.readFileSync(file)]) });
  }
  const db = await connect({ kind: 'pglite', dataDir: 'memory://' });
  await load(db);
  fs.mkdirSync(cacheDir, { recursive: true });
  for (const old of fs.readdirSync(cacheDir).filter((f) => f.startsWith(`pglite-${tier}-`))) fs.rmSync(path.join(cacheDir, old));
  const dump = await (db as PgliteDatabase).raw.dumpDataDir('gzip');
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  return db;
}

async function openPostgres(adminUrl: string): Promise<{ db: Database; close(): Promise<void> }> {
  const name = `minqing_bench_${tier}_${inputsHash}`;
  const admin = await connect({ kind: 'postgres', url: adminUrl });
  // Databases of this tier built from older migrations or seed code are of no further use.
  for (const old of await admin.query<{ datname: string }>(
    `select datname from pg_database where datname like $1 and datname <> $2`, [`minqing_bench_${tier}_%`, name])) {
    await admin.exec(`drop database if exists ${old.datname} with (force)`);
  }
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [name])).length > 0;
  const url = new URL(adminUrl);
  if (!exists) {
    // Loaded under a scratch name and renamed when complete: a run killed half-way through a
    // district's load leaves no database that a later run would take for a finished one.
    const loading = `${name}_loading`;
    await admin.exec(`drop database if exists ${loading} with (force)`);
    await admin.exec(`create database ${loading}`);
    url.pathname = `/${loading}`;
    const db = await connect({ kind: 'postgres', url: url.toString() });
    try {
      await load(db);
    } catch (err) {
      await db.close();
      await admin.exec(`drop database if exists ${loading} with (force)`);
      throw err;
    }
    await db.close();
    await admin.exec(`alter database ${loading} rename to ${name}`);
  }
  url.pathname = `/${name}`;
  const db = await connect({ kind: 'postgres', url: url.toString() });
  return { db, close: async () => { await db.close(); await admin.close(); } };
}

// ---------------------------------------------------------------------------------------------
interface Figure { median: number; p95: number; runs: number }
const ms = (x: number) => `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`;
const fig = (x: Figure | number | undefined) =>
  x === undefined ? '–' : typeof x === 'number' ? String(x) : `${ms(x.median)} / ${ms(x.p95)}`;

async function time(runs: number, fn: () => Promise<unknown>): Promise<Figure> {
  await fn(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  out.sort((a, b) => a - b);
  const at = (q: number) => out[Math.min(out.length - 1, Math.ceil(q * out.length) - 1)]!;
  return { median: at(0.5), p95: at(0.95), runs };
}

function tileOf(lon: number, lat: number, z: number): { z: number; x: number; y: number } {
  const n = 2 ** z;
  const r = (lat * Math.PI) / 180;
  return { z, x: Math.floor(((lon + 180) / 360) * n), y: Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n) };
}

/** The tile holding the most shapes (by point on surface) at each zoom. */
async function busiestTile(db: Database, layer: 'grids' | 'buildings', z: number): Promise<TileRequest & { shapes: number }> {
  const geom = layer === 'grids' ? 'boundary' : 'footprint';
  const pts = await db.query<{ lon: number; lat: number }>(
    `select ST_X(p) as lon, ST_Y(p) as lat from (select ST_PointOnSurface(${geom}) as p from public.${layer}) q`);
  const counts = new Map<string, number>();
  for (const p of pts) {
    const t = tileOf(p.lon, p.lat, z);
    const k = `${t.x}/${t.y}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const [best, shapes] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]!;
  const [x, y] = best.split('/').map(Number) as [number, number];
  return { layer, z, x, y, shapes };
}

type Results = Record<string, Figure | number>;

async function measure(db: Database): Promise<Results> {
  // Each figure is logged as it is taken: a long tier's run that is stopped part-way (the district's
  // first run was) keeps what it measured in its log.
  const r: Results = new Proxy({} as Results, {
    set(target, key, value: Figure | number) {
      target[key as string] = value;
      log(`${db.kind}: ${String(key)} = ${fig(value)}`);
      return true;
    },
  });
  const [leader] = await db.query<{ user_id: string }>(`select user_id from minqing.local_accounts where email = 'street@demo.local'`);
  const token = await issueToken(SECRET, { id: leader!.user_id, email: 'street@demo.local' });
  const [member] = await db.query<{ user_id: string; household_id: number }>(
    `select a.user_id, (select h.id from public.households h join public.buildings b on b.id = h.building_id
                        where b.grid_id = sg.grid_id and h.moved_out is null order by h.id limit 1) as household_id
     from minqing.local_accounts a join public.staff s on s.user_id = a.user_id join public.staff_grids sg on sg.staff_id = s.id
     where a.email = 'member01@demo.local' order by sg.grid_id limit 1`);
  const memberToken = await issueToken(SECRET, { id: member!.user_id, email: 'member01@demo.local' });
  const newApp = () => createApp({ db, env, jwtSecret: SECRET });
  const app = newApp();
  const get = (p: string, headers: Record<string, string> = {}) =>
    app.request(p, { headers: { authorization: `Bearer ${token}`, ...headers } });

  const [size] = await db.query<{ grids: number; buildings: number; households: number; visits: number }>(
    `select (select count(*) from public.grids)::int as grids, (select count(*) from public.buildings)::int as buildings,
            (select count(*) from public.households)::int as households, (select count(*) from public.visits)::int as visits`);
  Object.assign(r, size);

  log(`${db.kind}: full rebuild`);
  r.rebuild = await time(Math.min(3, SLOW_RUNS), () => rebuildStats(db, TODAY));
  log(`${db.kind}: grid stats`);
  r.gridStatsOnTheFly = await time(SLOW_RUNS, () => db.query('select * from public.grid_stats($1::date)', [TODAY]));
  r.gridStatsRollup = await time(RUNS, () => db.query('select * from public.grid_stats_rollup()'));
  r.gridRollupBareSelect = await time(RUNS, () => db.query('select * from minqing.grid_rollup'));
  r.gridStatsApi = await time(RUNS, async () => (await get('/api/stats/grids')).arrayBuffer());
  const etag = (await get('/api/stats/grids')).headers.get('etag')!;
  r.gridStatsApi304 = await time(RUNS, async () => (await get('/api/stats/grids', { 'if-none-match': etag })).arrayBuffer());
  r.gridStatsApiPastDate = await time(SLOW_RUNS, async () => (await get('/api/stats/grids?asOf=2026-06-29')).arrayBuffer());
  // A closed month's last day: the warm-up call stores its snapshot, the runs read it.
  r.gridStatsApiMonthEnd = await time(RUNS, async () => (await get('/api/stats/grids?asOf=2026-06-30')).arrayBuffer());

  log(`${db.kind}: tiles`);
  const version = (await db.query<{ v: number }>('select public.geometry_version() as v'))[0]!.v;
  for (const [layer, z] of [['grids', 12], ['grids', 14], ['buildings', 15], ['buildings', 16]] as const) {
    const t = await busiestTile(db, layer, z);
    const url = `/api/tiles/${layer}/${z}/${t.x}/${t.y}.mvt?v=${version}`;
    const key = `tile_${layer}_z${z}`;
    r[`${key}_shapes`] = t.shapes;
    r[`${key}_bytes`] = (await renderTile(db, db.kind, t)).byteLength;
    r[`${key}_rawSql`] = await time(RUNS, () => renderTile(db, db.kind, t));
    r[`${key}_apiCold`] = await time(RUNS, async () =>
      (await newApp().request(url, { headers: { authorization: `Bearer ${token}` } })).arrayBuffer());
    r[`${key}_apiCached`] = await time(RUNS, async () => (await get(url)).arrayBuffer());
  }

  Object.assign(r, await browserBench(db, { env, secret: SECRET, token, userId: leader!.user_id, runs: RUNS, slowRuns: SLOW_RUNS, log: (l) => log(`${db.kind}: ${l}`) }));

  log(`${db.kind}: ingest`);
  const [staff] = await db.query<{ id: number }>('select min(id)::int as id from public.staff');
  const oneVisit = () => db.query(
    `insert into public.visits (household_id, visitor_id, visited_at, method, result)
     values ((select id from public.households order by random() limit 1), $1, $2, 'in_person', 'met')`,
    [staff!.id, `${TODAY}T10:00:00+08:00`]);
  const bulk = (n: number) => () => db.query(
    `insert into public.visits (household_id, visitor_id, visited_at, method, result)
     select id, $1, $2, 'in_person', 'met' from public.households order by random() limit ${n}`,
    [staff!.id, `${TODAY}T11:00:00+08:00`]);
  r.visitInsertMaintained = await time(RUNS, oneVisit);
  r.bulk2000Maintained = await time(3, bulk(2000));
  await db.query('update minqing.stats_state set as_of = null');  // maintenance off: the unbuilt fast path
  r.visitInsertUnmaintained = await time(RUNS, oneVisit);
  r.bulk2000Unmaintained = await time(3, bulk(2000));
  await rebuildStats(db, TODAY);

  log(`${db.kind}: live recolour`);
  const feed = new ChangeFeed(db);
  const memberApp = newApp();
  r.liveRecolour = await time(Math.min(5, SLOW_RUNS), async () => {
    let resolve!: () => void;
    const seen = new Promise<void>((res) => (resolve = res));
    const stop = await feed.subscribe(() => resolve());
    const res = await memberApp.request('/api/visits', {
      method: 'POST',
      headers: { authorization: `Bearer ${memberToken}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ householdId: member!.household_id, visitedAt: `${TODAY}T09:00:00+08:00`, method: 'in_person', result: 'met', durationMin: 10 }),
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`POST /api/visits answered ${res.status}: ${await res.text()}`);
    await seen;
    await (await get('/api/stats/grids')).arrayBuffer();
    stop();
  });
  await feed.close();
  Object.assign(r, await loadBench(db, { env, jwtSecret: SECRET, token, today: TODAY, seconds: Number(arg('load-seconds') ?? 60), log }));
  return r;
}

// ---------------------------------------------------------------------------------------------
const results: Record<string, Results> = {};
const started = performance.now();
if (databases.includes('pglite')) {
  const t = performance.now();
  const db = await openPglite();
  log(`PGlite ready in ${ms(performance.now() - t)}`);
  try { results.pglite = await measure(db); } finally { await db.close(); }
} else if (large) {
  log(PGLITE_LIMIT);
}
if (postgresUrl && databases.includes('postgres')) {
  const t = performance.now();
  const pg = await openPostgres(postgresUrl);
  log(`PostgreSQL ready in ${ms(performance.now() - t)}`);
  try { results.postgres = await measure(pg.db); } finally { await pg.close(); }
}

const med = (db: string, k: string) => (results[db]?.[k] as Figure | undefined)?.median;
const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? '–' : `${(a / b).toFixed(a / b < 10 ? 2 : 0)}×`);

const ROWS: [string, string][] = [
  ['gridStatsOnTheFly', 'grid stats, on the fly (grid_stats)'],
  ['gridStatsRollup', 'grid stats, rollup (grid_stats_rollup)'],
  ['gridRollupBareSelect', 'bare SELECT of minqing.grid_rollup'],
  ['gridStatsApi', 'GET /api/stats/grids (today, rollup)'],
  ['gridStatsApi304', 'GET /api/stats/grids, If-None-Match → 304'],
  ['gridStatsApiPastDate', 'GET /api/stats/grids?asOf=2026-06-29 (on the fly)'],
  ['gridStatsApiMonthEnd', 'GET /api/stats/grids?asOf=2026-06-30 (month-end snapshot)'],
  ['rebuild', 'full rollup rebuild'],
  ...(['grids_z12', 'grids_z14', 'buildings_z15', 'buildings_z16'] as const).flatMap((k): [string, string][] => [
    [`tile_${k}_rawSql`, `tile ${k.replace('_', ' ')} busiest: raw SQL`],
    [`tile_${k}_apiCold`, `tile ${k.replace('_', ' ')} busiest: API, cold`],
    [`tile_${k}_apiCached`, `tile ${k.replace('_', ' ')} busiest: API, cached`],
  ]),
  ['visitInsertMaintained', 'one visit INSERT, rollups maintained'],
  ['visitInsertUnmaintained', 'one visit INSERT, no rollup maintenance'],
  ['bulk2000Maintained', '2,000 visits in one INSERT, maintained'],
  ['bulk2000Unmaintained', '2,000 visits in one INSERT, not maintained'],
  ['liveRecolour', 'POST /api/visits → change event → GET stats'],
  ...BROWSER_ROWS,
  ...LOAD_ROWS,
];
const dbs = Object.keys(results);
const lines: string[] = [];
if (dbs.length === 0) {
  console.error('No database measured: DATABASE_URL is unset and --databases left out pglite.');
  process.exit(2);
}
const size = results[dbs[0]!]!;
lines.push(`### Tier \`${tier}\`: ${size.grids} grids, ${size.buildings} buildings, ${size.households} households, ${size.visits} visits`);
lines.push(`${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}; ${RUNS} runs (slow paths ${SLOW_RUNS}), median / p95`);
lines.push('');
lines.push(`| measurement | ${dbs.map((d) => (d === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL')).join(' | ')} |${dbs.length > 1 ? ' PostgreSQL ÷ embedded |' : ''}`);
lines.push(`|---|${dbs.map(() => '---').join('|')}|${dbs.length > 1 ? '---|' : ''}`);
for (const [k, label] of ROWS) {
  lines.push(`| ${label} | ${dbs.map((d) => fig(results[d]![k])).join(' | ')} |${dbs.length > 1 ? ` ${ratio(med('postgres', k), med('pglite', k))} |` : ''}`);
}
lines.push('');
lines.push(`| ratio (medians, same run) | ${dbs.join(' | ')} |`);
lines.push(`|---|${dbs.map(() => '---').join('|')}|`);
const ratios: [string, (d: string) => string][] = [
  ['on-the-fly ÷ rollup (grid stats speed-up)', (d) => ratio(med(d, 'gridStatsOnTheFly'), med(d, 'gridStatsRollup'))],
  ['API ÷ bare SELECT (API overhead)', (d) => ratio(med(d, 'gridStatsApi'), med(d, 'gridRollupBareSelect'))],
  ['tile API cold ÷ raw SQL, buildings z15', (d) => ratio(med(d, 'tile_buildings_z15_apiCold'), med(d, 'tile_buildings_z15_rawSql'))],
  ['tile API cold ÷ cached, buildings z15', (d) => ratio(med(d, 'tile_buildings_z15_apiCold'), med(d, 'tile_buildings_z15_apiCached'))],
  ['tile API cold ÷ raw SQL, grids z12', (d) => ratio(med(d, 'tile_grids_z12_apiCold'), med(d, 'tile_grids_z12_rawSql'))],
  ['rollup maintenance per visit in bulk (µs)', (d) => {
    const a = med(d, 'bulk2000Maintained'), b = med(d, 'bulk2000Unmaintained');
    return a === undefined || b === undefined ? '–' : `${(((a - b) / 2000) * 1000).toFixed(0)} µs`;
  }],
];
for (const [label, f] of ratios) lines.push(`| ${label} | ${dbs.map(f).join(' | ')} |`);
if (!results.pglite && large) lines.push('', PGLITE_LIMIT);
lines.push('');
lines.push(`Tile sizes (busiest tile, bytes): ${(['grids_z12', 'grids_z14', 'buildings_z15', 'buildings_z16'] as const)
  .map((k) => `${k} ${size[`tile_${k}_bytes`]} B (${size[`tile_${k}_shapes`]} shapes)`).join(', ')}`);
const table = lines.join('\n');
console.log(table);

const file = path.join(root, 'bench/results.json');
const previous = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
previous[tier] = { at: new Date().toISOString(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, memGB: Math.round(os.totalmem() / 2 ** 30) }, runs: RUNS, results, markdown: table };
fs.writeFileSync(file, `${JSON.stringify(previous, null, 2)}\n`);
log(`done in ${ms(performance.now() - started)}; wrote bench/results.json`);
