import pg from 'pg';
import type { Logger } from 'pino';

/** Bounds that turn an outage into a quick 503 instead of a hanging request. */
const CONNECT_TIMEOUT_MS = 5_000;
const STATEMENT_TIMEOUT_MS = 10_000; // server side: a runaway query is cancelled
const QUERY_TIMEOUT_MS = 15_000; // client side: a server that stopped answering (no RST) is given up on
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

/** The pool requests use, with the timeouts that keep a request from hanging on an unreachable server. */
export function createPool(config: pg.ClientConfig, opts: { poolSize: number; log: Logger }): pg.Pool {
  const pool = new pg.Pool({
    ...config,
    max: opts.poolSize,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    query_timeout: QUERY_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
  });
  // An idle connection that dies (server restart, network cut) is reported here; without a listener the
  // process would crash. The pool drops it and opens a new one on demand.
  pool.on('error', (err) => opts.log.warn({ err }, 'postgres: an idle connection was lost'));
  return pool;
}
