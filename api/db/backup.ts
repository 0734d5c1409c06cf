/**
 * Backups as plain SQL: the data of every table of the product's schemas as INSERT statements in
 * one transaction, so `psql -f` restores them into any PostgreSQL or Supabase project whose schema
 * was built by the same migrations — and so moving from the embedded default to Supabase is a
 * backup here and a restore there. Data only: the schema's one source is supabase/migrations.
 *
 * Restore runs with session_replication_role = replica: triggers (the audit log's, the building →
 * grid assignment, the append-only guards) and foreign-key checks are for new writes, and a
 * restore must put back exactly what was there, in any table order.
 */
import type { Database, Queryable } from './database';
import { LAST_BASELINE_VERSION, MigrationError, migrate, PRE_BASELINE_MIGRATIONS, readMigrations } from './migrate';

const SCHEMAS = ['public', 'minqing'];
/** PostGIS's own table, and the ledger the target's migrations wrote for themselves. */
const SKIP = new Set(['public.spatial_ref_sys', 'minqing.schema_migrations']);
const BATCH = 2_000;
/** Tables whose rows are a street's records, not something the migrations put there. */
const RECORD_TABLES = [
  'public.streets',
  'public.communities',
  'public.grids',
  'public.buildings',
  'public.households',
  'public.visits',
  'public.issues',
  'public.staff',
];

export interface TableInfo {
  name: string;
  columns: string[];
  orderBy: string;
  identity: { column: string; always: boolean }[];
}

export class BackupError extends Error {
  override name = 'BackupError';
}

const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;
const qualified = (name: string) => name.split('.').map(q).join('.');

/** Every base table of the product's schemas, with its writable columns and a stable order. */
export async function productTables(db: Queryable): Promise<TableInfo[]> {
  const rows = await db.query<{
    name: string;
    columns: string[];
    pk: string[] | null;
    identity: { column: string; always: boolean }[] | null;
  }>(
    `select n.nspname || '.' || c.relname as name,
       array(select a.attname::text from pg_attribute a
             where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
             order by a.attnum) as columns,
       (select array_agg(a.attname::text order by k.ord)
        from pg_index i cross join lateral unnest(i.indkey) with ordinality k(attnum, ord)
        join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
        where i.indrelid = c.oid and i.indisprimary) as pk,
       (select json_agg(json_build_object('column', a.attname, 'always', a.attidentity = 'a'))
        from pg_attribute a where a.attrelid = c.oid and a.attidentity <> '' and not a.attisdropped) as identity
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname = any($1)
     order by n.nspname, c.relname`,
    [SCHEMAS],
  );
  return rows
    .filter((r) => !SKIP.has(r.name))
    .map((r) => ({
      name: r.name,
      columns: r.columns,
      // Without a primary key, every column: still deterministic for a given content.
      orderBy: (r.pk ?? r.columns).map(q).join(', '),
      identity: r.identity ?? [],
    }));
}

/** Which migrations built this database, from our ledger or the Supabase CLI's. */
async function appliedMigrations(db: Queryable): Promise<string[] | null> {
  const [ours] = await db.query<{ ok: boolean }>(`select to_regclass('minqing.schema_migrations') is not null as ok`);
  if (ours!.ok) {
    return (
      await db.query<{ file: string }>(`select version || '_' || name || '.sql' as file from minqing.schema_migrations order by version`)
    ).map((r) => r.file);
  }
  const [cli] = await db.query<{ ok: boolean }>(`select to_regclass('supabase_migrations.schema_migrations') is not null as ok`);
  if (cli!.ok) {
    const versions = new Set(
      (await db.query<{ version: string }>('select version from supabase_migrations.schema_migrations')).map((r) => r.version),
    );
    return readMigrations()
      .filter((m) => versions.has(m.version))
      .map((m) => m.file);
  }
  return null;
}

const HEADER = '-- Minqing Map backup';
const MIGRATIONS_LINE = '-- migrations: ';

/**
 * The migrations a backup was taken at, from its ledger line. A backup of a database built by the
 * migrations that the baselines replaced holds the schema the baselines build, so it reads as
 * taken at the baselines.
 */
export function backupMigrations(sql: string): string[] {
  const line = sql.split('\n').find((l) => l.startsWith(MIGRATIONS_LINE));
  const listed = (line?.slice(MIGRATIONS_LINE.length).trim() ?? '').split(' ').filter(Boolean);
  const folded = listed.length === PRE_BASELINE_MIGRATIONS.length && PRE_BASELINE_MIGRATIONS.every((f) => listed.includes(f));
  return folded
    ? readMigrations()
        .filter((m) => m.version <= LAST_BASELINE_VERSION)
        .map((m) => m.file)
    : listed;
}

/**
 * Writes the backup through `write` (a file stream, or a string builder in tests), table by
 * table in batches, inside one read-only snapshot so the tables agree with each other.
 */
export async function writeBackup(db: Database, write: (chunk: string) => void | Promise<void>): Promise<{ tables: number; rows: number }> {
  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.exec('set transaction isolation level repeatable read, read only');
    // Times as UTC with their offset, whatever the server's zone: the same instant anywhere.
    await tx.exec(`set local timezone = 'UTC'`);
    const migrations = (await appliedMigrations(tx)) ?? [];
    const tables = await productTables(tx);
    await write(
      `${HEADER}, taken ${new Date().toISOString()} from the ${db.kind === 'pglite' ? 'embedded database' : 'PostgreSQL database'}.\n` +
        `-- Restore into a database built by the same migrations (npm run restore, or psql -f after supabase db push).\n` +
        `-- It holds personal data and password hashes: keep it as safe as the database itself.\n` +
        `${MIGRATIONS_LINE}${migrations.join(' ')}\n` +
        `begin;\nset local session_replication_role = replica;\nset local timezone = 'UTC';\n\n`,
    );
    let total = 0;
    for (const t of tables) {
      const cols = t.columns.map(q).join(', ');
      const literals = t.columns.map((c) => `quote_nullable(${q(c)}::text)`).join(`, `);
      const overriding = t.identity.some((i) => i.always) ? ' overriding system value' : '';
      for (let offset = 0; ; offset += BATCH) {
        const rows = await tx.query<{ v: string }>(
          `select '(' || concat_ws(', ', ${literals}) || ')' as v from ${qualified(t.name)} order by ${t.orderBy} limit ${BATCH} offset ${offset}`,
        );
        if (rows.length === 0) break;
        await write(`insert into ${qualified(t.name)} (${cols})${overriding} values\n${rows.map((r) => r.v).join(',\n')};\n`);
        total += rows.length;
        if (rows.length < BATCH) break;
      }
      // Identity sequences continue after the restored ids, so new rows do not collide.
      // (A silent ALTER rather than setval(), whose result psql would print for every table.)
      for (const i of t.identity) {
        const [next] = await tx.query<{ n: string }>(`select (coalesce(max(${q(i.column)}), 0) + 1)::text as n from ${qualified(t.name)}`);
        await write(`alter table ${qualified(t.name)} alter column ${q(i.column)} restart with ${next!.n};\n`);
      }
    }
    await write('\ncommit;\n');
    return { tables: tables.length, rows: total };
  });
}

export async function backupToString(db: Database): Promise<string> {
  const parts: string[] = [];
  await writeBackup(db, (c) => void parts.push(c));
  return parts.join('');
}

/**
 * Loads a backup into a migrated database. The backup's migrations must be the target's (else the
 * columns may not match: upgrade the older side first); a target that already holds data is
 * refused unless `replace`. Every product table is emptied first, in the restore's transaction.
 */
/**
 * `npm run restore`: brings the target to the backup's version, loads the backup there, then
 * applies the migrations that came after it — so an older backup (one taken before the baselines
 * included) restores into today's code.
 */
export async function restoreAndMigrate(db: Database, sql: string, options: { replace?: boolean } = {}): Promise<{ tables: number }> {
  const through = backupMigrations(sql).at(-1)?.slice(0, 14);
  await migrate(db, undefined, { through });
  const result = await restoreBackup(db, sql, options);
  await migrate(db);
  return result;
}

export async function restoreBackup(db: Database, sql: string, { replace = false } = {}): Promise<{ tables: number }> {
  if (!sql.startsWith(HEADER)) throw new BackupError('This file is not a Minqing Map backup (it does not start with its header line).');
  const theirs = backupMigrations(sql);
  const ours = await appliedMigrations(db);
  if (!ours) throw new MigrationError('The target database has no migrations applied: run `npm run seed` or `supabase db push` first.');
  const missing = theirs.filter((f) => !ours.includes(f));
  const extra = ours.filter((f) => !theirs.includes(f));
  if (missing.length || extra.length) {
    throw new BackupError(
      `The backup was taken at a different schema version than the target's: ` +
        (missing.length ? `the target lacks ${missing.join(', ')}; ` : '') +
        (extra.length ? `the backup predates ${extra.join(', ')}; ` : '') +
        'restore into a database migrated to the same version (same code), then upgrade.',
    );
  }
  const tables = await productTables(db);
  // The street's own records decide whether the target "holds data": some tables get a row from
  // the migrations themselves (state singletons, defaults), which the backup's rows replace.
  const records = tables.filter((t) => RECORD_TABLES.includes(t.name));
  const counts = await db.query<{ name: string; n: number }>(
    records.map((t) => `select '${t.name}' as name, count(*)::int as n from ${qualified(t.name)}`).join(' union all '),
  );
  const full = counts.filter((c) => c.n > 0);
  if (full.length && !replace) {
    throw new BackupError(
      `The target database already holds data (${full.map((c) => `${c.name}: ${c.n}`).join(', ')}); ` +
        'restore into an empty database, or pass --replace to empty it first (in the same transaction).',
    );
  }
  // The file's own begin/commit make it one transaction under psql; here the empty-first step
  // joins it, so a failure anywhere leaves the target as it was.
  const body = sql.replace(/^begin;$/m, '').replace(/^commit;\s*$/m, '');
  await db.transaction(async (tx) => {
    await tx.exec('set local session_replication_role = replica');
    await tx.exec(`truncate ${tables.map((t) => qualified(t.name)).join(', ')}`);
    await tx.exec(body);
  });
  return { tables: tables.length };
}
