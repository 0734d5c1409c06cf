/**
 * Backups round-trip: the demo street dumped from the embedded database, restored into real
 * PostgreSQL, dumped from there and restored into a fresh embedded database equals the original,
 * table by table and row by row. And a restore that cannot be exact is refused, leaving the target
 * as it was.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BackupError, backupToString, productTables, restoreAndMigrate, restoreBackup } from '../../api/db/backup';
import type { Database } from '../../api/db/database';
import { LAST_BASELINE_VERSION, migrate, PRE_BASELINE_MIGRATIONS, readMigrations } from '../../api/db/migrate';
import { emptyPglite, migratedPglite, migratedPostgres, type ScratchPostgres, seededPglite } from '../support/databases';
import { describeWith, postgresPrerequisite } from '../support/prerequisites';

/** Per table: row count and a digest of every row's text (UTC times), in a stable order. */
async function fingerprint(db: Database): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  await db.transaction(async (tx) => {
    await tx.exec(`set local timezone = 'UTC'`);
    for (const t of await productTables(tx)) {
      const [r] = await tx.query<{ n: number; h: string }>(
        `select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from ${t.name} t`,
      );
      out[t.name] = `${r!.n}:${r!.h}`;
    }
  });
  return out;
}

const pg = postgresPrerequisite();
describeWith(pg, 'backup and restore across both database modes', () => {
  let original: Database;
  let postgres: ScratchPostgres;
  let copy: Database;
  let dump: string;
  beforeAll(async () => {
    original = await seededPglite();
    // Both targets: migrated, no data (copies of the migrated templates).
    postgres = await migratedPostgres(pg.url!);
    copy = await migratedPglite();
    dump = await backupToString(original);
  });
  afterAll(async () => {
    await original?.close();
    await postgres?.drop();
    await copy?.close();
  });

  it('writes plain SQL in one transaction, with the migrations it needs', () => {
    expect(dump.split('\n')[0]).toMatch(/^-- Minqing Map backup, taken .* from the embedded database\.$/);
    expect(dump).toMatch(/^-- migrations: 20261207000100_platform\.sql .*\.sql$/m);
    expect(dump).toMatch(/^begin;$/m);
    expect(dump.trimEnd().endsWith('commit;')).toBe(true);
    expect(dump).toContain('insert into "public"."visits"');
  });

  it('restores the embedded demo street into PostgreSQL, and back into a fresh embedded database, exactly', async () => {
    const before = await fingerprint(original);
    expect(Number(before['public.visits']!.split(':')[0])).toBeGreaterThan(1000);
    await restoreBackup(postgres.db, dump);
    expect(await fingerprint(postgres.db)).toEqual(before);
    await restoreBackup(copy, await backupToString(postgres.db));
    expect(await fingerprint(copy)).toEqual(before);
  });

  it('continues identity sequences after the restored ids', async () => {
    const [max] = await postgres.db.query<{ id: number }>('select max(id) as id from public.issues');
    const [next] = await postgres.db.query<{ id: number }>(`select nextval(pg_get_serial_sequence('public.issues', 'id'))::int as id`);
    expect(next!.id).toBe(max!.id + 1);
  });

  it('refuses a target that already holds data, naming its tables, unless told to replace it', async () => {
    const err = await restoreBackup(postgres.db, dump).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect((err as Error).message).toMatch(/already holds data \(.*public\.households: \d+/);
    await restoreBackup(postgres.db, dump, { replace: true });
    expect(await fingerprint(postgres.db)).toEqual(await fingerprint(original));
  });

  it('refuses a backup of another schema version, saying which migrations differ', async () => {
    const older = dump.replace(/ 20261207000900_metrics\.sql/, '');
    await expect(restoreBackup(copy, older, { replace: true })).rejects.toThrow(/backup predates 20261207000900_metrics\.sql/);
  });

  it('restores a backup taken before the migrations were folded into baselines, then applies the migrations after them', async () => {
    // The baselines build the schema the folded migrations built, so a baseline database stands in for an old one.
    const old = await emptyPglite();
    const target = await emptyPglite();
    try {
      await migrate(old, undefined, { through: LAST_BASELINE_VERSION });
      await old.exec(`
        insert into public.streets (code, name, boundary) values ('360102001000', '旧街道', 'SRID=4326;MULTIPOLYGON(((115 28,115.01 28,115.01 28.01,115 28.01,115 28)))');
        insert into public.staff (user_id, street_id, name, email, role) values ('6f1c1c54-2d7e-4f3e-9d1a-1b2c3d4e5f60', 1, '老王', 'old@demo.local', 'street_leader');
        insert into minqing.local_accounts (user_id, email, password_hash) values ('6f1c1c54-2d7e-4f3e-9d1a-1b2c3d4e5f60', 'old@demo.local', 'scrypt$x');`);
      const before = (await backupToString(old)).replace(/^-- migrations: .*$/m, `-- migrations: ${PRE_BASELINE_MIGRATIONS.join(' ')}`);
      await restoreAndMigrate(target, before);
      const ledger = await target.query<{ file: string }>(
        `select version || '_' || name || '.sql' as file from minqing.schema_migrations order by 1`,
      );
      expect(ledger.map((r) => r.file)).toEqual(readMigrations().map((m) => m.file));
      const rows = await target.query<{ street: string; staff: string; account: string }>(
        `select (select name from public.streets) as street, (select name from public.staff) as staff, (select email from minqing.local_accounts) as account`,
      );
      expect(rows).toEqual([{ street: '旧街道', staff: '老王', account: 'old@demo.local' }]);
    } finally {
      await old.close();
      await target.close();
    }
  });

  it('refuses a backup that lists only part of the folded migrations', async () => {
    const partial = dump.replace(/^-- migrations: .*$/m, `-- migrations: ${PRE_BASELINE_MIGRATIONS.slice(0, -1).join(' ')}`);
    await expect(restoreBackup(copy, partial, { replace: true })).rejects.toThrow(/different schema version/);
  });

  it('refuses a file that is not a backup', async () => {
    await expect(restoreBackup(copy, 'drop table public.visits;')).rejects.toThrow(/not a Minqing Map backup/);
  });

  it('leaves the target as it was when the restore fails half-way', async () => {
    const before = await fingerprint(copy);
    // A broken statement after the households were loaded: the whole restore must roll back.
    const broken = dump.replace(
      'insert into "public"."visits"',
      'insert into "public"."no_such_table" values (1);\ninsert into "public"."visits"',
    );
    await expect(restoreBackup(copy, broken, { replace: true })).rejects.toThrow(/no_such_table/);
    expect(await fingerprint(copy)).toEqual(before);
  });
});
