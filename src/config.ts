import path from 'node:path';

/** Everything Tally reads from its environment, validated once and frozen. Nothing else reads process.env. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | null;
  /** Connections each process keeps to PostgreSQL at most (replicas × this must stay under max_connections). */
  pgPoolSize: number;
  initOrgId: string | null;
  initApiKey: string | null;
  bodyLimitBytes: number;
  writeQueueMax: number;
  /** Memory the write queue may hold (estimated record size); past it creates get 503 overloaded. */
  writeQueueMaxBytes: number;
  /** Batch requests parsed, validated and committed at once; further ones wait with their bodies unread. */
  batchConcurrency: number;
  /** Requests per second per API key (token bucket); 0 = no limit. */
  rateLimitPerSecond: number;
  /** Bucket size: requests a key may send at once after being idle. */
  rateLimitBurst: number;
  /** Time a client has to send a whole request (headers and body). */
  requestTimeoutMs: number;
  /** Time a client has to send the request line and headers (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
  /** Open connections at most; further ones get 503 overloaded and are closed. 0 = no limit. */
  maxConnections: number;
  /** Open connections per client address (per /64 for IPv6) at most; further ones get 503. 0 = no limit. */
  maxConnectionsPerIp: number;
  /** Origins allowed to call the API from a browser; empty = CORS off. */
  corsOrigins: readonly string[];
  logLevel: string;
  /** Milliseconds a list or summary may run; past it the request answers 422 query_timeout. */
  queryTimeoutMs: number;
  /** SQLite reader threads at most (started as reads need them). */
  sqliteReaders: number;
  /**
   * When SQLite's writer folds the records not yet in the rollup tables into them (docs/analytics.md, "Rollups"):
   * once this many are held, once it has been idle this long, or once the oldest has waited this long.
   */
  rollupFold: { records: number; idleMs: number; maxMs: number };
  /** Reads of one org that may wait for a place; more answer 503 overloaded. */
  readQueuePerOrg: number;
  /**
   * GenAI events (/v1/logs) held for spans that have not arrived: at most this many, and bytes, per org and
   * overall, each for at most otlpHeldSeconds; past a bound the oldest are dropped (docs/otlp.md).
   */
  otlpHeldEventsPerOrg: number;
  otlpHeldBytesPerOrg: number;
  otlpHeldEvents: number;
  otlpHeldBytes: number;
  otlpHeldSeconds: number;
  /** Days records are kept, by their timestamp (TALLY_RETENTION_DAYS); null keeps them forever. Orgs may override. */
  retentionDays: number | null;
}

/** The longest retention a setting may give: 100 years. */
export const RETENTION_MAX_DAYS = 36_500;

export class ConfigError extends Error {}

/** An org id: 1 to 128 characters of A-Z a-z 0-9 _ . : - (TALLY_INIT_ORG_ID, `tally keys create --org`). */
export const ORG_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

function int(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

/**
 * 16 to 128 printable ASCII characters, spaces included, but not at either end: an HTTP header value loses
 * its leading and trailing spaces, so such a key could never be sent.
 */
const KEY_PATTERN = /^[\x21-\x7e][\x20-\x7e]{14,126}[\x21-\x7e]$/;

/**
 * A body is decoded to one JavaScript string before it is parsed, and V8's strings stop at about 512 MiB
 * (buffer.constants.MAX_STRING_LENGTH): a larger limit would let a body through that then fails with a 500.
 */
const MAX_BODY_LIMIT_BYTES = 256 * 1024 * 1024;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** "*" or a comma-separated list of origins such as https://app.example.com (scheme, host, optional port). */
function corsOrigins(raw: string | undefined): readonly string[] {
  const list = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const origin of list) {
    if (origin !== '*' && !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin)) {
      throw new ConfigError(`TALLY_CORS_ORIGINS: "${origin}" is not an origin like https://app.example.com (or *)`);
    }
  }
  return Object.freeze(list);
}

export function loadConfig(env: Record<string, string | undefined> = {}): Readonly<Config> {
  const initOrgId = env.TALLY_INIT_ORG_ID || null;
  const initApiKey = env.TALLY_INIT_API_KEY || null;
  if ((initOrgId === null) !== (initApiKey === null)) {
    throw new ConfigError('TALLY_INIT_ORG_ID and TALLY_INIT_API_KEY must be set together');
  }
  if (initApiKey !== null && !KEY_PATTERN.test(initApiKey)) {
    throw new ConfigError('TALLY_INIT_API_KEY must be 16 to 128 printable ASCII characters, not starting or ending with a space');
  }
  if (initOrgId !== null && !ORG_ID_PATTERN.test(initOrgId)) {
    throw new ConfigError('TALLY_INIT_ORG_ID must be 1 to 128 characters of A-Z a-z 0-9 _ . : -');
  }
  const databaseUrl = env.TALLY_DATABASE_URL || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('TALLY_DATABASE_URL must start with postgres:// or postgresql://');
  }
  const logLevel = env.TALLY_LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`TALLY_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const rateLimitPerSecond = int(env, 'TALLY_RATE_LIMIT_PER_SECOND', 0, 0, 1_000_000);
  const requestTimeoutMs = int(env, 'TALLY_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  // Node refuses a headers timeout longer than the request timeout; the default follows a shorter one.
  const headersTimeoutMs = int(env, 'TALLY_HEADERS_TIMEOUT_MS', Math.min(10_000, requestTimeoutMs), 100, 3_600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(`TALLY_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not exceed TALLY_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
  }
  return Object.freeze({
    host: env.HOST || '127.0.0.1',
    port: int(env, 'PORT', 8080, 0, 65535),
    dataDir: path.resolve(env.TALLY_DATA_DIR || './data'),
    databaseUrl,
    pgPoolSize: int(env, 'TALLY_PG_POOL_SIZE', 10, 1, 1000),
    initOrgId,
    initApiKey,
    bodyLimitBytes: int(env, 'TALLY_BODY_LIMIT_BYTES', 5 * 1024 * 1024, 1024, MAX_BODY_LIMIT_BYTES),
    writeQueueMax: int(env, 'TALLY_WRITE_QUEUE_MAX', 10000, 1, 10_000_000),
    writeQueueMaxBytes: int(env, 'TALLY_WRITE_QUEUE_MAX_BYTES', 256 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    batchConcurrency: int(env, 'TALLY_BATCH_CONCURRENCY', 2, 1, 1000),
    rateLimitPerSecond,
    rateLimitBurst: int(env, 'TALLY_RATE_LIMIT_BURST', Math.max(1, rateLimitPerSecond), 1, 10_000_000),
    requestTimeoutMs,
    headersTimeoutMs,
    idleTimeoutMs: int(env, 'TALLY_IDLE_TIMEOUT_MS', 60_000, 100, 3_600_000),
    maxConnections: int(env, 'TALLY_MAX_CONNECTIONS', 1024, 0, 1_000_000),
    maxConnectionsPerIp: int(env, 'TALLY_MAX_CONNECTIONS_PER_IP', 256, 0, 1_000_000),
    corsOrigins: corsOrigins(env.TALLY_CORS_ORIGINS),
    logLevel,
    queryTimeoutMs: int(env, 'TALLY_QUERY_TIMEOUT_MS', 5_000, 100, 3_600_000),
    sqliteReaders: int(env, 'TALLY_SQLITE_READERS', 4, 2, 64),
    rollupFold: {
      records: int(env, 'TALLY_ROLLUP_FOLD_RECORDS', 20_000, 1, 1_000_000),
      idleMs: int(env, 'TALLY_ROLLUP_FOLD_IDLE_MS', 50, 1, 3_600_000),
      maxMs: int(env, 'TALLY_ROLLUP_FOLD_MAX_MS', 2_000, 1, 3_600_000),
    },
    readQueuePerOrg: int(env, 'TALLY_READ_QUEUE_PER_ORG', 32, 1, 100_000),
    otlpHeldEventsPerOrg: int(env, 'TALLY_OTLP_HELD_EVENTS_PER_ORG', 5_000, 1, 10_000_000),
    otlpHeldBytesPerOrg: int(env, 'TALLY_OTLP_HELD_BYTES_PER_ORG', 8 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    otlpHeldEvents: int(env, 'TALLY_OTLP_HELD_EVENTS', 50_000, 1, 100_000_000),
    otlpHeldBytes: int(env, 'TALLY_OTLP_HELD_BYTES', 64 * 1024 * 1024, 1024, 1024 * 1024 * 1024 * 1024),
    otlpHeldSeconds: int(env, 'TALLY_OTLP_HELD_SECONDS', 600, 1, 7 * 24 * 3600),
    retentionDays: env.TALLY_RETENTION_DAYS ? int(env, 'TALLY_RETENTION_DAYS', 0, 1, RETENTION_MAX_DAYS) : null,
  });
}
