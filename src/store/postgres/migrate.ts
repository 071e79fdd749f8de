import pg from 'pg';
import type { Logger } from 'pino';
import { StoreConnectError } from '../../errors.ts';
import { POSTGRES_MIGRATIONS } from './migrations.ts';

/**
 * One constant advisory lock for every Tally process on the database: replicas starting together take turns,
 * and each finds the migrations the previous one applied.
 */
const MIGRATION_LOCK = 7_316_883_021;

/**
 * Applies pending migrations, each in its own transaction holding the advisory lock until COMMIT. A failure
 * rolls that migration back and throws, and the server exits non-zero.
 *
 * They run on a connection of their own, without the pool's statement and query timeouts: an index build on a
 * large table, or a replica waiting for the lock while another one runs it, may take minutes.
 */
export async function migrate(config: pg.ClientConfig, log: Logger): Promise<void> {
  const client = new pg.Client(config);
  // A connection that dies mid-migration emits 'error' besides failing the query; unheard, it would crash.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new StoreConnectError(`cannot connect to PostgreSQL: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  try {
    for (;;) {
      const applied = await inTransaction(client, async () => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await client.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
        );
        const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
        const done = new Set(rows.map((r) => r.version));
        const next = POSTGRES_MIGRATIONS.find((m) => !done.has(m.version));
        if (!next) return null;
        await client.query(next.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          next.version,
          next.name,
          Date.now(),
        ]);
        return next;
      });
      if (applied === null) return;
      log.info({ version: applied.version, name: applied.name }, 'postgres migration applied');
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs fn between BEGIN and COMMIT, rolling back when it fails. */
async function inTransaction<T>(client: pg.Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {}); // a dead connection has nothing left to roll back
    throw err;
  }
}
