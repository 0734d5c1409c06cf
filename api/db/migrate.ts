/**
 * Applies supabase/migrations/*.sql in order, each once, inside its own transaction together
 * with its ledger row. The ledger keeps a SHA-256 of each applied file: a migration edited after
 * it was applied is a start-up error, because silently skipping it would leave databases that
 * claim the same version with different schemas.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database';

const here = path.dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = path.resolve(here, '../../supabase/migrations');
const SHIM_FILE = path.resolve(here, 'supabase-shim.sql');

export interface MigrationFile {
  version: string;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * The migrations that the baselines (20261207000100…001100) replaced, folded with the same
 * tables, columns, functions and grants (checked with pg_dump on both sets before the fold). A
 * database built by them holds the same schema under other ledger rows: it cannot be migrated
 * in place, but its backup restores into a database built by the baselines (api/db/backup.ts).
 */
/** The last of the baselines: a backup listing PRE_BASELINE_MIGRATIONS was taken at this version. */
export const LAST_BASELINE_VERSION = '20261207001100';

export const PRE_BASELINE_MIGRATIONS: readonly string[] = [
  '20261122000100_extensions.sql',
  '20261122000200_places.sql',
  '20261122000300_people.sql',
  '20261122000400_field_work.sql',
  '20261122000500_issues.sql',
  '20261122000600_coverage_metrics.sql',
  '20261122000700_policy_editing.sql',
  '20261122000800_local_accounts.sql',
  '20261126000100_access.sql',
  '20261126000200_field_work_api.sql',
  '20261126000300_issue_handling.sql',
  '20261126000400_patrol_rule.sql',
  '20261126000500_household_history.sql',
  '20261126000600_boundary_preview.sql',
  '20261127000050_patrol_track_review.sql',
  '20261127000100_boundary_history.sql',
  '20261127000200_stats_rollups.sql',
  '20261127000201_vector_tiles.sql',
  '20261127000300_meeting_mode.sql',
  '20261127000400_imports.sql',
  '20261127000501_boundary_history_every_path.sql',
  '20261128000200_month_snapshots.sql',
  '20261128000400_import_retention_and_history.sql',
  '20261128000700_per_grid_figures.sql',
  '20261129000100_grid_codes.sql',
  '20261129000200_slow_queries.sql',
  '20261129000300_month_snapshot_fill.sql',
  '20261129000500_access_scope_once_per_statement.sql',
  '20261129000600_building_tiles_by_index.sql',
  '20261130000100_bulk_write_triggers.sql',
  '20261130000200_stats_visit_deltas.sql',
  '20261201000100_policy_joins_by_equality.sql',
  '20261201000200_access_plans_cached.sql',
  '20261201000300_grid_household_count.sql',
  '20261201000400_patrol_minimum_per_grid.sql',
];

const FILE_PATTERN = /^(\d{14})_([a-z0-9_]+)\.sql$/;

export function readMigrations(dir = MIGRATIONS_DIR): MigrationFile[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  return files.map((file) => {
    const m = FILE_PATTERN.exec(file);
    if (!m) {
      throw new MigrationError(
        `Migration file name "${file}" in ${dir} does not match <14-digit timestamp>_<snake_case_name>.sql (the Supabase CLI's format). Rename it.`,
      );
    }
    const sql = fs.readFileSync(path.join(dir, file), 'utf8');
    return { version: m[1]!, name: m[2]!, file, sql, checksum: sha256(sql) };
  });
}

function sha256(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
  shim: boolean;
}

/**
 * `through`: apply the migrations up to that version only (a restore brings a database to its
 * backup's version first, then the rest: api/db/backup.ts).
 */
export async function migrate(db: Database, dir = MIGRATIONS_DIR, { through }: { through?: string } = {}): Promise<MigrateResult> {
  const all = readMigrations(dir);
  const migrations = through === undefined ? all : all.filter((m) => m.version <= through);
  // Two API processes starting together must not both apply the same migration.
  if (db.kind === 'postgres') await db.query(`select pg_advisory_lock(hashtext('minqing.migrate'))`);
  try {
    const shim = await ensurePlatform(db);
    await db.exec(`
      create schema if not exists minqing;
      create table if not exists minqing.schema_migrations (
        version text primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      );`);
    const rows = await db.query<{ version: string; name: string; checksum: string; applied_at: Date }>(
      'select version, name, checksum, applied_at from minqing.schema_migrations order by version',
    );
    const applied = new Map(rows.map((r) => [r.version, r]));
    const known = new Set(all.map((m) => m.version));
    const unknown = rows.filter((r) => !known.has(r.version));
    if (unknown.length && unknown.every((r) => PRE_BASELINE_MIGRATIONS.includes(`${r.version}_${r.name}.sql`))) {
      throw new MigrationError(
        'This database was built by the migrations that were folded into one baseline per domain area on 2026-12-07. ' +
          'Its schema is the same but cannot be upgraded in place: take a backup (npm run backup), start on an empty data ' +
          'directory or database, and restore the backup there (npm run restore -- FILE). See docs/running.md, "Upgrading a database built before the baselines".',
      );
    }
    for (const r of rows) {
      if (!known.has(r.version)) {
        throw new MigrationError(
          `The database has migration ${r.version}_${r.name} applied, but no such file exists in ${dir}. ` +
            'This code is older than the database: run a newer version, or restore the missing file.',
        );
      }
    }
    const done: string[] = [];
    for (const m of migrations) {
      const prior = applied.get(m.version);
      if (prior) {
        if (prior.checksum !== m.checksum) {
          throw new MigrationError(
            `Migration ${m.file} was applied on ${new Date(prior.applied_at).toISOString()} with checksum ` +
              `${prior.checksum.slice(0, 12)}…, but the file now has ${m.checksum.slice(0, 12)}…. ` +
              'An applied migration must never change: revert the edit and put the change in a new migration file.',
          );
        }
        continue;
      }
      await db.transaction(async (tx) => {
        // A migration may rewrite a big table: the per-request statement timeout is not for it.
        await tx.exec('set local statement_timeout = 0');
        try {
          await tx.exec(m.sql);
        } catch (err) {
          throw new MigrationError(`Migration ${m.file} failed: ${(err as Error).message}`);
        }
        await tx.query('insert into minqing.schema_migrations (version, name, checksum) values ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ]);
      });
      done.push(m.file);
    }
    return { applied: done, alreadyApplied: migrations.length - done.length, shim };
  } finally {
    if (db.kind === 'postgres') await db.query(`select pg_advisory_unlock(hashtext('minqing.migrate'))`);
  }
}

/**
 * Creates Supabase's roles and auth functions where the platform does not provide them. A real
 * Supabase project (recognised by GoTrue's auth.users table) keeps its own definitions; elsewhere
 * the idempotent shim is applied on every start, so an improved shim reaches old databases too.
 */
async function ensurePlatform(db: Database): Promise<boolean> {
  const [row] = await db.query<{ supabase: boolean }>(`select to_regclass('auth.users') is not null as supabase`);
  if (row?.supabase) return false;
  await db.exec(fs.readFileSync(SHIM_FILE, 'utf8'));
  return true;
}
