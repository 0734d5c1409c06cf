/**
 * Logging visits (民情日记) through the API, a household's timeline and a worker's diary, on the
 * demo street. Visits are dated after DEMO_TODAY (so the seeded figures stay put) and before
 * the real clock (which judges "in the future"), each test on households of its own.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth/tokens';
import { readEnv } from '../../api/env';
import { enterAsCaller } from '../../api/lib/request-db';
import { claimsOf, type DemoRole, ROLE_ACCOUNTS, signedIn, staffGridOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('visits through the API', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const call = async (who: DemoRole, path: string, init: RequestInit = {}) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(path, init);
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };
  const logVisit = (who: DemoRole, body: object, key?: string) =>
    call(who, '/api/visits', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body),
    });
  const visit = (householdId: number, over: object = {}) => ({
    householdId,
    visitedAt: '2026-11-20T10:00:00+08:00',
    method: 'in_person',
    result: 'met',
    durationMin: 20,
    notes: '老人腿脚不便，希望社区帮助安装扶手',
    ...over,
  });
  const visitsUnderKey = async (key: string) =>
    (await db().query<{ n: number }>('select count(*)::int as n from public.visits where idempotency_key = $1', [key]))[0]!.n;

  let memberGrid: number;
  let memberId: number;
  /** Current households of the member's grid, one or more per test. */
  let households: number[];
  let otherGridHousehold: number;
  let movedOut: { id: number; movedOut: string };
  const next = () => households.shift()!;

  beforeAll(async () => {
    ({ gridId: memberGrid, staffId: memberId } = await staffGridOf(db(), ROLE_ACCOUNTS.grid_member));
    households = (
      await db().query<{ id: number }>(
        `select h.id from public.households h join public.buildings b on b.id = h.building_id
         where b.grid_id = $1 and h.moved_out is null and h.moved_in < '2026-01-01' order by h.id`,
        [memberGrid],
      )
    ).map((r) => r.id);
    [{ id: otherGridHousehold }] = (await db().query<{ id: number }>(
      `select h.id from public.households h join public.buildings b on b.id = h.building_id
       where b.grid_id <> all (select grid_id from public.staff_grids where staff_id = $1) and h.moved_out is null
       order by h.id limit 1`,
      [memberId],
    )) as [{ id: number }];
    [movedOut] = (await db().query<{ id: number; movedOut: string }>(
      `select h.id, h.moved_out as "movedOut" from public.households h join public.buildings b on b.id = h.building_id
       where b.grid_id = $1 and h.moved_out < '2026-11-20' order by h.moved_out desc limit 1`,
      [memberGrid],
    )) as [{ id: number; movedOut: string }];
  });

  // -------------------------------------------------------------------------------------------
  // Logging
  // -------------------------------------------------------------------------------------------

  it('logs a visit as the signed-in worker with 201', async () => {
    const householdId = next();
    const { status, body } = await logVisit('grid_member', visit(householdId));
    expect(status).toBe(201);
    expect(body).toMatchObject({ householdId, visitorId: memberId, method: 'in_person', result: 'met', durationMin: 20, flagged: null });
    expect(new Date(body.visitedAt).toISOString()).toBe('2026-11-20T02:00:00.000Z');
  });

  it('answers a retry with the same Idempotency-Key with the original visit, 200, and creates nothing', async () => {
    const body = visit(next());
    const first = await logVisit('grid_member', body, 'retry-same-body');
    const retry = await logVisit('grid_member', body, 'retry-same-body');
    expect([first.status, retry.status]).toEqual([201, 200]);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await visitsUnderKey('retry-same-body')).toBe(1);
  });

  it('treats a concurrent retry like a sequential one: one visit', async () => {
    const body = visit(next(), { location: { type: 'Point', coordinates: [115.91, 28.63] }, accuracyM: 5.1 });
    const answers = await Promise.all([1, 2, 3].map(() => logVisit('grid_member', body, 'retry-concurrent')));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(await visitsUnderKey('retry-concurrent')).toBe(1);
  });

  it('refuses the same Idempotency-Key with another body with a 409 naming what differs', async () => {
    const householdId = next();
    await logVisit('grid_member', visit(householdId), 'reused-key');
    const { status, body } = await logVisit('grid_member', visit(householdId, { result: 'not_home' }), 'reused-key');
    expect(status).toBe(409);
    expect(body.error.code).toBe('idempotency_key_reused');
    expect(body.error.details.differs).toEqual(['result']);
    expect(body.error.message).toMatch(/different request/);
    expect(await visitsUnderKey('reused-key')).toBe(1);
  });

  it('refuses an Idempotency-Key longer than 100 characters with a 400', async () => {
    const { status, body } = await logVisit('grid_member', visit(households[0]!), 'k'.repeat(101));
    expect(status).toBe(400);
    expect(body.error.details[0].path).toBe('idempotency-key');
  });

  it('refuses a visit dated in the future with 422 visit_in_future', async () => {
    const inAnHour = new Date(Date.now() + 3600_000).toISOString();
    const { status, body } = await logVisit('grid_member', visit(households[0]!, { visitedAt: inAnHour }));
    expect(status).toBe(422);
    expect(body.error.code).toBe('visit_in_future');
    expect(body.error.message).toMatch(/in the future/);
  });

  it('refuses a visitedAt without its offset with a 400: the phone’s zone is not the server’s to guess', async () => {
    const { status, body } = await logVisit('grid_member', visit(households[0]!, { visitedAt: '2026-11-20T10:00:00' }));
    expect(status).toBe(400);
    expect(body.error.details[0].path).toBe('visitedAt');
  });

  it('allows a phone clock a few minutes ahead', async () => {
    const inTwoMinutes = new Date(Date.now() + 120_000).toISOString();
    expect((await logVisit('grid_member', visit(next(), { visitedAt: inTwoMinutes }))).status).toBe(201);
  });

  it('refuses a visit to a household after it moved out with 422 household_moved_out', async () => {
    const { status, body } = await logVisit('grid_member', visit(movedOut.id));
    expect(status).toBe(422);
    expect(body.error.code).toBe('household_moved_out');
    expect(body.error.message).toContain(movedOut.movedOut);
  });

  it('answers 404 for a household of another grid, as for one that does not exist', async () => {
    for (const householdId of [otherGridHousehold, 99_999_999]) {
      const { status, body } = await logVisit('grid_member', visit(householdId));
      expect(status, String(householdId)).toBe(404);
      expect(body.error.code).toBe('not_found');
    }
  });

  it('refuses the presenter (404: it may not know the household exists) and the street leader (403)', async () => {
    const householdId = households[0]!;
    expect((await logVisit('presenter', visit(householdId))).status).toBe(404);
    const leader = await logVisit('street_leader', visit(householdId));
    expect(leader.status).toBe(403);
    expect(leader.body.error.code).toBe('forbidden');
  });

  it.each([
    [{ type: 'Point', coordinates: [215.9, 28.6] }, 'location.coordinates.0'],
    [{ type: 'Point', coordinates: [115.9, 98.6] }, 'location.coordinates.1'],
    [{ type: 'Polygon', coordinates: [115.9, 28.6] }, 'location.type'],
  ])('refuses a location that is not a valid WGS84 point with a 400 (%#)', async (location, path) => {
    const { status, body } = await logVisit('grid_member', visit(households[0]!, { location }));
    expect(status).toBe(400);
    expect(body.error.details.map((d: any) => d.path)).toContain(path);
  });

  // -------------------------------------------------------------------------------------------
  // The geofence
  // -------------------------------------------------------------------------------------------

  /** A point `metres` due east of a point on the household’s building, and its distance to the footprint. */
  const pointEastOf = async (householdId: number, metres: number) => {
    const [row] = await db().query<{ point: any; distance: number }>(
      `select ST_AsGeoJSON(p::geometry)::json as point, ST_Distance(p, b.footprint::geography) as distance
       from public.households h join public.buildings b on b.id = h.building_id
       cross join lateral (select ST_Project(ST_PointOnSurface(b.footprint)::geography, $2::float8, radians(90)) as p) p
       where h.id = $1`,
      [householdId, metres],
    );
    return row!;
  };

  it('keeps a GPS point far from the building, flagged for review with its distance', async () => {
    const householdId = next();
    const far = await pointEastOf(householdId, 200);
    const { status, body } = await logVisit('grid_member', visit(householdId, { location: far.point, accuracyM: 8 }));
    expect(status).toBe(201);
    expect(body.flaggedForReview).toBe(true);
    expect(body.flagged.reason).toBe('far_from_building');
    expect(body.flagged.distanceM).toBeCloseTo(far.distance, 0);
    const [row] = await db().query<{ flagged_for_review: boolean }>('select flagged_for_review from public.visits where id = $1', [
      body.id,
    ]);
    expect(row!.flagged_for_review).toBe(true);
  });

  it('does not flag a GPS point on the building', async () => {
    const householdId = next();
    const { body } = await logVisit('grid_member', visit(householdId, { location: (await pointEastOf(householdId, 0)).point }));
    expect(body).toMatchObject({ flaggedForReview: false, flagged: null, distanceM: 0 });
  });

  it('takes the geofence from the policy in force at the visit', async () => {
    const householdId = next();
    const [{ community_id }] = (await db().query<{ community_id: number }>('select community_id from public.grids where id = $1', [
      memberGrid,
    ])) as [{ community_id: number }];
    const [policy] = await db().query<{ id: number }>(
      `insert into public.visit_policies (street_id, community_id, valid_from, settings)
       select street_id, $1, '2026-11-01', public.default_policy_settings() || '{"visitGeofenceM": 500}'
       from public.communities where id = $1 returning id`,
      [community_id],
    );
    try {
      const far = await pointEastOf(householdId, 200);
      const { body } = await logVisit('grid_member', visit(householdId, { location: far.point }));
      expect(body).toMatchObject({ flaggedForReview: false, flagged: null });
      expect(body.distanceM).toBeCloseTo(far.distance, 0);
    } finally {
      await db().query('delete from public.visit_policies where id = $1', [policy!.id]);
    }
  });

  // -------------------------------------------------------------------------------------------
  // The map
  // -------------------------------------------------------------------------------------------

  it('raises the grid’s covered households in /api/stats/grids at once', async () => {
    const [overdue] = await db().query<{ household_id: number }>(
      'select household_id from public.grid_overdue_households($1, $2::date) order by household_id limit 1',
      [memberGrid, DEMO_TODAY],
    );
    const covered = async () =>
      (await call('grid_member', '/api/stats/grids')).body.grids.find((g: any) => g.id === memberGrid).coveredHouseholds as number;
    const before = await covered();
    const logged = await logVisit('grid_member', visit(overdue!.household_id, { visitedAt: `${DEMO_TODAY}T09:30:00+08:00` }));
    expect(logged.status).toBe(201);
    expect(await covered()).toBe(before + 1);
  });

  // -------------------------------------------------------------------------------------------
  // A household's timeline
  // -------------------------------------------------------------------------------------------

  /** A household of the member's grid with an issue registered for it, given two new visits. */
  const householdWithHistory = async () => {
    const [row] = await db().query<{ household_id: number }>(
      `select i.household_id from public.issues i join public.households h on h.id = i.household_id
       where i.grid_id = $1 and h.moved_out is null and h.moved_in < '2026-01-01' order by i.id limit 1`,
      [memberGrid],
    );
    const householdId = row!.household_id;
    households = households.filter((h) => h !== householdId);
    await logVisit('grid_member', visit(householdId, { visitedAt: '2026-11-19T15:00:00+08:00', notes: '第二次走访' }));
    await logVisit('grid_member', visit(householdId, { visitedAt: '2026-11-17T09:00:00+08:00', notes: '第一次走访' }));
    return householdId;
  };
  let historyHousehold: Promise<number> | undefined;

  it('lists a household’s visits and issues, newest first', async () => {
    const householdId = await (historyHousehold ??= householdWithHistory());
    const { status, body } = await call('grid_member', `/api/visits/timeline?householdId=${householdId}`);
    expect(status).toBe(200);
    expect(body.household).toMatchObject({ id: householdId, gridId: memberGrid, masked: false });
    const kinds = new Set(body.entries.map((e: any) => e.kind));
    expect(kinds).toEqual(new Set(['visit', 'issue']));
    const times = body.entries.map((e: any) => new Date(e.at).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(
      body.entries
        .filter((e: any) => e.kind === 'visit')
        .slice(0, 2)
        .map((e: any) => e.notes),
    ).toEqual(['第二次走访', '第一次走访']);
  });

  it('masks the timeline’s notes and reporters for the street leader', async () => {
    const householdId = await (historyHousehold ??= householdWithHistory());
    const { status, body } = await call('street_leader', `/api/visits/timeline?householdId=${householdId}`);
    expect(status).toBe(200);
    expect(body.entries.length).toBeGreaterThan(2);
    for (const e of body.entries) expect(e.masked).toBe(true);
    const visits = body.entries.filter((e: any) => e.kind === 'visit');
    expect(visits.every((v: any) => v.notes === '***')).toBe(true);
    expect(body.entries.find((e: any) => e.kind === 'issue').reporterName).toMatch(/\*/);
  });

  it('shows a change of the household’s categories in its timeline, with who made it', async () => {
    const householdId = households.pop()!;
    // The grid leader marks the household as elderly, as the ledger would after a birthday.
    const leader = await claimsOf(db(), ROLE_ACCOUNTS.grid_leader);
    await db().transaction(async (tx) => {
      await enterAsCaller(tx, leader);
      await tx.query(
        `update public.households set categories = array['elderly', 'empty_nest']::public.household_category[] where id = $1`,
        [householdId],
      );
    });
    const { body } = await call('grid_member', `/api/visits/timeline?householdId=${householdId}`);
    const change = body.entries.find((e: any) => e.kind === 'categories');
    expect(change).toMatchObject({ newCategories: ['elderly', 'empty_nest'], staffName: expect.any(String) });
    expect(change.oldCategories).not.toEqual(change.newCategories);
    expect(body.entries[0].kind).toBe('categories');
  });

  it('answers 404 for the timeline of another grid’s household', async () => {
    const { status } = await call('grid_member', `/api/visits/timeline?householdId=${otherGridHousehold}`);
    expect(status).toBe(404);
  });

  // -------------------------------------------------------------------------------------------
  // A worker's diary
  // -------------------------------------------------------------------------------------------

  const DIARY_DAY = '2026-11-18';
  let diaryLogged: Promise<void> | undefined;
  const logDiaryDay = async () => {
    const at = (time: string) => `${DIARY_DAY}T${time}+08:00`;
    await logVisit('grid_member', visit(next(), { visitedAt: at('09:00:00'), method: 'in_person', result: 'met' }));
    await logVisit('grid_member', visit(next(), { visitedAt: at('10:00:00'), method: 'in_person', result: 'not_home' }));
    await logVisit('grid_member', visit(next(), { visitedAt: at('23:30:00'), method: 'phone', result: 'met' }));
    // 00:30 the next day in China, still the 18th in UTC: not in the diary of the 18th.
    await logVisit('grid_member', visit(next(), { visitedAt: '2026-11-18T16:30:00Z', method: 'video', result: 'met' }));
  };

  it('counts a worker’s day by method and result, in China time', async () => {
    await (diaryLogged ??= logDiaryDay());
    const { status, body } = await call('grid_member', `/api/visits/diary?date=${DIARY_DAY}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      staffId: memberId,
      date: DIARY_DAY,
      total: 3,
      households: 3,
      byMethod: { in_person: 2, phone: 1, video: 0, third_party: 0 },
      byResult: { met: 2, not_home: 1 },
    });
    expect(body.visits.map((v: any) => new Date(v.visitedAt).toISOString())).toEqual([
      '2026-11-18T01:00:00.000Z',
      '2026-11-18T02:00:00.000Z',
      '2026-11-18T15:30:00.000Z',
    ]);
  });

  it('counts a worker’s month', async () => {
    await (diaryLogged ??= logDiaryDay());
    const [expected] = await db().query<{ n: number }>(
      `select count(*)::int as n from public.visits
       where visitor_id = $1 and public.china_date(visited_at) between '2026-11-01' and '2026-11-30'`,
      [memberId],
    );
    const { status, body } = await call('grid_member', '/api/visits/diary?month=2026-11');
    expect(status).toBe(200);
    expect(body).toMatchObject({ month: '2026-11', from: '2026-11-01', to: '2026-11-30', total: expected!.n });
    expect(body.visits).toHaveLength(expected!.n);
  });

  it('shows the street leader another worker’s diary, masked', async () => {
    await (diaryLogged ??= logDiaryDay());
    const { status, body } = await call('street_leader', `/api/visits/diary?date=${DIARY_DAY}&staffId=${memberId}`);
    expect(status).toBe(200);
    expect(body.total).toBe(3);
    expect(body.visits.every((v: any) => v.masked && v.notes === '***')).toBe(true);
  });

  it('shows a worker of another grid none of the diary', async () => {
    await (diaryLogged ??= logDiaryDay());
    // The demo has sign-in accounts for one member only; give a member of another grid a subject.
    const sub = randomUUID();
    const [other] = await db().query<{ email: string }>(
      `update public.staff s set user_id = $2
       where s.id = (select s2.id from public.staff s2 where s2.role = 'grid_member' and s2.user_id is null
                     and not exists (select 1 from public.staff_grids sg where sg.staff_id = s2.id and sg.grid_id = $1)
                     order by s2.id limit 1)
       returning s.email`,
      [memberGrid, sub],
    );
    const token = await issueToken(TEST_JWT_SECRET, { id: sub, email: other!.email });
    const res = await app().request(`/api/visits/diary?date=${DIARY_DAY}&staffId=${memberId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.total).toBe(0);
  });

  it.each(['', '?date=2026-11-18&month=2026-11', '?date=2026-02-30', '?month=2026-13'])(
    'refuses a diary request without exactly one valid period with a 400 (%s)',
    async (query) => {
      const { status, body } = await call('grid_member', `/api/visits/diary${query}`);
      expect(status).toBe(400);
      expect(body.error.code).toBe('invalid_request');
    },
  );

  describe('按期走访率', () => {
    /** The month report's own function, summed as the database owner: what the endpoint must equal. */
    const reference = async (from: string, to: string, gridId: number | null) =>
      (
        await db().query<{ due: number; done: number; onTime: number }>(
          `select coalesce(sum(due), 0)::int as due, coalesce(sum(done), 0)::int as done, coalesce(sum(on_time), 0)::int as "onTime"
           from public.report_visit_timeliness($1::date, $2::date) where $3::int is null or grid_id = $3`,
          [from, to, gridId],
        )
      )[0]!;

    it('gives the street’s visits due in a period, done, and done on time, with the rate', async () => {
      const { status, body } = await call('street_leader', '/api/visits/indicators?from=2026-10-01&to=2026-10-31');
      expect(status).toBe(200);
      const expected = await reference('2026-10-01', '2026-10-31', null);
      expect(expected.due).toBeGreaterThan(0);
      expect(body.counts).toEqual(expected);
      expect(body.rates.onTimeVisits).toBeCloseTo(expected.onTime / expected.due, 10);
      expect(body.counts.onTime).toBeLessThanOrEqual(body.counts.done);
    });

    it('narrows to one grid', async () => {
      const { body } = await call('grid_leader', '/api/visits/indicators?from=2026-10-01&to=2026-10-31&gridId=1');
      expect(body.scope).toEqual({ gridId: 1 });
      expect(body.counts).toEqual(await reference('2026-10-01', '2026-10-31', 1));
    });

    it('gives every grid, from its own households only, what the street-wide definition gives it', async () => {
      // The definition as first written (*_meetings.sql): over household_visit_status, the
      // coverage reference, for the whole street. The per-grid and report paths must equal it.
      const streetWide = await db().query(
        `with pol as (
           select g.id as grid_id, p.s -> 'countedMethods' as methods, (p.s ->> 'notHomeCounts')::boolean as nh
           from public.grids g, lateral (select public.policy_settings_at(g.community_id, $2::date) as s) p),
         st as (
           select s.household_id, s.grid_id, s.due_date, pol.methods, pol.nh
           from public.household_visit_status($1::date - 1) s join pol using (grid_id) join public.households h on h.id = s.household_id
           where s.due_date between $1::date and $2::date and (h.moved_out is null or h.moved_out > s.due_date))
         select st.grid_id, count(*)::int as due, count(v.first)::int as done, count(*) filter (where v.first <= st.due_date)::int as on_time
         from st left join lateral (
           select min(public.china_date(x.visited_at)) as first from public.visits x
           where x.household_id = st.household_id and public.china_date(x.visited_at) between $1::date and $2::date
             and st.methods ? x.method::text and (x.result = 'met' or st.nh)) v on true
         group by 1 order by 1`,
        ['2026-10-01', '2026-10-31'],
      );
      expect(streetWide.length).toBeGreaterThan(10);
      const report = await db().query(`select * from public.report_visit_timeliness('2026-10-01', '2026-10-31') order by 1`);
      expect(report).toEqual(streetWide);
      const perGrid = await db().query(
        `select t.* from public.grids g, public.grid_visit_timeliness(g.id, '2026-10-01', '2026-10-31') t order by 1`,
      );
      expect(perGrid).toEqual(streetWide);
    });

    it('refuses a period that ends before it starts with a 400', async () => {
      const { status, body } = await call('street_leader', '/api/visits/indicators?from=2026-10-31&to=2026-10-01');
      expect(status).toBe(400);
      expect(body.error.message).toMatch(/from must not be after to/);
    });
  });
});
