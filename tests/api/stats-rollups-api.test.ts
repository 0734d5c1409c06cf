/**
 * Statistics rollups (issue #9, docs/metrics.md "Rollups"): the figures served for today come
 * from rollups that statement-level triggers keep equal to the reference grid_stats /
 * building_stats through visits, issues, patrols, moved households, policy changes, bulk
 * boundary moves and new grids; the drift check finds a corrupted row; the version makes
 * revalidation cheap; callers never read the per-household rollup. Last, on a small street of
 * its own, random sequences of inserts, updates, deletes and boundary changes leave the rollups
 * equal to the reference and never leave a month-end snapshot stale.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { rebuildStats, statsDrift } from '../../api/db/stats-rollups';
import { readEnv } from '../../api/env';
import { enterAsCaller } from '../../api/lib/request-db';
import { type Change, ChangeFeed } from '../../api/live/change-feed';
import { snapshotDrift, storedMonthEnds } from '../../api/reports/month-snapshots';
import { claimsOf, ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('stats rollups', (_mode, db) => {
  const app = () =>
    signedIn(createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }), db(), ROLE_ACCOUNTS.street_leader);
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await app().request(path, { headers });
    return { status: res.status, etag: res.headers.get('etag'), body: res.status === 200 ? ((await res.json()) as any) : undefined };
  };
  const reference = () => db().query<Record<string, unknown>>(`select * from public.grid_stats($1::date) order by grid_id`, [DEMO_TODAY]);
  /** The API's rows in the reference's column names, to compare every figure exactly. */
  const asReference = (g: any) => ({
    grid_id: g.id,
    households: g.households,
    covered_households: g.coveredHouseholds,
    coverage: g.coverage,
    overdue_households: g.overdueHouseholds,
    at_risk_households: g.atRiskHouseholds,
    at_risk_overdue: g.atRiskOverdue,
    open_issues: g.openIssues,
    overdue_issues: g.overdueIssues,
    days_since_last_visit: g.daysSinceLastVisit,
    days_since_last_patrol: g.daysSinceLastPatrol,
    attention: g.attention,
    attention_breakdown: g.attentionBreakdown,
  });
  // The drift check compares every grid and building figure with grid_stats / building_stats.
  const expectExact = async () => expect(await statsDrift(db())).toEqual([]);
  const staffId = async () => (await db().query<{ id: number }>('select min(id)::int as id from public.staff'))[0]!.id;
  const at = (time: string) => `${DEMO_TODAY}T${time}+08:00`;

  it("serves today's grid figures from rollups equal to grid_stats(today), with a version", async () => {
    const { status, body, etag } = await get('/api/stats/grids');
    expect(status).toBe(200);
    expect(body.statsVersion).toEqual(expect.any(Number));
    expect(etag).toContain(`v${body.statsVersion}`);
    const [state] = await db().query<{ as_of: string }>('select as_of from minqing.stats_state');
    expect(state!.as_of).toBe(DEMO_TODAY);
    expect(body.grids.map(asReference)).toEqual(await reference());
    await expectExact();
  });

  it('brings a grid’s and a building’s days since the last visit to 0 when a household already covered is visited', async () => {
    // Such a visit changes no count, only the days: the one change the maintenance must not skip.
    const [h] = await db().query<{ id: number; grid_id: number; building_id: number; covered: number }>(
      `select hr.household_id as id, hr.grid_id, hr.building_id, gr.covered_households as covered
       from minqing.household_rollup hr
       join minqing.grid_rollup gr on gr.grid_id = hr.grid_id
       join minqing.building_rollup br on br.building_id = hr.building_id
       where hr.covered and gr.days_since_last_visit > 0 and br.days_since_last_visit > 0
       order by hr.household_id limit 1`,
    );
    expect(h, 'the demo street has a grid not yet visited on its today').toBeDefined();
    await db().query(
      `insert into public.visits (household_id, visitor_id, visited_at, method, result) values ($1, $2, $3, 'in_person', 'met')`,
      [h!.id, await staffId(), at('08:30')],
    );
    const [after] = await db().query<{ g: number; b: number; covered: number }>(
      `select gr.days_since_last_visit as g, br.days_since_last_visit as b, gr.covered_households as covered
       from minqing.grid_rollup gr, minqing.building_rollup br where gr.grid_id = $1 and br.building_id = $2`,
      [h!.grid_id, h!.building_id],
    );
    expect(after).toEqual({ g: 0, b: 0, covered: h!.covered });
    await expectExact();
  });

  it('answers 304 to an unchanged version and a new version after a visit', async () => {
    const first = await get('/api/stats/grids');
    expect((await get('/api/stats/grids', { 'if-none-match': first.etag! })).status).toBe(304);
    await db().query(
      `insert into public.visits (household_id, visitor_id, visited_at, method, result)
       values ((select min(id) from public.households where moved_out is null), $1, $2, 'phone', 'met')`,
      [await staffId(), at('09:00')],
    );
    const again = await get('/api/stats/grids', { 'if-none-match': first.etag! });
    expect(again.status).toBe(200);
    expect(again.body.statsVersion).toBeGreaterThan(first.body.statsVersion);
    // Past dates are tagged with the same version and revalidate the same way.
    const past = await get('/api/stats/grids?asOf=2026-06-30');
    expect((await get('/api/stats/grids?asOf=2026-06-30', { 'if-none-match': past.etag! })).status).toBe(304);
  });

  it('tells live maps the version that covers a change', async () => {
    const feed = new ChangeFeed(db(), 50);
    try {
      let deliver!: (c: Change) => void;
      const seen = new Promise<Change>((resolve) => (deliver = resolve));
      await feed.subscribe((c) => deliver(c));
      await db().query(
        `insert into public.visits (household_id, visitor_id, visited_at, method, result)
         values ((select max(id) from public.households where moved_out is null), $1, $2, 'in_person', 'met')`,
        [await staffId(), at('12:00')],
      );
      const change = await seen;
      expect(change.tables).toContain('visits');
      const { body } = await get('/api/stats/grids');
      expect(change.statsVersion).toBe(body.statsVersion);
    } finally {
      await feed.close();
    }
  });

  it('stays exact through a bulk load of visits', async () => {
    await get('/api/stats/grids');
    const staff = await staffId();
    // A bulk visit load (one statement, many households), counted and not-counted results.
    await db().query(
      `insert into public.visits (household_id, visitor_id, visited_at, method, result)
       select h.id, $1, $2::timestamptz, case when h.id % 3 = 0 then 'phone' else 'in_person' end::public.visit_method,
              case when h.id % 4 = 0 then 'not_home' else 'met' end::public.visit_result
       from public.households h where h.id % 11 = 0`,
      [staff, at('10:00')],
    );
    await expectExact();
  });

  it('stays exact through issues opened and cancelled and a patrol', async () => {
    await get('/api/stats/grids');
    const staff = await staffId();
    // An issue opened overdue, and another cancelled today.
    const [issue] = await db().query<{ id: number; grid_id: number }>(
      `insert into public.issues (category, description, location, grid_id, building_id, complexity, tier, received_at, due_at)
       select category, 'rollup test', location, grid_id, building_id, complexity, tier, '2026-10-01T09:00:00+08:00', '2026-10-08T09:00:00+08:00'
       from public.issues where building_id is not null order by id limit 1
       returning id, grid_id`,
    );
    const [open] = await db().query<{ id: number }>(
      `select id from public.issues where closed_at is null and grid_id <> $1 order by id limit 1`,
      [issue!.grid_id],
    );
    await db().query(`insert into public.issue_events (issue_id, at, to_status) values ($1, $2, 'cancelled')`, [open!.id, at('11:00')]);
    await db().query(`update public.issues set status = 'cancelled' where id = $1`, [open!.id]);
    // A long patrol today in the grid with the oldest patrol.
    await db().query(
      `insert into public.patrols (grid_id, staff_id, started_at, ended_at)
       select g.id, $1, $2::timestamptz, $2::timestamptz + interval '45 minutes' from public.grids g order by g.id desc limit 1`,
      [staff, at('08:00')],
    );
    await expectExact();
  });

  it('stays exact through moved households and a changed policy', async () => {
    await get('/api/stats/grids');
    // A household moves to a building of another grid.
    await db().query(
      `update public.households set building_id = (select min(b.id) from public.buildings b
         where b.grid_id is distinct from (select o.grid_id from public.buildings o where o.id = households.building_id))
       where id in (select id from public.households where moved_out is null order by id desc limit 3)`,
    );
    await expectExact();
    // A stricter street-wide policy from today: every interval halves.
    await db().query(
      `insert into public.visit_policies (street_id, community_id, valid_from, settings)
       select street_id, null, $1::date,
         jsonb_set(settings, '{intervals}', (select jsonb_object_agg(k, greatest(1, v::int / 2)) from jsonb_each_text(settings -> 'intervals') e(k, v)))
       from public.visit_policies where community_id is null order by valid_from desc limit 1`,
      [DEMO_TODAY],
    );
    await expectExact();
  });

  it('follows a bulk boundary commit: buildings moved between grids and into a new grid', async () => {
    // A boundary commit is stamped with the real time, and the figures of a day use the boundaries
    // at its end: on a demo day pinned in the past the move comes later. So this product's today
    // is the real one.
    const realToday = signedIn(createApp({ db: db(), env: readEnv({}), jwtSecret: TEST_JWT_SECRET }), db(), ROLE_ACCOUNTS.street_leader);
    const servedToday = async () =>
      ((await (await realToday.request('/api/stats/grids')).json()) as any).grids as Array<Record<string, unknown>>;
    await servedToday();
    const [g] = await db().query<{ id: number; community_id: number }>('select id, community_id from public.grids order by id limit 1');
    const [created] = await db().query<{ id: number }>(
      `insert into public.grids (community_id, code, name, boundary)
       values ($1, 'ROLLUP-NEW', '新网格', ST_Multi(ST_MakeEnvelope(100, 10, 100.01, 10.01, 4326))) returning id`,
      [g!.community_id],
    );
    await db().query(`update public.buildings set grid_id = $1 where id % 5 = 0`, [g!.id]);
    await db().query(`update public.buildings set grid_id = $1 where id % 7 = 1`, [created!.id]);
    await expectExact();
    const mine = (await servedToday()).find((x) => x.id === created!.id)!;
    expect(mine.households).toBeGreaterThan(0);
  });

  it('reports a corrupted rollup row as drift (grid, metric, rollup value, reference value), and a rebuild repairs it', async () => {
    await get('/api/stats/grids');
    const [row] = await db().query<{ grid_id: number; covered_households: number }>(
      'select grid_id, covered_households from minqing.grid_rollup order by grid_id limit 1',
    );
    await db().query('update minqing.grid_rollup set covered_households = covered_households + 7 where grid_id = $1', [row!.grid_id]);
    expect(await statsDrift(db())).toContainEqual({
      kind: 'grid',
      id: row!.grid_id,
      metric: 'covered_households',
      rollupValue: row!.covered_households + 7,
      referenceValue: row!.covered_households,
    });
    await rebuildStats(db(), DEMO_TODAY);
    expect(await statsDrift(db())).toEqual([]);
  });

  it('never lets a caller read the rollup tables or run their maintenance', async () => {
    for (const sql of [
      'select * from minqing.household_rollup limit 1',
      'select * from minqing.grid_rollup limit 1',
      `select minqing.stats_rebuild('${DEMO_TODAY}')`,
      'select * from minqing.stats_drift()',
    ]) {
      await expect(
        db().transaction(async (tx) => {
          await enterAsCaller(tx, await claimsOf(tx, ROLE_ACCOUNTS.grid_member));
          await tx.query(sql);
        }),
      ).rejects.toThrow(/permission denied/);
    }
    // The aggregates are theirs to read.
    const rows = await db().transaction(async (tx) => {
      await enterAsCaller(tx, await claimsOf(tx, ROLE_ACCOUNTS.grid_member));
      return tx.query('select * from public.grid_stats_rollup()');
    });
    expect(rows.length).toBeGreaterThan(0);
  });

  // Random sequences need a street small enough that the reference takes milliseconds: the
  // demo street's households, buildings and field work are cleared (TRUNCATE fires no trigger;
  // the rollups are rebuilt after) and eight buildings with two dozen households remain.
  describe('after random sequences of changes', () => {
    let today = '';
    let monthEnd = '';
    let staff = 0;
    let regNo = 0;
    beforeAll(async () => {
      [{ today, monthEnd }] = (await db().query<{ today: string; monthEnd: string }>(
        `select public.china_date(now())::text as today, (date_trunc('month', public.china_date(now())) - interval '1 day')::date::text as "monthEnd"`,
      )) as [{ today: string; monthEnd: string }];
      staff = await staffId();
      await db().exec(
        `truncate public.visits, public.issue_events, public.issues, public.patrols, public.households, public.buildings cascade`,
      );
      await db().query(
        `insert into public.buildings (address, footprint)
         select 'prop ' || g.id, ST_Multi(ST_Buffer(ST_PointOnSurface(g.boundary), 0.00005, 'quad_segs=1'))
         from public.grids g where g.retired_at is null order by g.id limit 8`,
      );
      await db().query(
        `insert into public.households (building_id, room, head_name, categories, moved_in)
         select b.id, i::text, 'p' || i, array[(array['ordinary','elderly','key_person','empty_nest','rental'])[1 + i % 5]]::public.household_category[],
           $1::date - (20 + i * 13)
         from generate_series(0, 23) i cross join lateral (select id from public.buildings order by id offset i % 8 limit 1) b`,
        [today],
      );
      await rebuildStats(db(), today);
      await db().query('select public.month_snapshot_ready($1::date)', [monthEnd]);
    });

    /** A China date `back` days before today, at 10:00 there (02:00 UTC). */
    const day = (back: number) => `((${`'${today}'`}::date - ${back}) + time '02:00')::timestamp at time zone 'UTC'`;
    const nth = (table: string, k: number, where = 'true') =>
      `(select id from public.${table} where ${where} order by id offset (${k} % greatest(1, (select count(*) from public.${table} where ${where}))) limit 1)`;
    const liveGrid = (k: number) => nth('grids', k, 'retired_at is null');

    type Command = { label: string; run: () => Promise<unknown> };
    const q = (label: string, sql: string) => ({ label, run: () => db().query(sql) });
    const back = fc.integer({ min: 0, max: 75 });
    const k = fc.nat(50);
    const command: fc.Arbitrary<Command> = fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .record({
            h: k,
            n: fc.integer({ min: 1, max: 4 }),
            back,
            method: fc.constantFrom('in_person', 'phone', 'third_party'),
            met: fc.boolean(),
          })
          .map(({ h, n, back: b, method, met }) =>
            q(
              `visits h${h}×${n} -${b}d ${method} ${met}`,
              `insert into public.visits (household_id, visitor_id, visited_at, method, result)
           select ${nth('households', h)}, ${staff}, ${day(b)} + i * interval '1 minute', '${method}', '${met ? 'met' : 'not_home'}'
           from generate_series(1, ${n}) i`,
            ),
          ),
      },
      fc
        .record({ v: k, back, met: fc.boolean() })
        .map(({ v, back: b, met }) =>
          q(
            `edit visit v${v} -${b}d ${met}`,
            `update public.visits set visited_at = ${day(b)}, result = '${met ? 'met' : 'not_home'}' where id = ${nth('visits', v)}`,
          ),
        ),
      fc
        .record({ mod: fc.integer({ min: 2, max: 5 }), rem: fc.nat(4) })
        .map(({ mod, rem }) => q(`delete visits %${mod}=${rem}`, `delete from public.visits where id % ${mod} = ${rem % mod}`)),
      fc
        .record({ b: k, cat: fc.constantFrom('ordinary', 'key_person', 'empty_nest', 'elderly'), back: fc.integer({ min: 0, max: 400 }) })
        .map(({ b, cat, back: d }) =>
          q(
            `household b${b} ${cat} -${d}d`,
            `insert into public.households (building_id, room, head_name, categories, moved_in)
           values (${nth('buildings', b)}, 'x', 'x', '{${cat}}', '${today}'::date - ${d})`,
          ),
        ),
      fc
        .record({ h: k, b: k })
        .map(({ h, b }) =>
          q(`move h${h} to b${b}`, `update public.households set building_id = ${nth('buildings', b)} where id = ${nth('households', h)}`),
        ),
      fc
        .record({ h: k, back })
        .map(({ h, back: d }) =>
          q(
            `move out h${h} -${d}d`,
            `update public.households set moved_out = greatest(moved_in, '${today}'::date - ${d}) where id = ${nth('households', h, 'moved_out is null')}`,
          ),
        ),
      fc.record({ b: k, n: fc.integer({ min: 1, max: 3 }), g: k }).map(({ b, n, g }) =>
        q(
          `boundary: ${n} buildings from b${b} to g${g}`,
          `update public.buildings set grid_id = ${liveGrid(g)}
         where id in (select id from public.buildings order by id offset (${b} % 8) limit ${n})`,
        ),
      ),
      fc.record({ g: k, b: k }).map(({ g, b }) => ({
        label: `new grid beside g${g}, b${b} into it`,
        run: async () => {
          const [grid] = await db().query<{ id: number }>(
            `insert into public.grids (community_id, code, name, boundary)
             select community_id, 'P' || (select count(*) from public.grids), 'prop', ST_Multi(ST_MakeEnvelope(101, 11, 101.01, 11.01, 4326))
             from public.grids where id = ${liveGrid(g)} returning id`,
          );
          await db().query(`update public.buildings set grid_id = $1 where id = ${nth('buildings', b)}`, [grid!.id]);
        },
      })),
      fc
        .record({
          g: k,
          back,
          due: fc.integer({ min: 1, max: 20 }),
          close: fc.option(fc.integer({ min: 0, max: 30 })),
          cancel: fc.boolean(),
        })
        .map(({ g, back: d, due, close, cancel }) => ({
          label: `issue g${g} -${d}d due +${due} close ${close} cancel ${cancel}`,
          run: async () => {
            regNo += 1;
            const [issue] = await db().query<{ id: number }>(
              `insert into public.issues (reg_no, category, description, location, grid_id, complexity, tier, received_at, due_at)
               select to_char(${day(d)}, 'YYYYMM') || lpad('${regNo % 1000}', 3, '0'), 'other', 'prop', ST_PointOnSurface(g.boundary), g.id,
                 'ordinary', 'community', ${day(d)}, ${day(d)} + interval '${due} days'
               from public.grids g where g.id = ${liveGrid(g)} returning id`,
            );
            if (cancel) {
              await db().query(
                `insert into public.issue_events (issue_id, at, to_status) values ($1, ${day(Math.max(0, d - 1))}, 'cancelled')`,
                [issue!.id],
              );
              await db().query(`update public.issues set status = 'cancelled' where id = $1`, [issue!.id]);
            } else if (close !== null) {
              await db().query(
                `update public.issues set status = 'closed', closed_at = least(now(), received_at + interval '${close} days') where id = $1`,
                [issue!.id],
              );
            }
          },
        })),
      fc.record({ g: k, back, minutes: fc.integer({ min: 10, max: 60 }) }).map(({ g, back: d, minutes }) =>
        q(
          `patrol g${g} -${d}d ${minutes}min`,
          `insert into public.patrols (grid_id, staff_id, started_at, ended_at)
         values (${liveGrid(g)}, ${staff}, ${day(d)}, ${day(d)} + interval '${minutes} minutes')`,
        ),
      ),
      fc.record({ back: fc.integer({ min: 0, max: 90 }), halve: fc.boolean() }).map(({ back: d, halve }) => ({
        label: `street policy from -${d}d ${halve ? 'halved' : 'same'} intervals`,
        run: async () => {
          const from = `'${today}'::date - ${d}`;
          const [p] = await db().query<{ street_id: number; settings: unknown }>(
            `select street_id, settings from public.visit_policies where community_id is null order by valid_from desc limit 1`,
          );
          await db().query(`delete from public.visit_policies where community_id is null and valid_from = ${from}`);
          await db().query(
            `insert into public.visit_policies (street_id, community_id, valid_from, settings)
             select $1, null, ${from}, case when $3 then jsonb_set($2::jsonb, '{intervals}',
               (select jsonb_object_agg(k, greatest(1, v::int / 2)) from jsonb_each_text($2::jsonb -> 'intervals') e(k, v))) else $2::jsonb end`,
            [p!.street_id, JSON.stringify(p!.settings), halve],
          );
        },
      })),
    );

    it('keeps rollups equal to grid_stats/building_stats and never leaves a stale month-end snapshot', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 4 }), async (commands) => {
          const done: string[] = [];
          for (const c of commands) {
            await c.run();
            done.push(c.label);
            // After every statement: a snapshot still stored must equal the reference at its
            // month end; one that was dropped is stored again for the next command to test.
            if ((await storedMonthEnds(db())).includes(monthEnd)) {
              expect(await snapshotDrift(db(), monthEnd), done.join('; ')).toEqual([]);
            } else {
              await db().query('select public.month_snapshot_ready($1::date)', [monthEnd]);
            }
          }
          expect(await statsDrift(db()), done.join('; ')).toEqual([]);
        }),
        { numRuns: 5 },
      );
    }, 120_000);
  });
});
