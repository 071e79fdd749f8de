import pg from 'pg';
import type { Logger } from 'pino';

/** Bounds that turn an outage into a quick 503 instead of a hanging request. */
const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 10_000; // server side: a runaway write or lookup is cancelled (reads: the read budget)
const SILENT_SERVER_MS = 5_000; // client side, past the statement timeout: a server that stopped answering (no RST)
const IDLE_IN_TRANSACTION_MS = 30_000;

/**
 * Session settings every connection starts with, whatever the server's defaults: UTC and ISO dates for any
 * timestamp text, shortest round-trip float text (what the float text lookups and the decoded values rely on),
 * and synchronous commit, because a 201 promises the record is on disk.
 */
const SESSION: Readonly<Record<string, string>> = {
  TimeZone: 'UTC',
  DateStyle: 'ISO',
  extra_float_digits: '1',
  synchronous_commit: 'on',
};

/** JSON columns reach the one rowToRecord as text, as SQLite hands them over; everything else as pg parses it. */
const TEXT_OIDS = new Set([pg.types.builtins.JSON, pg.types.builtins.JSONB]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    TEXT_OIDS.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * How to reach TALLY_DATABASE_URL, for the pool and for the migrations' own connection. Settings given in the
 * URL's options parameter (e.g. -c search_path=tally) are kept; Tally's session settings come after them and
 * so win.
 */
export function connectionConfig(databaseUrl: string): pg.ClientConfig {
  const url = new URL(databaseUrl);
  const given = url.searchParams.get('options');
  url.searchParams.delete('options');
  const ours = Object.entries(SESSION).map(([name, value]) => `-c ${name}=${value}`);
  return {
    connectionString: url.toString(),
    options: [given, ...ours].filter(Boolean).join(' '),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'tally',
    types,
  };
}

export interface Pools {
  /** Writes, API key lookups, records by id, pings: statements that are bounded, or must not wait behind reads. */
  main: pg.Pool;
  /** Lists and summaries, one connection per read, whose statement timeout is the read budget. */
  read: pg.Pool;
  /** Connections the read pool has (reads that may run at once). */
  readSize: number;
  /**
   * Connections of the read half left to the export thread (export-thread.ts), which opens its own: 1 when the
   * read half has 2 or more, else 0 (exports then read through the read pool, on the event loop).
   */
  exportSize: number;
  end(): Promise<void>;
}

/**
 * The pools requests use, TALLY_PG_POOL_SIZE connections in all, with the timeouts that keep a request from
 * hanging on an unreachable server. Reads get half of them (rounded down), so that costly lists never take the
 * connections creates and key lookups need; of those, one is the export thread's when there are two or more, the
 * rest a pool of their own. With a pool size of 1 reads and writes share the one.
 */
export function createPools(config: pg.ClientConfig, opts: { poolSize: number; queryTimeoutMs: number; log: Logger }): Pools {
  const readHalf = Math.floor(opts.poolSize / 2);
  const exportSize = readHalf >= 2 ? 1 : 0;
  const readSize = readHalf - exportSize;
  const main = createPool(config, opts.poolSize - readHalf, STATEMENT_TIMEOUT_MS, idleLost(opts.log));
  if (readSize === 0) return { main, read: main, readSize: 1, exportSize, end: () => main.end() };
  const read = createPool(config, readSize, opts.queryTimeoutMs, idleLost(opts.log));
  return { main, read, readSize, exportSize, end: async () => void (await Promise.all([main.end(), read.end()])) };
}

const idleLost = (log: Logger) => (err: Error) => log.warn({ err }, 'postgres: an idle connection was lost');

/** A pool with Tally's timeouts; `onIdleError` hears of an idle connection that died (the pool drops it). */
export function createPool(config: pg.ClientConfig, size: number, statementTimeoutMs: number, onIdleError: (err: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    ...config,
    max: size,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + SILENT_SERVER_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
  });
  // An idle connection that dies (server restart, network cut) is reported here; without a listener the
  // process would crash. The pool drops it and opens a new one on demand.
  pool.on('error', onIdleError);
  return pool;
}
