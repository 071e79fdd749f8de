import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';

/**
 * Which stores the contract tests run against, switched in this one place: SQLite always; PostgreSQL when
 * it answers at TALLY_TEST_PG_URL. In CI (CI=true) an unreachable PostgreSQL fails the run instead of
 * skipping it; elsewhere the PostgreSQL tests are skipped with a notice.
 */
export type StoreKind = 'sqlite' | 'postgres';

export const TEST_PG_URL = process.env.TALLY_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

export const POSTGRES_AVAILABLE = await reachable(TEST_PG_URL);
if (!POSTGRES_AVAILABLE) {
  if (process.env.CI === 'true')
    throw new Error(`PostgreSQL is not reachable at ${TEST_PG_URL}; CI runs every store test on PostgreSQL too`);
  console.warn(
    `NOTICE: PostgreSQL is not reachable at ${TEST_PG_URL}; the PostgreSQL tests are SKIPPED (start it or set TALLY_TEST_PG_URL)`,
  );
}

export const STORE_KINDS: StoreKind[] = POSTGRES_AVAILABLE ? ['sqlite', 'postgres'] : ['sqlite'];

/** The environment that points a Tally config at a fresh, empty store of that kind. */
export async function storeEnv(kind: StoreKind): Promise<Record<string, string>> {
  if (kind === 'sqlite') return {};
  return { TALLY_DATABASE_URL: await freshSchemaUrl(), TALLY_PG_POOL_SIZE: '4' };
}

/** A new schema in this test process's database, as a URL whose search_path selects it: quicker than a database per app. */
export async function freshSchemaUrl(): Promise<string> {
  processDb ??= freshDatabaseUrl();
  const url = await processDb;
  const schema = `app_${++schemas}`;
  await withClient(url, (c) => c.query(`CREATE SCHEMA ${schema}`));
  return withSearchPath(url, schema);
}

/** A new, empty database (no extension, no schema), dropped when the test process ends. */
export async function freshDatabaseUrl(): Promise<string> {
  const name = `tally_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(TEST_PG_URL, async (c) => {
    if (created.length === 0) await dropStaleDatabases(c);
    await c.query(`CREATE DATABASE ${name}`);
  });
  created.push(name);
  return databaseUrl(name);
}

/** Runs fn on a short-lived connection. */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {}); // a dropped admin connection surfaces as a failed query instead
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

export function databaseUrl(name: string): string {
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export function withSearchPath(url: string, searchPath: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${searchPath}`);
  return u.toString();
}

let schemas = 0;
let processDb: Promise<string> | null = null; // this process's database, created on first use
const created: string[] = [];

/** Databases left by test processes that died before their clean-up. */
async function dropStaleDatabases(c: pg.Client): Promise<void> {
  const { rows } = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'tally\\_test\\_%'");
  for (const { datname } of rows) {
    const pid = Number(/^tally_test_(\d+)_/.exec(datname)?.[1]);
    if (pid && !alive(pid)) await c.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function reachable(url: string): Promise<boolean> {
  try {
    await withClient(url, (c) => c.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

// Registered at import, so it belongs to the root test and runs after every test of the file.
after(async () => {
  if (created.length === 0) return;
  await withClient(TEST_PG_URL, async (c) => {
    for (const name of created) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
});
