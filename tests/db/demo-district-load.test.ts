import { beforeAll, expect, it } from 'vitest';
import { migrate } from '../../api/db/migrate';
import { loadDemoStreet } from '../../api/db/seed';
import { generateDemoDistrict } from '../../geo/demo/district.generator';
import { describeEachEmptyDatabase } from '../support/each-database';

// The bench's district loader at the smallest size: two streets of one community, one month.
const district = [...generateDemoDistrict({ today: '2026-11-15', streets: 2, communitiesPerStreet: 1, months: 1 })];
const total = (t: 'grids' | 'buildings' | 'households' | 'visits' | 'issues') => district.reduce((n, s) => n + s[t].length, 0);

describeEachEmptyDatabase('a generated district loads street by street', (_mode, db) => {
  beforeAll(async () => {
    await migrate(db());
    // As bench/run.ts loads it: one transaction per street, the demo accounts with the first only.
    for (const [k, street] of district.entries()) await db().transaction((tx) => loadDemoStreet(tx, street, { accounts: k === 0 }));
  }, 120_000);

  it('holds every row of every street: no code, address or register number collides', async () => {
    const [row] = await db().query<Record<string, number>>(
      `select (select count(*) from public.streets)::int as streets, (select count(*) from public.grids)::int as grids,
              (select count(*) from public.buildings)::int as buildings, (select count(*) from public.households)::int as households,
              (select count(*) from public.visits)::int as visits, (select count(*) from public.issues)::int as issues,
              (select count(*) from minqing.local_accounts)::int as accounts`,
    );
    expect(row).toEqual({
      streets: 2,
      grids: total('grids'),
      buildings: total('buildings'),
      households: total('households'),
      visits: total('visits'),
      issues: total('issues'),
      accounts: 5,
    });
  });

  it('puts each building, by its shifted footprint, into the grid the generator numbered for it', async () => {
    const placed = await db().query<{ id: number; grid_id: number | null; street_id: number }>(
      `select b.id, b.grid_id, c.street_id from public.buildings b
       left join public.grids g on g.id = b.grid_id left join public.communities c on c.id = g.community_id order by b.id`,
    );
    const expected = district.flatMap((s) => s.buildings.map((b) => ({ id: b.id, grid_id: b.gridId, street_id: s.street.id })));
    expect(placed).toEqual(expected);
  });
});
