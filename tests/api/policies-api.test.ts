import { expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { readEnv } from '../../api/env';
import { asCaller } from '../../api/lib/request-db';
import { DEFAULT_POLICY } from '../../geo/domain/visit-policy';
import { claimsOf, type DemoRole, ROLE_ACCOUNTS, signedIn } from '../support/callers';
import { describeEachDatabase } from '../support/each-database';
import { DEMO_TODAY, TEST_JWT_SECRET } from '../support/fixtures';

describeEachDatabase('visit policies', (_mode, db) => {
  const app = () =>
    signedIn(createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET }), db(), ROLE_ACCOUNTS.street_leader);
  const base = () => createApp({ db: db(), env: readEnv({ DEMO_TODAY }), jwtSecret: TEST_JWT_SECRET });
  /** PUT as the demo community's staff unless told otherwise. */
  const put = async (communityId: number | string, body: unknown, as: DemoRole = 'community_staff') => {
    const res = await signedIn(base(), db(), ROLE_ACCOUNTS[as]).request(`/api/policies/${communityId}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('lists the versions in force, starting with the street-wide default', async () => {
    const res = await app().request('/api/policies');
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.policies[0]).toMatchObject({ communityId: null, validFrom: '2000-01-01', settings: DEFAULT_POLICY });
  });

  it('keeps the SQL fallback policy equal to DEFAULT_POLICY', async () => {
    const [row] = await db().query<{ s: unknown }>('select public.default_policy_settings() as s');
    expect(row!.s).toEqual(DEFAULT_POLICY);
  });

  it.each([
    [{ settings: { ...DEFAULT_POLICY, intervals: { ...DEFAULT_POLICY.intervals, ordinary: 0 } } }, 'settings.intervals.ordinary'],
    [{ settings: { ...DEFAULT_POLICY, intervals: { ...DEFAULT_POLICY.intervals, martian: 7 } } }, 'settings.intervals'],
    [{ settings: { ...DEFAULT_POLICY, atRisk: ['elderly', 'vip'] } }, 'settings.atRisk.1'],
    [{ settings: { ...DEFAULT_POLICY, countedMethods: [] } }, 'settings.countedMethods'],
    [
      {
        settings: {
          ...DEFAULT_POLICY,
          attention: { ...DEFAULT_POLICY.attention, weights: { coverageGap: 1, atRiskOverdue: 1, overdueIssues: 0, patrolGap: 0 } },
        },
      },
      'settings.attention.weights',
    ],
    [{ validFrom: '2020-01-01', settings: DEFAULT_POLICY }, 'validFrom'],
    [{ settings: { ...DEFAULT_POLICY, bands: { coverage: [0.7, 0.85, 0.95] } } }, 'settings.bands.coverage'],
    [{ settings: { ...DEFAULT_POLICY, bands: { pets: [1, 2, 3] } } }, 'settings.bands'],
  ])('refuses a bad policy with a 422 naming the field (%#)', async (body, path) => {
    const { status, body: res } = await put(1, body);
    expect(status).toBe(422);
    expect(res.error.code).toBe('invalid_policy');
    expect(res.error.details.map((d: any) => d.path)).toContain(path);
  });

  it('refuses a well-formed change from someone who is not the community’s staff', async () => {
    for (const role of ['street_leader', 'grid_leader', 'grid_member', 'presenter'] as const) {
      const { status, body } = await put(1, { validFrom: '2027-01-01', settings: DEFAULT_POLICY }, role);
      expect(status, role).toBe(403);
      expect(body.error.code).toBe('forbidden');
    }
    expect((await put(2, { validFrom: '2027-01-01', settings: DEFAULT_POLICY })).status).toBe(403);
    const [n] = await db().query<{ n: number }>(`select count(*)::int n from public.visit_policies where valid_from = '2027-01-01'`);
    expect(n!.n).toBe(0);
  });

  it('lets community staff add a future version for their own community only', async () => {
    const claims = await claimsOf(db(), ROLE_ACCOUNTS.community_staff);
    const [me] = await db().query<{ community_id: number }>(`select community_id from public.staff where user_id = $1`, [claims.sub]);
    const insert = (communityId: number, validFrom: string) =>
      asCaller(db(), claims, (tx) =>
        tx.query(`insert into public.visit_policies (street_id, community_id, valid_from, settings) values (1, $1, $2, $3::jsonb)`, [
          communityId,
          validFrom,
          JSON.stringify(DEFAULT_POLICY),
        ]),
      );
    await expect(insert(me!.community_id, '2099-01-01')).resolves.toBeDefined();
    await expect(insert(me!.community_id + 1, '2099-01-01')).rejects.toThrow(/row-level security/);
    await expect(insert(me!.community_id, '2020-01-01')).rejects.toThrow(/row-level security/);
    await expect(asCaller(db(), claims, (tx) => tx.query(`update public.visit_policies set settings = '{}'::jsonb`))).rejects.toThrow(
      /permission denied/,
    );
  });

  it('refuses a second version on the same date with a 409 rather than editing the first', async () => {
    await db().query(
      `insert into public.visit_policies (street_id, community_id, valid_from, settings) values (1, 1, '2028-01-01', $1::jsonb)`,
      [JSON.stringify(DEFAULT_POLICY)],
    );
    const { status, body } = await put(1, { validFrom: '2028-01-01', settings: DEFAULT_POLICY });
    expect(status).toBe(409);
    expect(body.error.message).toMatch(/already has a policy version taking effect on 2028-01-01/);
  });

  it('moves band boundaries from the street-wide policy, for the stats and the legend alike, from its date on', async () => {
    const strict = { ...DEFAULT_POLICY, bands: { coverage: [0.99, 0.98, 0.97] as [number, number, number] } };
    await db().query(
      `insert into public.visit_policies (street_id, community_id, valid_from, settings) values (1, null, '2026-11-01', $1::jsonb)`,
      [JSON.stringify(strict)],
    );
    const stats = async (asOf: string) => {
      const res = await app().request(`/api/stats/grids?asOf=${asOf}`);
      return ((await res.json()) as any).grids as any[];
    };
    const after = await stats(DEMO_TODAY);
    for (const g of after) {
      const expected = g.coverage >= 0.99 ? 'good' : g.coverage >= 0.98 ? 'fair' : g.coverage >= 0.97 ? 'poor' : 'critical';
      expect(g.bands.coverage).toBe(expected);
    }
    const before = await stats('2026-10-31');
    expect(before.some((g) => g.coverage >= 0.7 && g.coverage < 0.97 && g.bands.coverage !== 'critical')).toBe(true);
    const legend = (await (await app().request(`/api/legend?asOf=${DEMO_TODAY}`)).json()) as any;
    expect(legend.metrics[0].bands[0]).toMatchObject({ id: 'good', min: 0.99 });
    const oldLegend = (await (await app().request('/api/legend?asOf=2026-10-31')).json()) as any;
    expect(oldLegend.metrics[0].bands[0]).toMatchObject({ id: 'good', min: 0.95 });
  });

  it('answers an unknown community with 404 before anything is written', async () => {
    const { status } = await put(999, { validFrom: '2027-01-01', settings: DEFAULT_POLICY });
    expect(status).toBe(404);
  });
});
