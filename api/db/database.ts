/**
 * One small interface over the two database modes: the embedded PGlite (with its PostGIS
 * extension) and a real PostgreSQL reached through `pg`. Everything above this file is written
 * once against `Database`, so the same SQL and the same tests run on both.
 */
import type { PGlite, Transaction } from '@electric-sql/pglite';
import type { Pool, PoolClient } from 'pg';

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTEN on a channel: `onMessage` gets each committed NOTIFY's payload. Resolves, once
   * listening, with the function that stops it.
   */
  listen(channel: string, onMessage: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

// Channel names are interpolated into LISTEN (it takes no parameters).
function channelName(channel: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`listen: bad channel name ${channel}`);
  return channel;
}

// Both drivers are told to return the same JS values: dates as 'YYYY-MM-DD' strings (a JS Date
// at local midnight shifts a day in some time zones) and int8 as numbers (our counts and ids are
// far below 2^53). Type OIDs are PostgreSQL's built-in ones.
const OID = { int8: 20, date: 1082, numeric: 1700 } as const;
const parseNumber = (v: string) => Number(v);
const keepString = (v: string) => v;

export const sharedParsers: Record<number, (value: string) => unknown> = {
  [OID.int8]: parseNumber,
  [OID.numeric]: parseNumber,
  [OID.date]: keepString,
};

/** The embedded mode also exposes PGlite itself, for what only it can do (dumping its data dir). */
export interface PgliteDatabase extends Database {
  readonly kind: 'pglite';
  readonly raw: PGlite;
}

export function wrapPglite(pg: PGlite): PgliteDatabase {
  const wrap = (q: PGlite | Transaction): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      return (await q.query<T>(sql, params as unknown[])).rows;
    },
    async exec(sql: string) {
      await q.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    raw: pg,
    ...wrap(pg),
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    async listen(channel, onMessage) {
      return pg.listen(channelName(channel), onMessage);
    },
    close: () => pg.close(),
  };
}

export function wrapPool(pool: Pool): Database {
  const wrap = (c: Pool | PoolClient): Queryable => ({
    async query<T>(sql: string, params?: unknown[]) {
      return (await c.query(sql, params)).rows as T[];
    },
    async exec(sql: string) {
      await c.query(sql);
    },
  });
  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn(wrap(client));
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(channel, onMessage) {
      // A connection of its own for as long as we listen; if the server drops it, listen again.
      let current: { client: PoolClient; release(destroy?: boolean): void } | undefined;
      let stopped = false;
      const connect = async (): Promise<void> => {
        const c = await pool.connect();
        // Released once, whichever comes first: the stop, or the server dropping the connection
        // (which may report more than one error for it). A second release throws from pg-pool.
        let released = false;
        const release = (destroy?: boolean) => {
          if (released) return;
          released = true;
          c.release(destroy);
        };
        current = { client: c, release };
        c.on('notification', (m) => {
          if (m.channel === channel && m.payload !== undefined) onMessage(m.payload);
        });
        c.on('error', () => {
          release(true);
          if (!stopped) setTimeout(() => void connect().catch(() => undefined), 1000);
        });
        await c.query(`listen ${channelName(channel)}`);
      };
      await connect();
      return async () => {
        stopped = true;
        await current?.client.query(`unlisten ${channelName(channel)}`).catch(() => undefined);
        current?.release();
      };
    },
    close: () => pool.end(),
  };
}
