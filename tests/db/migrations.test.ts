import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Database } from '../../api/db/database';
import { MIGRATIONS_DIR, migrate, readMigrations } from '../../api/db/migrate';
import { describeEachEmptyDatabase } from '../support/each-database';

/** A copy of the real migrations that a test may add to, edit or remove from. */
function migrationsCopy(edit: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minqing-migrations-'));
  for (const f of fs.readdirSync(MIGRATIONS_DIR)) fs.copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f));
  edit(dir);
  return dir;
}

describeEachEmptyDatabase('migrations', (_mode, database) => {
  let db: Database;
  beforeAll(() => {
    db = database();
  });

  const ledger = async () =>
    (await db.query<{ version: string }>('select version from minqing.schema_migrations order by version')).map((r) => r.version);

  // The steps share one database and run in order, as successive deployments would.
  it('applies every migration in order on an empty database, with the Supabase shim', async () => {
    const result = await migrate(db);
    expect(result.shim).toBe(true);
    expect(result.applied).toEqual(readMigrations().map((m) => m.file));
    expect(await ledger()).toEqual(readMigrations().map((m) => m.version));
    const roles = await db.query<{ rolname: string }>(
      `select rolname from pg_roles where rolname in ('anon', 'authenticated', 'service_role') order by 1`,
    );
    expect(roles.map((r) => r.rolname)).toEqual(['anon', 'authenticated', 'service_role']);
  });

  it('applies nothing the second time', async () => {
    const result = await migrate(db);
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toBe(readMigrations().length);
  });

  it('reads the JWT claims the way Supabase does', async () => {
    const sub = '6f1c1c54-2d7e-4f3e-9d1a-1b2c3d4e5f60';
    const [row] = await db.transaction(async (tx) => {
      await tx.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub, role: 'authenticated' })]);
      return tx.query<{ uid: string; role: string; jwt: { sub: string } }>(
        'select auth.uid() as uid, auth.role() as role, auth.jwt() as jwt',
      );
    });
    expect(row).toEqual({ uid: sub, role: 'authenticated', jwt: { sub, role: 'authenticated' } });
  });

  it('rolls a failing migration back whole and names the file', async () => {
    const dir = migrationsCopy((d) =>
      fs.writeFileSync(path.join(d, '29990101000000_broken.sql'), 'create table public.half_done (id int);\nselect 1 / 0;\n'),
    );
    await expect(migrate(db, dir)).rejects.toThrow(/29990101000000_broken\.sql failed: division by zero/);
    expect(await ledger()).not.toContain('29990101000000');
    const [t] = await db.query<{ t: string | null }>(`select to_regclass('public.half_done')::text as t`);
    expect(t!.t).toBeNull();
  });

  it('refuses to start when an applied migration file was edited', async () => {
    const last = readMigrations().at(-1)!;
    const dir = migrationsCopy((d) => fs.appendFileSync(path.join(d, last.file), '\n-- an innocent-looking edit\n'));
    await expect(migrate(db, dir)).rejects.toThrow(new RegExp(`${last.file} was applied on .* must never change`));
  });

  it('refuses to start when the database is newer than the code', async () => {
    const last = readMigrations().at(-1)!;
    const dir = migrationsCopy((d) => fs.rmSync(path.join(d, last.file)));
    await expect(migrate(db, dir)).rejects.toThrow(/no such file exists/);
  });

  it('tells a database built before the fold into baselines how to move over: backup and restore', async () => {
    await db.exec(`insert into minqing.schema_migrations (version, name, checksum) values ('20261122000600', 'coverage_metrics', 'x')`);
    try {
      await expect(migrate(db)).rejects.toThrow(/folded into one baseline.*npm run backup.*npm run restore/);
    } finally {
      await db.exec(`delete from minqing.schema_migrations where version = '20261122000600'`);
    }
  });

  it('refuses a migration file whose name the Supabase CLI would not accept', async () => {
    const dir = migrationsCopy((d) => fs.writeFileSync(path.join(d, 'add-things.sql'), 'select 1;'));
    await expect(migrate(db, dir)).rejects.toThrow(/"add-things.sql" .* does not match/);
  });
});
