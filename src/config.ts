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
  logLevel: string;
}

export class ConfigError extends Error {}

function int(env: Record<string, string | undefined>, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

const KEY_PATTERN = /^[\x21-\x7e]{16,128}$/;

export function loadConfig(env: Record<string, string | undefined> = {}): Readonly<Config> {
  const initOrgId = env.TALLY_INIT_ORG_ID || null;
  const initApiKey = env.TALLY_INIT_API_KEY || null;
  if ((initOrgId === null) !== (initApiKey === null)) {
    throw new ConfigError('TALLY_INIT_ORG_ID and TALLY_INIT_API_KEY must be set together');
  }
  if (initApiKey !== null && !KEY_PATTERN.test(initApiKey)) {
    throw new ConfigError('TALLY_INIT_API_KEY must be 16 to 128 printable ASCII characters without spaces');
  }
  if (initOrgId !== null && !/^[A-Za-z0-9_.:-]{1,128}$/.test(initOrgId)) {
    throw new ConfigError('TALLY_INIT_ORG_ID must be 1 to 128 characters of A-Z a-z 0-9 _ . : -');
  }
  const databaseUrl = env.TALLY_DATABASE_URL || null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('TALLY_DATABASE_URL must start with postgres:// or postgresql://');
  }
  return Object.freeze({
    host: env.HOST || '127.0.0.1',
    port: int(env, 'PORT', 8080, 0, 65535),
    dataDir: path.resolve(env.TALLY_DATA_DIR || './data'),
    databaseUrl,
    pgPoolSize: int(env, 'TALLY_PG_POOL_SIZE', 10, 1, 1000),
    initOrgId,
    initApiKey,
    bodyLimitBytes: int(env, 'TALLY_BODY_LIMIT_BYTES', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    writeQueueMax: int(env, 'TALLY_WRITE_QUEUE_MAX', 10000, 1, 10_000_000),
    logLevel: env.TALLY_LOG_LEVEL || 'info',
  });
}

export { KEY_PATTERN };
