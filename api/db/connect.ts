/**
 * Opens the configured database: PostgreSQL when DATABASE_URL is set, otherwise the embedded
 * PGlite persisted in DATA_DIR (or in memory for tests).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Database, sharedParsers, wrapPglite, wrapPool } from './database';

export type ConnectOptions =
  /** statementTimeoutMs: the longest any statement may run (the server cancels it), unset = no limit. */
  { kind: 'postgres'; url: string; statementTimeoutMs?: number } | { kind: 'pglite'; dataDir: string | 'memory://'; loadDataDir?: Blob };

export async function connect(opts: ConnectOptions): Promise<Database> {
  if (opts.kind === 'postgres') {
    const pg = await import('pg');
    const pool = new pg.default.Pool({
      connectionString: opts.url,
      max: 10,
      ...(opts.statementTimeoutMs ? { statement_timeout: opts.statementTimeoutMs } : {}),
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          sharedParsers[oid] ?? pg.default.types.getTypeParser(oid, format as 'text')) as never,
      },
    });
    // An idle connection that the server closes (restart, failover, admin shutdown) must not
    // crash the process: the pool drops it and the next request opens a new one.
    pool.on('error', (err) => console.error(`database: an idle connection was closed (${err.message})`));
    // Fail at start-up, with the reason, rather than on the first request.
    await pool.query('select 1');
    return wrapPool(pool);
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { postgis } = await import('@electric-sql/pglite-postgis');
  if (opts.dataDir !== 'memory://') fs.mkdirSync(path.dirname(path.resolve(opts.dataDir)), { recursive: true });
  const pg = await PGlite.create({
    dataDir: opts.dataDir,
    loadDataDir: opts.loadDataDir,
    extensions: { postgis },
    parsers: sharedParsers,
  });
  // The shim sets this as the database default; PGlite's single session predates it.
  await pg.exec('set search_path to "$user", public, extensions');
  return wrapPglite(pg);
}
