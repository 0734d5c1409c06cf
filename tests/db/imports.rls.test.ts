/**
 * The write policies imports rely on (20261127000400_imports.sql), allowed and refused, straight
 * against the database: community staff write grids and buildings of their own community only;
 * import batches are their uploader's alone.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Queryable } from '../../api/db/database';
import { type Claims, enterAsCaller } from '../../api/lib/request-db';
import { claimsOf, type DemoRole, ROLE_ACCOUNTS } from '../support/callers';
import { inRolledBackTransaction } from '../support/databases';
import { describeEachDatabase } from '../support/each-database';

describeEachDatabase('import write policies', (_mode, db) => {
  const as = <T>(claims: Claims, fn: (tx: Queryable) => Promise<T>) =>
    inRolledBackTransaction(db(), async (tx) => {
      await enterAsCaller(tx, claims);
      return fn(tx);
    });
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => 'allowed',
      (e: Error) => e.message,
    );
  let claims: Record<DemoRole, Claims>;
  let own: { community: number; x: number; y: number };
  let other: { community: number; x: number; y: number };
  beforeAll(async () => {
    claims = Object.fromEntries(
      await Promise.all(Object.entries(ROLE_ACCOUNTS).map(async ([r, e]) => [r, await claimsOf(db(), e)])),
    ) as typeof claims;
    const rows = await db().query<{ community: number; x: number; y: number; mine: boolean }>(
      `select g.community_id as community, ST_X(p) as x, ST_Y(p) as y,
              g.community_id = (select community_id from public.staff where email = $1) as mine
       from public.grids g cross join lateral (select ST_PointOnSurface(g.boundary) as p) s order by g.id`,
      [ROLE_ACCOUNTS.community_staff],
    );
    own = rows.find((r) => r.mine)!;
    other = rows.find((r) => !r.mine)!;
  });
  const square = (p: { x: number; y: number }, d = 0.00005) => `ST_Multi(ST_MakeEnvelope(${p.x}, ${p.y}, ${p.x + d}, ${p.y + d}, 4326))`;

  it('lets community staff add a grid to their community, and no one else, nowhere else', async () => {
    const insert = (community: number) => (tx: Queryable) =>
      tx.query(`insert into public.grids (community_id, code, name, boundary) values ($1, 'RLS-1', 'x', ${square(own)})`, [community]);
    expect(await as(claims.community_staff, (tx) => refusal(insert(own.community)(tx)))).toBe('allowed');
    expect(await as(claims.community_staff, (tx) => refusal(insert(other.community)(tx)))).toMatch(/row-level security/);
    for (const role of ['grid_leader', 'grid_member', 'presenter'] as const) {
      expect(await as(claims[role], (tx) => refusal(insert(own.community)(tx))), role).toMatch(/row-level security|permission denied/);
    }
    // The street leader imports grids for the whole street (20261209000200_communities.sql).
    expect(await as(claims.street_leader, (tx) => refusal(insert(own.community)(tx))), 'street_leader').toBe('allowed');
  });

  it("lets community staff add buildings inside their community's grids only, and redraw only their own grids", async () => {
    const building = (p: { x: number; y: number }) => (tx: Queryable) =>
      tx.query(`insert into public.buildings (address, footprint) values ('RLS路1号', ${square(p)}) returning grid_id`);
    expect(await as(claims.community_staff, (tx) => refusal(building(own)(tx)))).toBe('allowed');
    expect(await as(claims.community_staff, (tx) => refusal(building(other)(tx)))).toMatch(/row-level security/);
    expect(await as(claims.community_staff, (tx) => refusal(building({ x: 0, y: 0 })(tx)))).toMatch(/row-level security/);
    expect(await as(claims.grid_leader, (tx) => refusal(building(own)(tx)))).toMatch(/row-level security|permission denied/);
    const rename = (community: number) => (tx: Queryable) =>
      tx.query(`update public.grids set name = 'renamed' where community_id = $1 returning id`, [community]);
    expect((await as(claims.community_staff, rename(own.community))).length).toBeGreaterThan(0);
    expect((await as(claims.community_staff, rename(other.community))).length).toBe(0);
  });

  it("keeps an import batch its uploader's: others cannot see it, and a committed one cannot be changed", async () => {
    const seen = await as(claims.community_staff, async (tx) => {
      const [b] = await tx.query<{ id: string }>(
        `insert into public.import_batches (kind, file_name, format, report, rows) values ('households', 'x.csv', 'csv', '{}', '[]') returning id`,
      );
      await tx.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims.street_leader)]);
      const byOther = await tx.query('select 1 from public.import_batches where id = $1', [b!.id]);
      await tx.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims.community_staff)]);
      const first = await tx.query(
        `update public.import_batches set committed_at = now() where id = $1 and committed_at is null returning id`,
        [b!.id],
      );
      const again = await tx.query(`update public.import_batches set committed = '{}' where id = $1 returning id`, [b!.id]);
      const forged = await refusal(
        tx.query(
          `insert into public.import_batches (owner_id, kind, file_name, format, report, rows)
        values ($1, 'grids', 'x', 'geojson', '{}', '[]')`,
          [claims.street_leader.sub],
        ),
      );
      return { byOther: byOther.length, first: first.length, again: again.length, forged };
    });
    expect(seen).toEqual({ byOther: 0, first: 1, again: 0, forged: expect.stringMatching(/row-level security/) });
  });
});
