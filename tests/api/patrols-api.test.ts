/**
 * Patrols through the API: a grid leader starts and stops a patrol, and per grid and day whether
 * the patrol rule (patrolMinMinutes of finished patrols, China time) was met.
 */
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { type DemoRole, ROLE_ACCOUNTS, signedIn, staffGridOf } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('patrols through the API', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const call = async (who: DemoRole, path: string, init: RequestInit = {}) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(path, init);
    return { status: res.status, body: (await res.json()) as any };
  };
  const post = (who: DemoRole, path: string, body: object) =>
    call(who, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const start = (who: DemoRole, gridId: number) => post(who, '/api/patrols', { gridId });
  const stop = (who: DemoRole, id: number, body: object = {}) => post(who, `/api/patrols/${id}/stop`, body);
  /** Whoever has a patrol open closes it, so each test starts from a walker at rest. */
  const closeOpenPatrols = () => db().query(`update public.patrols set ended_at = started_at + interval '1 minute' where ended_at is null`);

  let leaderGrid: number;
  let otherGrid: number;
  beforeAll(async () => {
    ({ gridId: leaderGrid } = await staffGridOf(db(), ROLE_ACCOUNTS.grid_leader));
    [{ id: otherGrid }] = (await db().query<{ id: number }>('select id from public.grids where id <> $1 order by id limit 1', [
      leaderGrid,
    ])) as [{ id: number }];
  });

  it('starts a patrol for the signed-in leader in their grid', async () => {
    await closeOpenPatrols();
    const { status, body } = await start('grid_leader', leaderGrid);
    expect(status).toBe(201);
    expect(body).toMatchObject({ gridId: leaderGrid, endedAt: null, minutes: null, track: null });
    expect(body.staffId).toBe((await staffGridOf(db(), ROLE_ACCOUNTS.grid_leader)).staffId);
  });

  it('tells the walker which patrol they have under way, and none once it is stopped', async () => {
    await closeOpenPatrols();
    const { body: started } = await start('grid_leader', leaderGrid);
    const open = async (who: DemoRole) => (await call(who, '/api/patrols/open')).body.patrol;
    expect(await open('grid_leader')).toMatchObject({ id: started.id, gridId: leaderGrid, endedAt: null });
    // Another walker's open patrol is not theirs.
    expect(await open('grid_member')).toBeNull();
    await stop('grid_leader', started.id);
    expect(await open('grid_leader')).toBeNull();
  });

  it('refuses a second start while a patrol is under way with a 409 naming it', async () => {
    await closeOpenPatrols();
    const first = await start('grid_leader', leaderGrid);
    const { status, body } = await start('grid_leader', leaderGrid);
    expect(status).toBe(409);
    expect(body.error.code).toBe('patrol_already_open');
    expect(body.error.details.patrolId).toBe(first.body.id);
  });

  it('starts one patrol when a double tap sends two starts at once', async () => {
    await closeOpenPatrols();
    const answers = await Promise.all([start('grid_leader', leaderGrid), start('grid_leader', leaderGrid)]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const [open] = await db().query<{ n: number }>('select count(*)::int as n from public.patrols where ended_at is null');
    expect(open!.n).toBe(1);
  });

  it('refuses a patrol of a grid outside the caller’s scope with a 403', async () => {
    await closeOpenPatrols();
    const { status, body } = await start('grid_leader', otherGrid);
    expect(status).toBe(403);
    expect(body.error.code).toBe('forbidden');
  });

  it('refuses the presenter a patrol with a 403', async () => {
    expect((await start('presenter', leaderGrid)).status).toBe(403);
  });

  it('stops the caller’s own patrol with its GPS track', async () => {
    await closeOpenPatrols();
    const { body: started } = await start('grid_leader', leaderGrid);
    const track = {
      type: 'LineString',
      coordinates: [
        [115.91, 28.63],
        [115.911, 28.631],
        [115.912, 28.6305],
      ],
    };
    const { status, body } = await stop('grid_leader', started.id, { track });
    expect(status).toBe(200);
    expect(body.id).toBe(started.id);
    expect(body.endedAt).not.toBeNull();
    expect(body.minutes).toBeGreaterThanOrEqual(0);
    expect(body.track).toEqual(track);
  });

  /** A track from PostGIS: a walk along the grid's ring, or the same walk moved `dx` degrees east. */
  const ringTrack = async (dx: number) =>
    (
      await db().query<{ g: unknown }>(
        `select ST_AsGeoJSON(ST_Translate(ST_LineSubstring(ST_ExteriorRing(ST_GeometryN(boundary, 1)), 0, 0.5), $2, 0), 7)::json as g
         from public.grids where id = $1`,
        [leaderGrid, dx],
      )
    )[0]!.g;

  it('keeps a track that follows the grid unflagged, with its share inside', async () => {
    await closeOpenPatrols();
    const { body: started } = await start('grid_leader', leaderGrid);
    const { body } = await stop('grid_leader', started.id, { track: await ringTrack(0) });
    expect(body.trackInsideShare).toBe(1);
    expect(body.flaggedForReview).toBe(false);
  });

  it('keeps a track that runs elsewhere but flags it for review', async () => {
    await closeOpenPatrols();
    const { body: started } = await start('grid_leader', leaderGrid);
    // 0.05° east is ~5 km: outside this grid and its geofence.
    const { status, body } = await stop('grid_leader', started.id, { track: await ringTrack(0.05) });
    expect(status).toBe(200);
    expect(body.trackInsideShare).toBe(0);
    expect(body.flaggedForReview).toBe(true);
    expect(body.endedAt).not.toBeNull();
  });

  it('refuses to stop a patrol twice with a 409', async () => {
    await closeOpenPatrols();
    const { body: started } = await start('grid_leader', leaderGrid);
    expect((await stop('grid_leader', started.id)).status).toBe(200);
    const { status, body } = await stop('grid_leader', started.id);
    expect(status).toBe(409);
    expect(body.error.code).toBe('patrol_already_stopped');
  });

  it('refuses to stop someone else’s patrol with a 403, and leaves it open', async () => {
    await closeOpenPatrols();
    const { body: started } = await start('grid_member', leaderGrid);
    const { status, body } = await stop('grid_leader', started.id);
    expect(status).toBe(403);
    expect(body.error.message).toMatch(/someone else/);
    const [row] = await db().query<{ ended_at: Date | null }>('select ended_at from public.patrols where id = $1', [started.id]);
    expect(row!.ended_at).toBeNull();
  });

  it('refuses a track that is not a LineString of WGS84 positions with a 400', async () => {
    await closeOpenPatrols();
    const { body: started } = await start('grid_leader', leaderGrid);
    const { status, body } = await stop('grid_leader', started.id, { track: { type: 'LineString', coordinates: [[115.91, 128.63]] } });
    expect(status).toBe(400);
    expect(body.error.details.map((d: any) => d.path)).toEqual(expect.arrayContaining(['track.coordinates', 'track.coordinates.0.1']));
  });

  // -------------------------------------------------------------------------------------------
  // Compliance
  // -------------------------------------------------------------------------------------------

  /** Patrols of the leader's grid written as they would be after a day's work (times in China). */
  const patrolled = async (walks: [start: string, end: string | null][]) => {
    await db().query(
      `insert into public.patrols (grid_id, staff_id, started_at, ended_at)
       select $1, (select id from public.staff where email = $2), (w ->> 0)::timestamptz, (w ->> 1)::timestamptz
       from jsonb_array_elements($3::jsonb) w`,
      [leaderGrid, ROLE_ACCOUNTS.community_staff, JSON.stringify(walks)],
    );
  };
  const compliance = async (month: string, who: DemoRole = 'grid_leader') =>
    call(who, `/api/patrols/compliance?gridId=${leaderGrid}&month=${month}`);
  const day = (body: any, date: string) => body.days.find((d: any) => d.date === date);

  // October 2025 is before the demo street's patrols begin: these days hold only what a test writes.
  it('meets the rule on a day whose finished patrols add up to patrolMinMinutes', async () => {
    await patrolled([
      ['2025-10-05T08:00:00+08:00', '2025-10-05T08:20:00+08:00'],
      ['2025-10-05T17:00:00+08:00', '2025-10-05T17:10:00+08:00'],
    ]);
    const { status, body } = await compliance('2025-10');
    expect(status).toBe(200);
    expect(body.days).toHaveLength(31);
    expect(day(body, '2025-10-05')).toEqual({ date: '2025-10-05', minutes: 30, patrols: 2, requiredMinutes: 30, met: true });
  });

  it('does not meet the rule on a day with less than patrolMinMinutes', async () => {
    await patrolled([['2025-10-06T08:00:00+08:00', '2025-10-06T08:29:00+08:00']]);
    const { body } = await compliance('2025-10');
    expect(day(body, '2025-10-06')).toMatchObject({ minutes: 29, patrols: 1, met: false });
  });

  it('counts a patrol for the China date it started on', async () => {
    // 16:20 UTC on the 9th is 00:20 on the 10th in China: the 10th.
    await patrolled([['2025-10-09T16:20:00Z', '2025-10-09T17:00:00Z']]);
    const { body } = await compliance('2025-10');
    expect(day(body, '2025-10-10')).toMatchObject({ minutes: 40, patrols: 1, met: true });
    expect(day(body, '2025-10-09')).toMatchObject({ minutes: 0, patrols: 0, met: false });
  });

  it('counts a patrol only once it has been stopped', async () => {
    await closeOpenPatrols();
    const { body: started } = await start('grid_leader', leaderGrid);
    // As if it had been walked for 40 minutes.
    const [{ date }] = (await db().query<{ date: string }>(
      `update public.patrols set started_at = now() - interval '40 minutes' where id = $1
       returning public.china_date(started_at)::text as date`,
      [started.id],
    )) as [{ date: string }];
    const month = date.slice(0, 7);
    // The patrol is walked on the real today, after the demo's pinned one: judged on a product
    // whose today is the real one.
    const onRealToday = async () => {
      const res = await signedIn(
        createApp({ db: db(), env: readEnv({}), jwtSecret: TEST_JWT_SECRET }),
        db(),
        ROLE_ACCOUNTS.grid_leader,
      ).request(`/api/patrols/compliance?gridId=${leaderGrid}&month=${month}`);
      return day(await res.json(), date);
    };
    const open = await onRealToday();
    await stop('grid_leader', started.id);
    const stopped = await onRealToday();
    expect(stopped.patrols).toBe(open.patrols + 1);
    expect(stopped.minutes - open.minutes).toBeGreaterThanOrEqual(40);
    expect(stopped.met).toBe(true);
  });

  it('judges no day still to come', async () => {
    const { body } = await compliance('2030-01');
    expect(body.days.every((d: any) => d.met === null)).toBe(true);
    expect(body.daysJudged).toBe(0);
  });

  it('judges the days up to the product’s today, which a demo street pins', async () => {
    const { body } = await compliance(DEMO_TODAY.slice(0, 7));
    const judged = body.days.filter((d: any) => d.met !== null).map((d: any) => d.date);
    expect(judged.at(-1)).toBe(DEMO_TODAY);
    expect(body.daysJudged).toBe(Number(DEMO_TODAY.slice(8)));
  });

  it('refuses the compliance of a grid whose people the caller may not see with a 403', async () => {
    const { status } = await compliance('2025-10', 'presenter');
    expect(status).toBe(403);
  });

  it.each(['?gridId=1&month=2026-13', '?gridId=1', '?month=2026-10'])(
    'refuses a compliance request without a grid and a month with a 400 (%s)',
    async (query) => {
      const { status, body } = await call('grid_leader', `/api/patrols/compliance${query}`);
      expect(status).toBe(400);
      expect(body.error.code).toBe('invalid_request');
    },
  );
});
