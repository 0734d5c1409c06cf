/**
 * Month-end snapshots (issue #9, docs/metrics.md "Month-end snapshots"): a closed month's grid
 * figures are served from rows stored at the first read, equal to grid_stats(month end); a
 * change dated on or before a month end deletes that month's snapshot and every later one in the
 * same transaction (never a stale one served), a change dated later leaves it; the rows are the
 * street's, like grid stats, and only the database writes them.
 */
import { expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { type Claims, enterAsCaller } from '../../api/lib/request-db';
import { storedMonthEnds } from '../../api/reports/month-snapshots';
import { claimsOf, ROLE_ACCOUNTS, signedIn, strangerClaims } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

const OCT = '2026-10-31';
const SEP = '2026-09-30';

describeEachDatabase('month-end snapshots', (_mode, db) => {
  const app = () =>
    signedIn(createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }), db(), ROLE_ACCOUNTS.street_leader);
  const served = async (asOf: string) => {
    const res = await app().request(`/api/stats/grids?asOf=${asOf}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as any).grids as any[];
  };
  /** The API's rows in grid_stats' column names, to compare every figure exactly. */
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
  const reference = (asOf: string) => db().query(`select * from public.grid_stats($1::date) order by grid_id`, [asOf]);
  const stored = () => storedMonthEnds(db());
  // Marks a month stored without computing it (what the invalidation removes is the mark and the rows).
  const markStored = (end: string) =>
    db().query(`insert into minqing.month_snapshot_state (month_end, stats_version) values ($1, 0) on conflict do nothing`, [end]);
  const staffId = async () => (await db().query<{ id: number }>('select min(id)::int as id from public.staff'))[0]!.id;
  const asCallerDo = <T>(claims: Claims, fn: (q: (sql: string) => Promise<unknown[]>) => Promise<T>) =>
    db().transaction(async (tx) => {
      await enterAsCaller(tx, claims);
      return fn((sql) => tx.query(sql));
    });

  it("serves a closed month's last day from its snapshot, equal to grid_stats of that day", async () => {
    // The test database, like `npm run stats:rebuild`, holds the twelve closed months before today.
    expect(await stored()).toContain(OCT);
    expect((await served(OCT)).map(asReference)).toEqual(await reference(OCT));
    // Served from the rows, not recomputed: a corrupted stored figure shows.
    const [row] = await db().query<{ grid_id: number; covered_households: number }>(
      `select grid_id, covered_households from public.grid_month_snapshots where month_end = $1 and listed order by grid_id limit 1`,
      [OCT],
    );
    await db().query(
      `update public.grid_month_snapshots set covered_households = covered_households + 7 where month_end = $1 and grid_id = $2`,
      [OCT, row!.grid_id],
    );
    expect((await served(OCT)).find((g) => g.id === row!.grid_id).coveredHouseholds).toBe(row!.covered_households + 7);
    await db().query(
      `update public.grid_month_snapshots set covered_households = covered_households - 7 where month_end = $1 and grid_id = $2`,
      [OCT, row!.grid_id],
    );
  }, 120_000);

  it('drops the snapshots from a backdated visit on, and the next read counts the visit', async () => {
    // A household of a grid last visited before OCT, in scope at OCT (read from the stored rows: cheap).
    const [h] = await db().query<{ id: number; grid_id: number }>(
      `select h.id, b.grid_id from public.grid_month_snapshots s
       join public.buildings b on b.grid_id = s.grid_id join public.households h on h.building_id = b.id
       where s.month_end = $1 and s.listed and s.days_since_last_visit > 0
         and h.moved_in <= $1 and (h.moved_out is null or h.moved_out > $1)
       order by s.grid_id, h.id limit 1`,
      [OCT],
    );
    const before = (await served(OCT)).find((g) => g.id === h!.grid_id);
    expect(before.daysSinceLastVisit).toBeGreaterThan(0);
    // Today's visit is after every closed month: nothing is dropped.
    await db().query(
      `insert into public.visits (household_id, visitor_id, visited_at, method, result) values ($1, $2, $3, 'in_person', 'met')`,
      [h!.id, await staffId(), `${DEMO_TODAY}T09:00:00+08:00`],
    );
    expect(await stored()).toContain(OCT);
    await db().query(
      `insert into public.visits (household_id, visitor_id, visited_at, method, result) values ($1, $2, '2026-10-31T09:00:00+08:00', 'in_person', 'met')`,
      [h!.id, await staffId()],
    );
    const left = await stored();
    expect(left).toContain(SEP);
    expect(left).not.toContain(OCT);
    // Stored again at the next read, with the visit (the property test in stats-rollups-api compares
    // every refilled figure with the reference).
    const after = await served(OCT);
    expect(after.find((g) => g.id === h!.grid_id).daysSinceLastVisit).toBe(0);
    expect(await stored()).toContain(OCT);
  }, 120_000);

  it('drops them from a backdated move-out or policy version on; a boundary commit today leaves closed months', async () => {
    await db().query(
      `update public.buildings set grid_id = (select max(id) from public.grids) where id = (select min(id) from public.buildings)`,
    );
    expect(await stored()).toEqual(expect.arrayContaining([SEP, OCT]));
    await db().query(
      `update public.households set moved_out = '2026-10-05' where id = (select max(id) from public.households where moved_out is null and moved_in < '2026-09-01')`,
    );
    expect(await stored()).toContain(SEP);
    expect(await stored()).not.toContain(OCT);
    await db().query(
      `insert into public.visit_policies (street_id, community_id, valid_from, settings)
       select street_id, null, '2026-08-15', settings from public.visit_policies where community_id is null order by valid_from desc limit 1`,
    );
    expect(await stored()).toEqual((await stored()).filter((d) => d < '2026-08-15'));
    expect(await stored()).toContain('2026-07-31');
    expect(await stored()).not.toContain('2026-08-31');
  });

  it("lets the street's staff read its grids' month-end figures, nobody else, and no caller write them", async () => {
    const JUL = '2026-07-31';
    const grids = (
      await db().query<{ n: number }>(`select count(*)::int as n from public.grid_month_snapshots where month_end = $1`, [JUL])
    )[0]!.n;
    expect(grids).toBeGreaterThan(0);
    const read = `select * from public.grid_month_snapshots where month_end = '${JUL}'`;
    for (const role of ['grid_member', 'presenter'] as const) {
      expect(await asCallerDo(await claimsOf(db(), ROLE_ACCOUNTS[role]), (q) => q(read))).toHaveLength(grids);
    }
    // Staff of another street, and a sign-in without a staff record, see none of them.
    const [other] = await db().query<{ id: number }>(
      `with s as (insert into public.streets (code, name, boundary) values ('OTHER', '别的街道', ST_Multi(ST_MakeEnvelope(100, 10, 100.01, 10.01, 4326))) returning id)
       insert into public.staff (user_id, street_id, name, email, role) select gen_random_uuid(), s.id, '别街道', 'other-street@test.local', 'street_leader' from s
       returning user_id as id`,
    );
    const otherClaims: Claims = { role: 'authenticated', aud: 'authenticated', sub: String(other!.id), email: 'other-street@test.local' };
    expect(await asCallerDo(otherClaims, (q) => q(read))).toEqual([]);
    expect(await asCallerDo(strangerClaims(), (q) => q(read))).toEqual([]);
    await expect(asCallerDo({ role: 'anon' }, (q) => q(read))).rejects.toThrow(/permission denied/);
    const leader = await claimsOf(db(), ROLE_ACCOUNTS.community_staff);
    for (const sql of [
      `update public.grid_month_snapshots set households = 0`,
      `delete from public.grid_month_snapshots`,
      `insert into public.grid_month_snapshots select * from public.grid_month_snapshots limit 1`,
      `select * from minqing.month_snapshot_state`,
      `select minqing.month_snapshots_invalidate('2026-01-01')`,
      `select * from minqing.month_snapshot_drift('${JUL}')`,
    ]) {
      await expect(
        asCallerDo(leader, (q) => q(sql)),
        sql,
      ).rejects.toThrow(/permission denied/);
    }
  });

  it('drops every month when a grid is added or deleted (its history reaches back to the beginning)', async () => {
    expect(await stored()).not.toEqual([]);
    const [g] = await db().query<{ id: number }>(
      `insert into public.grids (community_id, code, name, boundary)
       select community_id, 'SNAP-TMP', '临时网格', ST_Multi(ST_MakeEnvelope(100, 10, 100.01, 10.01, 4326)) from public.grids order by id limit 1
       returning id`,
    );
    expect(await stored()).toEqual([]);
    await markStored('2026-07-31');
    await db().query('delete from public.grids where id = $1', [g!.id]);
    expect(await stored()).toEqual([]);
  });
});
