/**
 * 民情民意事项 through the API: registration (numbering under concurrency, location, scope),
 * every transition allowed and refused, masking for the street leader, pins and indicators.
 */
import { beforeAll, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { type DemoRole, ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('issues API', (_mode, db) => {
  const app = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  const call = async (who: DemoRole, method: string, path: string, body?: unknown) => {
    const res = await signedIn(app(), db(), ROLE_ACCOUNTS[who]).request(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const move = (id: number, body: Record<string, unknown>, who: DemoRole = 'grid_member') =>
    call(who, 'POST', `/api/issues/${id}/transitions`, body);

  let memberGrid: number;
  let otherGrid: number;
  let inside: [number, number];
  let insideOther: [number, number];
  beforeAll(async () => {
    const pointIn = async (grid: number) => {
      const [p] = await db().query<{ x: number; y: number }>(
        'select ST_X(p) x, ST_Y(p) y from (select ST_PointOnSurface(boundary) p from public.grids where id = $1) s',
        [grid],
      );
      return [p!.x, p!.y] as [number, number];
    };
    [{ grid_id: memberGrid }] = (await db().query<{ grid_id: number }>(
      `select sg.grid_id from public.staff_grids sg join public.staff s on s.id = sg.staff_id where s.email = $1 order by 1 limit 1`,
      [ROLE_ACCOUNTS.grid_member],
    )) as [{ grid_id: number }];
    [{ id: otherGrid }] = (await db().query<{ id: number }>('select id from public.grids where id <> $1 order by id desc limit 1', [
      memberGrid,
    ])) as [{ id: number }];
    inside = await pointIn(memberGrid);
    insideOther = await pointIn(otherGrid);
  });

  const registration = (over: Record<string, unknown> = {}) => ({
    category: 'public_facility',
    description: '3栋楼道灯坏了，晚上看不见',
    location: { type: 'Point', coordinates: inside },
    complexity: 'ordinary',
    tier: 'on_spot',
    receivedAt: `${DEMO_TODAY}T09:30:00+08:00`,
    reporter: { name: '王建国', contact: '13812345678', address: '3栋2单元502', workUnit: '退休' },
    ...over,
  });
  const register = async (over: Record<string, unknown> = {}, who: DemoRole = 'grid_member') => {
    const res = await call(who, 'POST', '/api/issues', registration(over));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };

  it('registers a matter with the next number of its month, the due date from the policy, and a first event', async () => {
    const [{ max }] = (await db().query<{ max: string }>(`select max(reg_no) as max from public.issues where reg_no like '202611%'`)) as [
      { max: string },
    ];
    const issue = await register();
    expect(issue.regNo).toBe(String(Number(max) + 1));
    expect(issue).toMatchObject({
      status: 'registered',
      gridId: memberGrid,
      reporter: { name: '王建国', contact: '13812345678' },
      masked: false,
    });
    expect(Date.parse(issue.dueAt) - Date.parse(issue.receivedAt)).toBe(7 * 86_400_000);
    const detail = await call('grid_member', 'GET', `/api/issues/${issue.id}`);
    expect(detail.body.events).toEqual([expect.objectContaining({ kind: 'registered', from: null, to: 'registered' })]);
    expect(detail.body.actions).toEqual(['accepted', 'escalated', 'extended', 'cancelled']);
  });

  it('numbers 20 concurrent registrations without a gap or a duplicate', async () => {
    const receivedAt = '2026-10-20T10:00:00+08:00';
    const [{ before }] = (await db().query<{ before: number }>(
      `select count(*)::int as before from public.issues where reg_no like '202610%'`,
    )) as [{ before: number }];
    const results = await Promise.all(
      Array.from({ length: 20 }, () => call('grid_member', 'POST', '/api/issues', registration({ receivedAt }))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    const numbers = results.map((r) => Number(r.body.regNo.slice(6))).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => before + 1 + i));
  });

  it('refuses a location outside every grid with a 422 naming the field', async () => {
    const res = await call('grid_member', 'POST', '/api/issues', registration({ location: { type: 'Point', coordinates: [116.5, 29.1] } }));
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'location_outside_grids', details: { path: 'location' } });
  });

  it('refuses a bad registration with a 400 naming each field', async () => {
    const res = await call(
      'grid_member',
      'POST',
      '/api/issues',
      registration({ category: 'noise', location: { type: 'Point', coordinates: [200, 28] } }),
    );
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: any) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['category', 'location.coordinates.0']));
  });

  it('refuses a registration in another grid, or by the presenter, with a 403', async () => {
    expect(
      (await call('grid_member', 'POST', '/api/issues', registration({ location: { type: 'Point', coordinates: insideOther } }))).status,
    ).toBe(403);
    expect((await call('presenter', 'POST', '/api/issues', registration())).status).toBe(403);
  });

  it('carries a matter to the end, one immutable event per step', async () => {
    const { id } = await register();
    for (const to of ['accepted', 'in_progress', 'resolved'] as const) {
      const r = await move(id, { to, note: `→ ${to}` });
      expect(r.status).toBe(200);
      expect(r.body.status).toBe(to);
    }
    const closed = await move(id, { to: 'closed', evaluation: 'satisfied', note: '已电话回访' });
    expect(closed.body).toMatchObject({ status: 'closed', evaluation: 'satisfied', closedAt: expect.any(String), actions: ['reopened'] });
    expect(closed.body.events.map((e: any) => e.kind)).toEqual(['registered', 'accepted', 'in_progress', 'resolved', 'closed']);
    await expect(db().query('update public.issue_events set note = $1 where issue_id = $2', ['rewritten', id])).rejects.toThrow(
      /append-only/,
    );
  });

  it('answers an invalid transition with a 409 naming the allowed ones', async () => {
    const { id } = await register();
    const r = await move(id, { to: 'resolved' });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({
      code: 'transition_not_allowed',
      details: { status: 'registered', allowed: ['accepted', 'escalated', 'extended', 'cancelled'] },
    });
    expect(r.body.error.message).toMatch(/registered.*Allowed now: accepted, escalated, extended, cancelled/);
  });

  it('needs a reason to cancel, and the evaluation to close (422)', async () => {
    const { id } = await register();
    const cancel = await move(id, { to: 'cancelled' });
    expect(cancel.status).toBe(422);
    expect(cancel.body.error).toMatchObject({ code: 'note_required' });
    expect((await move(id, { to: 'cancelled', note: '重复登记' })).body.status).toBe('cancelled');
    const other = await register();
    for (const to of ['accepted', 'in_progress', 'resolved'] as const) await move(other.id, { to });
    expect((await move(other.id, { to: 'closed' })).body.error.code).toBe('evaluation_required');
  });

  it('reopens a matter the resident is dissatisfied with', async () => {
    const { id } = await register();
    for (const to of ['accepted', 'in_progress', 'resolved'] as const) await move(id, { to });
    const r = await move(id, { to: 'closed', evaluation: 'dissatisfied', note: '居民认为灯仍不亮' });
    expect(r.body).toMatchObject({ status: 'in_progress', evaluation: 'dissatisfied', closedAt: null });
    expect(r.body.events.slice(-2).map((e: any) => [e.kind, e.from, e.to])).toEqual([
      ['closed', 'resolved', 'closed'],
      ['reopened', 'closed', 'in_progress'],
    ]);
  });

  it('escalates to the community and returns to the previous handler', async () => {
    const { id } = await register();
    const up = await move(id, { to: 'escalated', note: '涉及物业，需社区协调' });
    expect(up.body).toMatchObject({ tier: 'community', status: 'registered' });
    expect(up.body.actions).toContain('returned');
    const down = await move(id, { to: 'returned', note: '网格协调物业即可' }, 'community_staff');
    expect(down.body).toMatchObject({ tier: 'on_spot' });
    expect(down.body.events.at(-1)).toMatchObject({ kind: 'returned', details: { fromTier: 'community', toTier: 'on_spot' } });
  });

  it('extends the deadline with a reason kept for the resident, and keeps the first deadline', async () => {
    const issue = await register({ complexity: 'complex' });
    const r = await move(issue.id, { to: 'extended', days: 10, note: '需等待供电公司更换线路' });
    expect(r.body).toMatchObject({ originalDueAt: issue.dueAt, extensionReason: '需等待供电公司更换线路' });
    expect(Date.parse(r.body.dueAt) - Date.parse(issue.dueAt)).toBe(10 * 86_400_000);
  });

  it('shows the street leader the matter with the reporter masked and no actions; moving it is a 403', async () => {
    const { id } = await register();
    const r = await call('street_leader', 'GET', `/api/issues/${id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ masked: true, reporter: { name: '王*国', contact: '138****5678', address: '***' }, actions: [] });
    expect((await move(id, { to: 'accepted' }, 'street_leader')).status).toBe(403);
  });

  it('hides a matter of another grid from a grid member (404)', async () => {
    // Registered by that grid's own team (here: as the owner, like the seed).
    const [{ id }] = (await db().query<{ id: number }>(
      `insert into public.issues (category, description, location, grid_id, complexity, tier, received_at, due_at)
       values ('other', 'x', ST_SetSRID(ST_MakePoint($1, $2), 4326), $3, 'ordinary', 'on_spot', now(), now() + interval '7 days') returning id`,
      [...insideOther, otherGrid],
    )) as [{ id: number }];
    expect((await call('grid_member', 'GET', `/api/issues/${id}`)).status).toBe(404);
    expect((await move(id, { to: 'accepted' })).status).toBe(404);
  });

  it('lets two handlers race: one wins, the other gets a 409 that explains', async () => {
    const { id } = await register();
    const [a, b] = await Promise.all([move(id, { to: 'accepted' }), move(id, { to: 'accepted' }, 'grid_leader')]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const detail = await call('grid_member', 'GET', `/api/issues/${id}`);
    expect(detail.body.events.filter((e: any) => e.kind === 'accepted')).toHaveLength(1);
  });

  it('filters the board by status, grid and overdue, and rejects an unknown status', async () => {
    const list = await call('grid_member', 'GET', `/api/issues?status=registered,accepted&gridId=${memberGrid}`);
    expect(list.status).toBe(200);
    expect(list.body.issues.length).toBeGreaterThan(0);
    expect(list.body.issues.every((i: any) => ['registered', 'accepted'].includes(i.status) && i.gridId === memberGrid)).toBe(true);
    const overdue = await call('community_staff', 'GET', '/api/issues?overdue=true');
    expect(overdue.body.issues.every((i: any) => i.overdue)).toBe(true);
    expect((await call('grid_member', 'GET', '/api/issues?status=lost')).status).toBe(400);
  });

  it('puts a new matter on the map as a pin with its deadline stage, for every role', async () => {
    const { id } = await register();
    for (const role of ['presenter', 'street_leader'] as const) {
      const pins = await call(role, 'GET', '/api/issues/pins');
      const pin = pins.body.features.find((f: any) => f.id === id);
      expect(pin.properties).toMatchObject({
        status: 'registered',
        category: 'public_facility',
        stage: expect.stringMatching(/on_track|past_half|overdue/),
      });
      expect(JSON.stringify(pin)).not.toMatch(/王建国|13812345678/);
    }
  });

  it('counts a registration among the open issues of its grid at once', async () => {
    const openIssues = async () =>
      (await call('street_leader', 'GET', '/api/stats/grids')).body.grids.find((g: any) => g.id === memberGrid).openIssues;
    const before = await openIssues();
    await register();
    expect(await openIssues()).toBe(before + 1);
  });

  it('computes 办结率, 按期办结率 and 群众满意率 from the matters received in the period, as a reference computes them', async () => {
    const chinaDate = (t: string | Date) => new Date(new Date(t).getTime() + 8 * 3600_000).toISOString().slice(0, 10);
    const [from, to] = ['2026-08-01', '2026-10-31'];
    const rows = await db().query<{
      received_at: Date;
      closed_at: Date | null;
      due_at: Date;
      status: string;
      evaluation: string;
      grid_id: number;
    }>('select received_at, closed_at, due_at, status::text as status, evaluation::text as evaluation, grid_id from public.issues');
    const cohort = rows.filter(
      (r) => r.grid_id === memberGrid && r.status !== 'cancelled' && chinaDate(r.received_at) >= from && chinaDate(r.received_at) <= to,
    );
    const closed = cohort.filter((r) => r.closed_at && chinaDate(r.closed_at) <= to);
    const rated = closed.filter((r) => r.evaluation !== 'not_rated');
    const expected = {
      registered: cohort.length,
      closed: closed.length,
      closedOnTime: closed.filter((r) => r.closed_at! <= r.due_at).length,
      rated: rated.length,
      satisfied: rated.filter((r) => r.evaluation === 'satisfied' || r.evaluation === 'basically_satisfied').length,
    };
    const res = (await call('presenter', 'GET', `/api/issues/indicators?from=${from}&to=${to}&gridId=${memberGrid}`)).body;
    expect(res.counts).toEqual(expected);
    expect(expected.registered).toBeGreaterThan(5);
    expect(res.rates.closure).toBeCloseTo(expected.closed / expected.registered, 3);
    expect(res.rates.satisfaction).toBeCloseTo(expected.satisfied / expected.rated, 3);
    expect((await call('presenter', 'GET', '/api/issues/indicators?from=2026-10-01&to=2026-09-01')).status).toBe(400);
  });
});
