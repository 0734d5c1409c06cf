import { expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { issueToken } from '../../api/auth/tokens';
import { readEnv } from '../../api/env';
import { visitsToNextBand } from '../../api/grids/grid-overdue';
import { LOCALES } from '../../geo/i18n/strings';
import { bandOf, METRICS } from '../../geo/metrics/legend';
import { ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('stats API', (_mode, db) => {
  const app = () =>
    signedIn(createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }), db(), ROLE_ACCOUNTS.street_leader);
  const get = async (path: string) => {
    const res = await app().request(path);
    return { status: res.status, body: (await res.json()) as any };
  };

  it('defaults to today and keeps coverage × households = coveredHouseholds for every grid', async () => {
    const { status, body } = await get('/api/stats/grids');
    expect(status).toBe(200);
    expect(body.asOf).toBe(DEMO_TODAY);
    expect(body.grids.length).toBeGreaterThanOrEqual(15);
    for (const g of body.grids) {
      expect(g.coverage * g.households).toBeCloseTo(g.coveredHouseholds, 9);
      expect(g.overdueHouseholds).toBeLessThanOrEqual(g.households - g.coveredHouseholds);
      expect(g.atRiskOverdue).toBeLessThanOrEqual(g.atRiskHouseholds);
      expect(g.attention).toBeGreaterThanOrEqual(0);
      expect(g.attention).toBeLessThanOrEqual(100);
      const sum = Object.values(g.attentionBreakdown as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - g.attention)).toBeLessThanOrEqual(0.25);
      for (const m of METRICS) expect(g.bands[m]).toBe(bandOf(m, g[m]));
    }
  });

  it('shows clear contrast between diligent and neglected grids', async () => {
    const { body } = await get(`/api/stats/grids?asOf=${DEMO_TODAY}`);
    const coverage = body.grids.map((g: any) => g.coverage as number);
    expect(coverage.filter((c: number) => c < 0.7).length).toBeGreaterThanOrEqual(2);
    expect(coverage.filter((c: number) => c >= 0.85).length).toBeGreaterThanOrEqual(10);
  });

  it('paints a different picture a year earlier', async () => {
    const critical = async (asOf: string) =>
      (await get(`/api/stats/grids?asOf=${asOf}`)).body.grids
        .filter((g: any) => g.bands.coverage === 'critical')
        .map((g: any) => g.id)
        .sort();
    expect(await critical('2025-11-30')).not.toEqual(await critical(DEMO_TODAY));
  });

  it('adds building figures up to their grid', async () => {
    const grids = (await get(`/api/stats/grids?asOf=${DEMO_TODAY}`)).body.grids;
    const { status, body } = await get(`/api/stats/buildings?asOf=${DEMO_TODAY}&bbox=115.8,28.5,116.0,28.7`);
    expect(status).toBe(200);
    for (const g of grids) {
      const mine = body.buildings.filter((b: any) => b.gridId === g.id);
      expect(mine.reduce((s: number, b: any) => s + b.households, 0)).toBe(g.households);
      expect(mine.reduce((s: number, b: any) => s + b.coveredHouseholds, 0)).toBe(g.coveredHouseholds);
      expect(mine.reduce((s: number, b: any) => s + b.atRiskOverdue, 0)).toBe(g.atRiskOverdue);
    }
    // Vector tiles carry ids only: the map names a building (tooltip, panel) from its figures.
    const [first] = body.buildings;
    const [row] = await db().query<{ address: string }>('select address from public.buildings where id = $1', [first.id]);
    expect(first.address).toBe(row!.address);
  });

  it.each([
    ['asOf=2026-02-30', /asOf must be a date as YYYY-MM-DD/],
    ['asOf=yesterday', /asOf must be a date as YYYY-MM-DD/],
    ['asOf=2099-01-01', /in the future; the latest date with data is today, 2026-11-15/],
  ])('refuses %s with a 400 that says why', async (query, message) => {
    const { status, body } = await get(`/api/stats/grids?${query}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toMatch(message);
  });

  it('serves a legend for every metric, in three languages, with distinct band colours', async () => {
    const { body } = await get('/api/legend');
    expect(body.metrics.map((m: any) => m.id)).toEqual([...METRICS]);
    for (const m of body.metrics) {
      for (const l of LOCALES) expect(m.labels[l]).toEqual(expect.any(String));
      const bands = m.bands.filter((b: any) => b.id !== 'none');
      expect(bands.map((b: any) => b.id)).toEqual(['good', 'fair', 'poor', 'critical']);
      expect(new Set(bands.map((b: any) => b.color)).size).toBe(4);
    }
    const coverage = body.metrics.find((m: any) => m.id === 'coverage');
    expect(coverage.bands.slice(0, 4).map((b: any) => [b.min, b.max])).toEqual([
      [0.95, 1],
      [0.85, 0.95],
      [0.7, 0.85],
      [0, 0.7],
    ]);
  });

  it('lists a grid’s overdue households at-risk first, then longest overdue, without names', async () => {
    const grids = (await get(`/api/stats/grids?asOf=${DEMO_TODAY}`)).body.grids;
    const worst = [...grids].sort((a: any, b: any) => a.coverage - b.coverage)[0];
    const { status, body } = await get(`/api/grids/${worst.id}/overdue?asOf=${DEMO_TODAY}`);
    expect(status).toBe(200);
    expect(body.overdue).toHaveLength(worst.overdueHouseholds);
    expect(body.overdue.filter((h: any) => h.atRisk)).toHaveLength(worst.atRiskOverdue);
    for (let i = 1; i < body.overdue.length; i++) {
      const [a, b] = [body.overdue[i - 1], body.overdue[i]];
      expect(Number(a.atRisk) >= Number(b.atRisk)).toBe(true);
      if (a.atRisk === b.atRisk) expect(a.daysOverdue).toBeGreaterThanOrEqual(b.daysOverdue);
    }
    expect(JSON.stringify(body)).not.toMatch(/headName|phone|"name"/);
    expect(body.nextBand).toEqual(visitsToNextBand(worst.households, worst.coveredHouseholds));
  });

  it('lists, for every grid and date, exactly the overdue households and counts of the street-wide definition in that grid', async () => {
    for (const asOf of [DEMO_TODAY, '2026-06-30']) {
      // household_visit_status is the street-wide definition grid_stats aggregates.
      const street = await db().query<{ grid_id: number; household_id: number; covered: boolean; overdue: boolean }>(
        `select grid_id, household_id, covered, overdue from public.household_visit_status($1::date) where grid_id is not null order by 1, 2`,
        [asOf],
      );
      const perGrid = await db().query<{ grid_id: number; household_id: number }>(
        `select g.id as grid_id, o.household_id from public.grids g, public.grid_overdue_households(g.id, $1::date) o order by 1, 2`,
        [asOf],
      );
      const overdue = street.filter((r) => r.overdue).map(({ grid_id, household_id }) => ({ grid_id, household_id }));
      expect(overdue.length).toBeGreaterThan(100);
      expect(perGrid).toEqual(overdue);
      // The list's header figures, for one grid.
      const counts = await db().query<{ grid_id: number; households: number; covered: number }>(
        `select g.id as grid_id, c.households, c.covered_households as covered from public.grids g, public.grid_visit_counts(g.id, $1::date) c order by 1`,
        [asOf],
      );
      const expected = new Map<number, { grid_id: number; households: number; covered: number }>();
      for (const r of street) {
        const e = expected.get(r.grid_id) ?? { grid_id: r.grid_id, households: 0, covered: 0 };
        e.households++;
        if (r.covered) e.covered++;
        expected.set(r.grid_id, e);
      }
      expect(counts.filter((c) => c.households > 0)).toEqual([...expected.values()]);
    }
  });

  it('answers an unknown grid with 404 and a malformed id with 400', async () => {
    expect((await get('/api/grids/99999/overdue')).status).toBe(404);
    const bad = await get('/api/grids/abc/overdue');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/grid id must be a number/);
  });

  // Today's figures come from a security-definer rollup read; the answer must still be the
  // caller's street only (docs/access.md), as every other date's is by row-level security.
  it('answers today’s figures for the caller’s street only, the grids its map draws', async () => {
    const mine = (await get('/api/stats/grids')).body.grids.map((g: any) => g.id).sort((a: number, b: number) => a - b);
    const drawn = ((await (await app().request('/api/grids')).json()) as any).features
      .map((f: any) => f.properties.id)
      .sort((a: number, b: number) => a - b);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine).toEqual(drawn);
    const [other] = await db().query<{ id: string }>(
      `with s as (insert into public.streets (code, name, boundary) values ('STATS-OTHER', '别的街道', ST_Multi(ST_MakeEnvelope(100, 10, 100.01, 10.01, 4326))) returning id)
       insert into public.staff (user_id, street_id, name, email, role) select gen_random_uuid(), s.id, '别街道', 'stats-other@test.local', 'street_leader' from s
       returning user_id as id`,
    );
    const token = await issueToken(TEST_JWT_SECRET, { id: other!.id, email: 'stats-other@test.local' });
    const res = await createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }).request('/api/stats/grids', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).grids).toEqual([]);
  });
});

it('counts the visits that lift a grid into the next band', () => {
  expect(visitsToNextBand(200, 100)).toEqual({ band: 'poor', visits: 40 });
  expect(visitsToNextBand(200, 140)).toEqual({ band: 'fair', visits: 30 });
  expect(visitsToNextBand(300, 284)).toEqual({ band: 'good', visits: 1 });
  expect(visitsToNextBand(300, 285)).toBeNull();
  expect(visitsToNextBand(0, 0)).toBeNull();
});
