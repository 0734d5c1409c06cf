/**
 * The stats endpoints' answer cache (issue #9, API overhead): a repeated request is served from
 * the serialized answer kept per statsVersion and visibility class, so callers the database
 * would show different rows never get each other's cached body, and a change (a new visit)
 * makes the next request compute afresh. And a closed month's figures never queue behind a
 * month-end fill: a request waits a bounded time, then answers 503 with Retry-After.
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth/tokens';
import { readEnv } from '../../api/env';
import { ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('stats answer cache', (mode, db) => {
  // One app for the file: the cache lives in it, so every request below can hit it.
  let shared: ReturnType<typeof createApp> | undefined;
  const app = () => (shared ??= createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }));
  const as = (email: string) => signedIn(app(), db(), email);
  const json = async (res: Response | Promise<Response>) => {
    const r = await res;
    return { status: r.status, body: (await r.json()) as any };
  };
  const grids = (email: string) => json(as(email).request('/api/stats/grids'));
  /** A valid token of someone with no staff record: the database shows them no street. */
  const stranger = async () =>
    json(
      app().request('/api/stats/grids', {
        headers: { authorization: `Bearer ${await issueToken(TEST_JWT_SECRET, { id: randomUUID(), email: 'stranger@example.com' })}` },
      }),
    );
  const streetGridIds = async () => (await db().query<{ id: number }>('select id from public.grids order by id')).map((r) => r.id);

  it("never serves one visibility class's cached grid figures to another, in either order", async () => {
    const outsider = await stranger();
    expect(outsider.status).toBe(200);
    expect(outsider.body.grids).toEqual([]);
    const leader = await grids(ROLE_ACCOUNTS.street_leader);
    expect(leader.body.statsVersion).toBe(outsider.body.statsVersion);
    expect(leader.body.grids.map((g: any) => g.id)).toEqual(await streetGridIds());
    // Now both answers are cached under the same version: each still gets its own.
    expect((await stranger()).body.grids).toEqual([]);
    expect((await grids(ROLE_ACCOUNTS.grid_member)).body).toEqual(leader.body);
  });

  it("keeps the street leader's buildings outside every grid out of other roles' cached answers", async () => {
    // Every grid's extent, widened: the bbox holds the street's buildings and one east of all grids.
    const [b] = await db().query<{ bbox: string }>(
      `select concat_ws(',', ST_XMin(e) - 0.01, ST_YMin(e) - 0.01, ST_XMax(e) + 0.01, ST_YMax(e) + 0.01) as bbox
       from (select ST_Extent(boundary) e from public.grids) s`,
    );
    const path = `/api/stats/buildings?bbox=${b!.bbox}`;
    // A building no grid contains, inside the bbox: the street leader alone is shown it.
    const [loose] = await db().query<{ id: number; grid_id: number | null }>(
      `insert into public.buildings (address, footprint)
       select '测试路 1 号', ST_Translate(b.footprint, (select ST_XMax(ST_Extent(boundary)) from public.grids) - ST_XMin(b.footprint) + 0.002, 0)
       from public.buildings b order by b.id limit 1
       returning id, grid_id`,
    );
    expect(loose!.grid_id).toBeNull();
    const member = await json(as(ROLE_ACCOUNTS.grid_member).request(path));
    expect(member.status).toBe(200);
    expect(member.body.buildings.map((x: any) => x.id)).not.toContain(loose!.id);
    const leader = await json(as(ROLE_ACCOUNTS.street_leader).request(path));
    expect(leader.body.statsVersion).toBe(member.body.statsVersion);
    expect(leader.body.buildings.map((x: any) => x.id)).toContain(loose!.id);
    expect((await json(as(ROLE_ACCOUNTS.community_staff).request(path))).body).toEqual(member.body);
    expect((await json(as(ROLE_ACCOUNTS.grid_member).request(path))).body.buildings.map((x: any) => x.id)).not.toContain(loose!.id);
    await db().query('delete from public.buildings where id = $1', [loose!.id]);
  });

  it('computes afresh after a new visit: a new version with the visit counted, never the cached body', async () => {
    const before = await grids(ROLE_ACCOUNTS.street_leader);
    expect((await grids(ROLE_ACCOUNTS.street_leader)).body).toEqual(before.body);
    // A household not covered today, in the street: one met visit today covers it.
    const [h] = await db().query<{ id: number; grid_id: number }>(
      `select household_id as id, grid_id from minqing.household_rollup where not covered and grid_id is not null order by household_id limit 1`,
    );
    const [staff] = await db().query<{ id: number }>('select min(id)::int as id from public.staff');
    await db().query(
      `insert into public.visits (household_id, visitor_id, visited_at, method, result) values ($1, $2, $3, 'in_person', 'met')`,
      [h!.id, staff!.id, `${DEMO_TODAY}T10:00:00+08:00`],
    );
    const after = await grids(ROLE_ACCOUNTS.street_leader);
    expect(after.body.statsVersion).toBeGreaterThan(before.body.statsVersion);
    const covered = (body: any) => body.grids.find((g: any) => g.id === h!.grid_id).coveredHouseholds;
    expect(covered(after.body)).toBe(covered(before.body) + 1);
  });

  it("counts the month report's patrol days as the per-grid, per-day definition does (the fill's set-based rewrite)", async () => {
    // The definition the rewrite replaced (*_meetings.sql), verbatim but for the dates.
    const definition = (from: string, to: string) =>
      db().query(
        `with d as (select generate_series($1::date, $2::date, interval '1 day')::date as day),
       per_day as (
         select g.id as grid_id, d.day,
           (public.policy_settings_at(g.community_id, d.day) ->> 'patrolMinMinutes')::int * 60 as required,
           coalesce((select sum(extract(epoch from p.ended_at - p.started_at)) from public.patrols p
                     where p.grid_id = g.id and p.ended_at is not null and public.china_date(p.started_at) = d.day), 0) as seconds
         from public.grids g cross join d
         where g.id = any (minqing.report_grid_ids()))
       select grid_id, count(*) filter (where seconds >= required)::int as days_met, count(*)::int as days_judged
       from per_day group by grid_id order by grid_id`,
        [from, to],
      );
    const served = (from: string, to: string) =>
      db().query('select * from public.report_patrol_days($1::date, $2::date, $2::date) order by grid_id', [from, to]);
    // The running month (the report's current month): cut at today, as the report asks.
    const expected = await definition('2026-11-01', DEMO_TODAY);
    expect(expected.some((r: any) => r.days_met > 0 && r.days_met < r.days_judged)).toBe(true);
    expect(await served('2026-11-01', DEMO_TODAY)).toEqual(expected);
  });

  // PostgreSQL only: the embedded database has one connection, so no fill can run beside a
  // request there (and a running query blocks its event loop: the fill simply completes first).
  if (mode === 'postgres') {
    it('answers 503 with Retry-After while a month end is being stored elsewhere, without waiting for it', async () => {
      const monthEnd = '2026-08-31';
      const path = `/api/stats/grids?asOf=${monthEnd}`;
      await db().query(`select minqing.month_snapshots_invalidate($1::date)`, [monthEnd]);
      // Another process's fill: the fill's advisory lock, held by a transaction of its own.
      const busy = await db().transaction(async (tx) => {
        await tx.query(`select pg_advisory_xact_lock(hashtext('minqing.month_snapshot'), ($1::date - date '2000-01-01'))`, [monthEnd]);
        // A patient app: only answering at once, not the bound, can make this request return.
        const patient = createApp({ db: db(), env: readEnv({ DEMO_TODAY, MONTH_END_WAIT_MS: '3600000' }), jwtSecret: TEST_JWT_SECRET });
        return signedIn(patient, db(), ROLE_ACCOUNTS.street_leader).request(path);
      });
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toMatch(/^\d+$/);
      const error = ((await busy.json()) as any).error;
      expect(error.code).toBe('month_end_filling');
      expect(error.message).toContain(monthEnd);
    });

    it('lets a fill too slow for the request go on detached, and serves its figures once stored', async () => {
      const impatient = createApp({ db: db(), env: readEnv({ DEMO_TODAY, MONTH_END_WAIT_MS: '0' }), jwtSecret: TEST_JWT_SECRET });
      const monthEnd = '2026-08-31';
      const path = `/api/stats/grids?asOf=${monthEnd}`;
      await db().query(`select minqing.month_snapshots_invalidate($1::date)`, [monthEnd]);
      expect((await signedIn(impatient, db(), ROLE_ACCOUNTS.street_leader).request(path)).status).toBe(503);
      for (let i = 0; i < 600; i++) {
        const [s] = await db().query<{ s: string }>('select public.month_snapshot_status($1::date) as s', [monthEnd]);
        if (s!.s === 'stored') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const ok = await json(signedIn(impatient, db(), ROLE_ACCOUNTS.street_leader).request(path));
      expect(ok.status).toBe(200);
      const reference = await db().query<{ grid_id: number; households: number }>(
        'select grid_id, households from public.grid_stats($1::date) order by grid_id',
        [monthEnd],
      );
      expect(ok.body.grids.map((g: any) => ({ grid_id: g.id, households: g.households }))).toEqual(reference);
    });
  }
});
