import { expect, it } from 'vitest';
import { HOUSEHOLD_CATEGORIES, HOUSEHOLD_CLASSIFICATIONS, VISIT_METHODS, VISIT_RESULTS } from '../../geo/domain/household';
import { ISSUE_CATEGORIES, ISSUE_COMPLEXITIES, ISSUE_EVALUATIONS, ISSUE_STATUSES, ISSUE_TIERS } from '../../geo/domain/issue';
import { MEETING_TYPES } from '../../geo/domain/meeting';
import { STAFF_ROLES } from '../../geo/domain/staff';
import { inRolledBackTransaction } from '../support/databases';
import { describeEachDatabase } from '../support/each-database';

const square = (x: number, y: number, d: number) =>
  `SRID=4326;MULTIPOLYGON(((${x} ${y},${x + d} ${y},${x + d} ${y + d},${x} ${y + d},${x} ${y})))`;

describeEachDatabase('schema', (_mode, db) => {
  it('keeps every enum in step with the TypeScript vocabulary in geo/', async () => {
    const enums = await db().query<{ name: string; labels: string[] }>(`
      select t.typname as name, array_agg(e.enumlabel order by e.enumsortorder)::text[] as labels
      from pg_type t join pg_enum e on e.enumtypid = t.oid
      join pg_namespace n on n.oid = t.typnamespace and n.nspname = 'public'
      group by t.typname`);
    const byName = Object.fromEntries(enums.map((e) => [e.name, e.labels]));
    expect(byName).toEqual({
      household_category: [...HOUSEHOLD_CATEGORIES],
      household_classification: [...HOUSEHOLD_CLASSIFICATIONS],
      visit_method: [...VISIT_METHODS],
      visit_result: [...VISIT_RESULTS],
      issue_category: [...ISSUE_CATEGORIES],
      issue_tier: [...ISSUE_TIERS],
      issue_complexity: [...ISSUE_COMPLEXITIES],
      issue_status: [...ISSUE_STATUSES],
      issue_evaluation: [...ISSUE_EVALUATIONS],
      staff_role: [...STAFF_ROLES],
      meeting_type: [...MEETING_TYPES],
    });
  });

  it('has a GiST index on every geometry column', async () => {
    const missing = await db().query<{ col: string }>(`
      select c.table_name || '.' || c.column_name as col
      from information_schema.columns c
      where c.table_schema = 'public' and c.udt_name = 'geometry'
        and c.table_name not in ('visits', 'patrols')
        and exists (select 1 from information_schema.tables t
                    where t.table_schema = 'public' and t.table_name = c.table_name and t.table_type = 'BASE TABLE')
        and not exists (
          select 1 from pg_indexes i
          where i.schemaname = 'public' and i.tablename = c.table_name
            and i.indexdef ilike '%using gist (' || c.column_name || ')%')`);
    expect(missing).toEqual([]);
  });

  it('enables row-level security on every table', async () => {
    const open = await db().query<{ relname: string }>(`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and not c.relrowsecurity`);
    expect(open).toEqual([]);
  });

  it('refuses a self-intersecting grid boundary', async () => {
    const bowtie = 'SRID=4326;MULTIPOLYGON(((115 28,115.01 28.01,115.01 28,115 28.01,115 28)))';
    await expect(
      db().query(`insert into public.grids (community_id, code, name, boundary) values (1, 'x-bowtie', 'x', $1)`, [bowtie]),
    ).rejects.toThrow(/grids_boundary_is_valid/);
  });

  it('refuses geometry in another coordinate system', async () => {
    await expect(
      db().query(`insert into public.grids (community_id, code, name, boundary) values (1, 'x-srid', 'x', $1)`, [
        square(400000, 3160000, 100).replace('SRID=4326', 'SRID=32650'),
      ]),
    ).rejects.toThrow(/SRID/i);
  });

  it('assigns a building to the grid containing its point on surface, whatever the client says', async () => {
    await inRolledBackTransaction(db(), async (tx) => {
      const [grid] = await tx.query<{ id: number; x: number; y: number }>(
        `select id, ST_X(p) x, ST_Y(p) y from (select id, ST_PointOnSurface(boundary) p from public.grids order by id desc limit 1) s`,
      );
      const [other] = await tx.query<{ id: number }>(`select id from public.grids where id <> $1 limit 1`, [grid!.id]);
      const [b] = await tx.query<{ grid_id: number }>(
        `insert into public.buildings (grid_id, address, footprint) values ($1, 'test', $2) returning grid_id`,
        [other!.id, square(grid!.x - 0.00005, grid!.y - 0.00005, 0.0001)],
      );
      expect(b!.grid_id).toBe(grid!.id);
    });
  });

  it('keeps issue events append-only', async () => {
    await expect(db().query(`update public.issue_events set note = 'rewritten' where id = 1`)).rejects.toThrow(/append-only/);
    await expect(db().query(`delete from public.issue_events where id = 1`)).rejects.toThrow(/append-only/);
  });
});
