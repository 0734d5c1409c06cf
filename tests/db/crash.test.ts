/**
 * Crash suite (issue 10): the real server (`npm start`'s entry point, a separate process) is
 * killed with SIGKILL in the middle of an import commit, a boundary commit and a burst of 50
 * visit submissions, on the embedded database (a copy of the seeded data directory) and on
 * PostgreSQL (a copy of the seeded template). After each kill the data is opened directly and
 * must be exactly the state before or after each transaction, with the migrations ledger
 * untouched; the next start on the same data proves the server comes back (the starts after the
 * import's and the redraw's kills; after the burst's, the direct opening has already recovered the
 * data, which is all a further start would have started on).
 *
 * "In the middle" is made certain, not hoped for: a statement trigger on public.buildings (put
 * there by the test, like the fault injections in boundary-commit-api.test.ts) leaves a mark and
 * sleeps once the commit has written its rows, so the kill lands inside an open transaction that
 * has already written. On PostgreSQL the mark is the sleeping backend in pg_stat_activity; the
 * embedded database has no outside view, so its trigger writes a file into the data directory.
 * docs/reliability.md says what this proves and what it found.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { connect } from '../../api/db/connect';
import { type Database, sharedParsers, wrapPglite } from '../../api/db/database';
import { statsDrift } from '../../api/db/stats-rollups';
import { ROLE_ACCOUNTS } from '../support/callers';
import { type Mode, type ScratchPostgres, seededPostgres } from '../support/databases';
import { DEMO_PASSWORD, DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';
import { describeWith, postgresPrerequisite } from '../support/prerequisites';

const root = path.resolve(import.meta.dirname, '../..');
/** The server's connections on PostgreSQL, told apart from the test's own. */
const SERVER_APP_NAME = 'minqing-crash-server';
/** Rows of the import killed mid-commit: enough that it is a real batch, few enough to stay quick. */
const IMPORT_ROWS = 200;
const VISITS = 50;
const PAUSE_S = 2;
/** Each test starts the server (a few seconds idle, a minute on a loaded 2-core machine) and opens the data once. */
const TEST_TIMEOUT_MS = 300_000;

interface Server {
  url: string;
  child: ChildProcess;
  output: () => string;
}

function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/start.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', DEMO_TODAY, JWT_SECRET: TEST_JWT_SECRET, WEB_BUILD: 'skip', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 120 s:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /is running at (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before it was ready:\n${output}`));
    });
  });
}

async function sigkill(server: Server): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGKILL');
  await exited;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const square = (x: number, y: number, d: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [x, y],
      [x + d, y],
      [x + d, y + d],
      [x, y + d],
      [x, y],
    ],
  ],
});

for (const mode of ['pglite', 'postgres'] as Mode[]) {
  const pg = postgresPrerequisite();
  describeWith(mode === 'pglite' ? { ok: true, reason: '' } : pg, `crash mid-write [${mode}]`, () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'minqing-crash-'));
    const marker = path.join(dataDir, 'pglite', 'crash-marker');
    let scratch: ScratchPostgres | undefined;
    let serverEnv: Record<string, string>;
    let server: Server | undefined;

    /**
     * The data, opened directly while no server runs. After a kill the embedded directory is
     * opened without PostGIS (loading it is most of an open's 5–15 s): that first open is where
     * PostgreSQL replays its write-ahead log, which needs no extension code, the checks read no
     * geometry, and the next test's start opens the directory exactly as the product does.
     */
    async function inspect<T>(fn: (db: Database) => Promise<T>, withPostgis = false): Promise<T> {
      if (scratch) return fn(scratch.db);
      const dir = path.join(dataDir, 'pglite');
      const db = withPostgis
        ? await connect({ kind: 'pglite', dataDir: dir })
        : wrapPglite(await PGlite.create({ dataDir: dir, parsers: sharedParsers }));
      try {
        return await fn(db);
      } finally {
        await db.close();
      }
    }

    /** The embedded trigger's mark: the time of the last pause. */
    const readMark = () => (fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : '');

    /**
     * Resolves once the buildings trigger has paused a transaction that has written its rows;
     * fails at once, with the answer, if `request` is answered first (it never reached the pause).
     */
    async function paused(request: Promise<unknown>, markBefore: string): Promise<void> {
      let answered: unknown;
      void request.then((a) => (answered = a ?? 'answered'));
      const answeredFirst = () => {
        if (answered)
          throw new Error(`the request was answered before it reached the pause: ${JSON.stringify(answered)}\n${server?.output()}`);
      };
      if (scratch) {
        await until(
          'the commit to pause in its trigger',
          async () => {
            answeredFirst();
            const [r] = await scratch!.db.query<{ n: number }>(
              `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1 and wait_event = 'PgSleep'`,
              [SERVER_APP_NAME],
            );
            return r!.n > 0;
          },
          120_000,
        );
      } else {
        // The mark is rewritten, never deleted: removing it behind PGlite's back leaves its
        // in-memory file tree naming a file that is gone, and the next write to it fails.
        await until('the commit to pause in its trigger', () => readMark() !== markBefore || (answeredFirst(), false), 120_000);
      }
    }

    /**
     * SIGKILL, then wait for what the crash leaves behind to settle: PostgreSQL ends the dead
     * server's sessions (rolling back their transactions) when it finds their sockets closed.
     */
    async function crash(): Promise<void> {
      await sigkill(server!);
      server = undefined;
      if (scratch) {
        await until(
          "the killed server's sessions to end",
          async () => {
            const [r] = await scratch!.db.query<{ n: number }>(
              `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = $1`,
              [SERVER_APP_NAME],
            );
            return r!.n === 0;
          },
          30_000,
        );
      }
    }

    /**
     * Starts the server on the data the last kill left, and requires it to serve as it did: no
     * migration applied again, no demo seeded again. Every start but the first is such a start.
     */
    async function restart(): Promise<string> {
      server = await startServer(serverEnv);
      const health = await fetch(new URL('api/health', server.url));
      expect(await health.json()).toMatchObject({ status: 'ok', database: mode });
      expect(server.output()).not.toMatch(/applied \d+ migration|seeded the demo street/);
      return server.url;
    }

    async function login(email: string): Promise<string> {
      const res = await fetch(new URL('api/auth/login', server!.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: DEMO_PASSWORD }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { access_token: string }).access_token;
    }

    const api = (token: string, route: string, init: RequestInit = {}) =>
      fetch(new URL(`api/${route}`, server!.url), { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    /** The answer's status and body, or the Error of a request the server never answered. */
    const answer = (res: Promise<Response>) =>
      res.then(
        async (r) => ({ status: r.status, body: (await r.json()) as unknown }),
        (e: Error) => e,
      );

    let migrations: unknown[];
    let communityId: number;
    let importOrigin: { x: number; y: number };
    let boundary: { grid: number; neighbour: number; building: number; grown: unknown; shrunk: unknown };
    let households: number[];

    /** The ledger is exactly as it was: same versions, names and SHA-256s. */
    const ledgerIntact = async (db: Database) =>
      expect(await db.query('select version, name, checksum from minqing.schema_migrations order by version')).toEqual(migrations);

    /** Boundary history agrees with the present: one open version per grid (its current one), one open assignment per building (its grid). */
    const boundaryConsistent = async (db: Database) => {
      const [r] = await db.query<Record<string, number>>(
        `select
           (select count(*)::int from public.grids g where (select count(*) from public.grid_versions v where v.grid_id = g.id and v.valid_to is null) <> 1
              or not exists (select 1 from public.grid_versions v where v.grid_id = g.id and v.valid_to is null and v.version = g.version)) as "gridsWithoutOneOpenVersion",
           (select count(*)::int from public.buildings b where (select count(*) from public.building_grid_history h where h.building_id = b.id and h.valid_to is null) <> 1
              or not exists (select 1 from public.building_grid_history h where h.building_id = b.id and h.valid_to is null and h.grid_id is not distinct from b.grid_id)) as "buildingsWithoutOneOpenAssignment",
           (select count(*)::int from public.buildings where grid_id is null) as "buildingsInNoGrid"`,
      );
      expect(r).toEqual({ gridsWithoutOneOpenVersion: 0, buildingsWithoutOneOpenAssignment: 0, buildingsInNoGrid: 0 });
    };

    beforeAll(async () => {
      if (mode === 'postgres') {
        scratch = await seededPostgres(pg.url!);
        const url = new URL(scratch.url);
        url.searchParams.set('application_name', SERVER_APP_NAME);
        serverEnv = { DATA_DIR: dataDir, DATABASE_URL: url.toString() };
      } else {
        fs.cpSync(inject('pgliteSeededDir'), path.join(dataDir, 'pglite'), { recursive: true });
        serverEnv = { DATA_DIR: dataDir, DATABASE_URL: '' };
      }
      await inspect(async (db) => {
        migrations = await db.query('select version, name, checksum from minqing.schema_migrations order by version');
        expect(migrations.length).toBeGreaterThan(10);
        [{ communityId }] = (await db.query<{ communityId: number }>(
          'select community_id as "communityId" from public.staff where email = $1',
          [ROLE_ACCOUNTS.community_staff],
        )) as [{ communityId: number }];
        [importOrigin] = (await db.query<{ x: number; y: number }>(
          `select ST_X(p) as x, ST_Y(p) as y from public.grids g
           cross join lateral (select ST_PointOnSurface(ST_Buffer(g.boundary::geography, -40)::geometry) as p) s
           where g.community_id = $1 order by g.id limit 1`,
          [communityId],
        )) as [{ x: number; y: number }];
        // As in boundary-commit-api.test.ts: a building of a neighbouring grid near the shared edge, and both grids redrawn so it changes hands.
        const [c] = await db.query<{ grid: number; neighbour: number; building: number }>(
          `with a as (select g.id, g.boundary from public.grids g join public.staff_grids sg on sg.grid_id = g.id join public.staff s on s.id = sg.staff_id
                      where s.email = $1 order by g.id limit 1)
           select a.id as grid, b.grid_id as neighbour, b.id as building
           from public.buildings b join public.grids n on n.id = b.grid_id, a
           where n.id <> a.id and n.community_id = (select community_id from public.grids where id = a.id)
             and ST_DWithin(b.footprint, a.boundary, 0.0004)
             and not exists (select 1 from public.buildings o where o.id <> b.id and ST_Intersects(o.footprint,
                   ST_Expand(ST_Collect(b.footprint, ST_ClosestPoint(ST_Boundary(a.boundary), b.footprint)), 0.00002)))
           order by b.id limit 1`,
          [ROLE_ACCOUNTS.grid_leader],
        );
        const [shapes] = await db.query<{ grown: unknown; shrunk: unknown }>(
          `with t as (select boundary from public.grids where id = $3), f as (select boundary from public.grids where id = $2),
                b as (select footprint from public.buildings where id = $1),
                piece as (select ST_CollectionExtract(ST_Intersection(f.boundary, ST_Expand(ST_Collect(b.footprint, ST_ClosestPoint(ST_Boundary(t.boundary), b.footprint)), 0.00002), 1e-7), 3) as g from t, f, b)
           select ST_AsGeoJSON(ST_Multi(ST_Union(t.boundary, piece.g, 1e-7)))::json as grown, ST_AsGeoJSON(ST_Multi(ST_Difference(f.boundary, piece.g, 1e-7)))::json as shrunk
           from t, f, piece`,
          [c!.building, c!.neighbour, c!.grid],
        );
        boundary = { ...c!, ...shapes! };
        households = (
          await db.query<{ id: number }>(
            `select h.id from public.households h join public.buildings b on b.id = h.building_id
             where b.grid_id = (select sg.grid_id from public.staff_grids sg join public.staff s on s.id = sg.staff_id where s.email = $1 order by 1 limit 1)
               and h.moved_out is null and h.moved_in < '2026-01-01' order by h.id limit ${VISITS}`,
            [ROLE_ACCOUNTS.grid_member],
          )
        ).map((r) => r.id);
        expect(households).toHaveLength(VISITS);
        // The seeded rollups equal their definition (stats-rollups-api.test.ts checks the same
        // template): the drift check after the burst needs no baseline of its own here.
        await boundaryConsistent(db);
        // The pause, once per statement that writes buildings: the import's insert and the boundary commit's regrid.
        const mark = mode === 'pglite' ? `copy (select clock_timestamp()) to '/pglite/data/crash-marker';` : '';
        await db.exec(`
          create function public.crash_test_pause() returns trigger language plpgsql security definer as $$
          begin ${mark} perform pg_sleep(${PAUSE_S}); return null; end $$;
          create trigger crash_test_pause after insert or update on public.buildings for each statement execute function public.crash_test_pause();`);
      }, true);
    });

    afterAll(async () => {
      if (server) await sigkill(server);
      await scratch?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    let batchId: string;

    it(
      "leaves none of an import's rows when killed mid-commit, and the batch can be committed after the restart",
      async () => {
        await restart();
        const token = await login(ROLE_ACCOUNTS.community_staff);
        const features = Array.from({ length: IMPORT_ROWS }, (_, i) => ({
          type: 'Feature',
          properties: { 地址: `崩溃测试路${i + 1}号` },
          geometry: square(importOrigin.x + (i % 20) * 0.00002, importOrigin.y + Math.floor(i / 20) * 0.00002, 0.00001),
        }));
        const fd = new FormData();
        fd.set('file', new File([JSON.stringify({ type: 'FeatureCollection', features })], 'crash.geojson'));
        const dry = await api(token, 'imports?kind=buildings', { method: 'POST', body: fd });
        const report = (await dry.json()) as { id: string; counts: { toInsert: number } };
        expect(dry.status, JSON.stringify(report)).toBe(201);
        expect(report.counts.toInsert).toBe(IMPORT_ROWS);
        batchId = report.id;

        const mark = readMark();
        const commit = answer(api(token, `imports/${batchId}/commit`, { method: 'POST' }));
        await paused(commit, mark);
        await crash();
        expect(await commit).toBeInstanceOf(Error); // no answer: the server died inside the transaction

        await inspect(async (db) => {
          await ledgerIntact(db);
          const [r] = await db.query<{ rows: number; committed: boolean }>(
            `select (select count(*)::int from public.buildings where address like '崩溃测试路%') as rows,
                  (select committed_at is not null from public.import_batches where id = $1) as committed`,
            [batchId],
          );
          expect(r).toEqual({ rows: 0, committed: false });
          await boundaryConsistent(db);
        });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "starts again on the data the import's kill left, serves, and keeps the old boundary version and assignments when killed mid-commit of a redraw",
      async () => {
        await restart(); // on the data the last kill left
        const token = await login(ROLE_ACCOUNTS.community_staff);
        // The batch the kill interrupted commits whole now.
        expect(await answer(api(token, `imports/${batchId}/commit`, { method: 'POST' }))).toMatchObject({
          status: 200,
          body: { committed: { inserted: IMPORT_ROWS } },
        });

        const before = (await (await api(token, 'grids')).json()) as { features: { properties: { id: number; version: number } }[] };
        const versionOf = (id: number) => before.features.find((f) => f.properties.id === id)!.properties.version;
        const mark = readMark();
        const save = answer(
          api(token, `grids/${boundary.grid}/boundary`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              geometry: boundary.grown,
              version: versionOf(boundary.grid),
              reason: '崩溃测试',
              neighbours: [{ gridId: boundary.neighbour, version: versionOf(boundary.neighbour), geometry: boundary.shrunk }],
            }),
          }),
        );
        await paused(save, mark);
        await crash();
        expect(await save).toBeInstanceOf(Error);

        await inspect(async (db) => {
          await ledgerIntact(db);
          expect(await db.query<{ n: number }>(`select count(*)::int as n from public.buildings where address like '崩溃测试路%'`)).toEqual(
            [{ n: IMPORT_ROWS }],
          );
          const state = await db.query(
            `select g.id, g.version, (select count(*)::int from public.grid_versions v where v.grid_id = g.id) as versions,
                  (select count(*)::int from public.building_grid_history h where h.building_id = $3) as "buildingHistory",
                  (select grid_id from public.buildings where id = $3) as "buildingGrid"
           from public.grids g where g.id in ($1, $2) order by g.id`,
            [boundary.grid, boundary.neighbour, boundary.building],
          );
          expect(state).toEqual(
            [boundary.grid, boundary.neighbour]
              .sort((a, b) => a - b)
              .map((id) => ({
                id,
                version: versionOf(id),
                versions: versionOf(id),
                buildingHistory: 1,
                buildingGrid: boundary.neighbour,
              })),
          );
          await boundaryConsistent(db);
        });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "starts again on the data the redraw's kill left, and keeps every visit that was answered 2xx, whole, and rollups equal to their definition, when killed during a burst of 50",
      async () => {
        await restart();
        const token = await login(ROLE_ACCOUNTS.grid_member);
        const answered: { key: string; id: number }[] = [];
        const run = `crash-${mode}-${Date.now()}`;
        const burst = households.map((householdId, i) =>
          api(token, 'visits', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `${run}-${i}` },
            body: JSON.stringify({
              householdId,
              visitedAt: '2026-11-20T10:00:00+08:00',
              method: 'in_person',
              result: 'met',
              durationMin: 15,
              notes: '崩溃测试走访',
            }),
          }).then(
            async (r) => {
              if (r.ok) answered.push({ key: `${run}-${i}`, id: ((await r.json()) as { id: number }).id });
              return r.status;
            },
            () => 'killed' as const,
          ),
        );
        await until('a third of the visits to be answered', () => answered.length >= VISITS / 3);
        await crash();
        const outcomes = await Promise.all(burst);
        const killed = outcomes.filter((o) => o === 'killed').length;
        expect(killed, 'the kill landed in the middle of the burst').toBeGreaterThan(0);
        expect(outcomes.filter((o) => o !== 'killed').every((o) => o === 201)).toBe(true);

        await inspect(async (db) => {
          await ledgerIntact(db);
          const rows = await db.query<{ key: string; id: number; whole: boolean }>(
            `select idempotency_key as key, id, (household_id is not null and visited_at is not null and notes = '崩溃测试走访') as whole
           from public.visits where idempotency_key like $1 order by id`,
            [`${run}-%`],
          );
          const present = new Map(rows.map((r) => [r.key, r.id]));
          for (const a of answered) expect(present.get(a.key), `visit ${a.key} was answered 201`).toBe(a.id);
          expect(rows.every((r) => r.whole)).toBe(true);
          expect(rows.length).toBeLessThanOrEqual(VISITS);
          expect(await statsDrift(db)).toEqual([]);
          await boundaryConsistent(db);
          await db.exec('drop trigger crash_test_pause on public.buildings; drop function public.crash_test_pause();');
        });
      },
      TEST_TIMEOUT_MS,
    );
  });
}
