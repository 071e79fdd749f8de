import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createSqliteStore } from './sqlite/store.ts';
import type { Store } from './types.ts';

/** The one place that chooses the engine: PostgreSQL when TALLY_DATABASE_URL is set, else SQLite. */
export async function createStore(config: Readonly<Config>, log: Logger = createLogger(config.logLevel)): Promise<Store> {
  if (config.databaseUrl !== null) {
    // Loaded on demand, so that SQLite users never load the PostgreSQL driver.
    const { createPostgresStore } = await import('./postgres/store.ts');
    return createPostgresStore({ url: config.databaseUrl, poolSize: config.pgPoolSize, log });
  }
  return createSqliteStore(config.dataDir, log);
}
