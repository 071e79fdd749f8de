import type pg from 'pg';
import type { Logger } from 'pino';
import { POSTGRES_MIGRATIONS } from './migrations.ts';

/**
 * One constant advisory lock for every Tally process on the database: replicas starting together take turns,
 * and each finds the migrations the previous one applied.
 */
const MIGRATION_LOCK = 7_316_883_021;

/**
 * Applies pending migrations, each in its own transaction holding the advisory lock until COMMIT. A failure
 * rolls that migration back and throws, and the server exits non-zero.
 */
export async function migrate(pool: pg.Pool, log: Logger): Promise<void> {
  for (;;) {
    const applied = await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const done = new Set(rows.map((r) => r.version));
      const next = POSTGRES_MIGRATIONS.find((m) => !done.has(m.version));
      if (!next) return null;
      await client.query(next.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [next.version, next.name, Date.now()]);
      return next;
    });
    if (applied === null) return;
    log.info({ version: applied.version, name: applied.name }, 'postgres migration applied');
  }
}

/** Runs fn between BEGIN and COMMIT on one connection; rolls back on failure and discards a broken connection. */
async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out connection that dies emits 'error'; unheard, that would crash the process.
  const onError = (err: Error) => {
    broken = err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: Error) => {
      broken ??= rollbackErr;
    });
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
