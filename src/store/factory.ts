import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createReadScheduler, withFairReads } from './fair-reads.ts';
import { createSqliteStore } from './sqlite/store.ts';
import type { Store } from './types.ts';

/**
 * The one place that chooses the engine: PostgreSQL when TALLY_DATABASE_URL is set, else SQLite. Either way its
 * lists and summaries are taken in turn by org (fair-reads.ts): an org may use every place but one, and waits at
 * most one read budget for a place. Export pages go the same way, on a lane of their own where the store has one
 * (PostgreSQL's export thread: one page at a time, orgs in turn).
 */
export async function createStore(config: Readonly<Config>, log: Logger = createLogger(config.logLevel)): Promise<Store> {
  const store = await open(config, log);
  const scheduler = (capacity: number) =>
    createReadScheduler({
      capacity,
      perOrg: Math.max(1, capacity - 1),
      queuePerOrg: config.readQueuePerOrg,
      maxWaitMs: config.queryTimeoutMs,
    });
  const reads = scheduler(store.readConcurrency);
  return withFairReads(store, reads, store.exportConcurrency ? scheduler(store.exportConcurrency) : reads);
}

async function open(config: Readonly<Config>, log: Logger): Promise<Store> {
  if (config.databaseUrl !== null) {
    // Loaded on demand, so that SQLite users never load the PostgreSQL driver.
    const { createPostgresStore } = await import('./postgres/store.ts');
    return createPostgresStore({
      url: config.databaseUrl,
      poolSize: config.pgPoolSize,
      queryTimeoutMs: config.queryTimeoutMs,
      largestRecordBytes: config.bodyLimitBytes, // a record comes in one body at most
      log,
    });
  }
  return createSqliteStore(config.dataDir, {
    log,
    queryTimeoutMs: config.queryTimeoutMs,
    readers: config.sqliteReaders,
    fold: config.rollupFold,
  });
}
