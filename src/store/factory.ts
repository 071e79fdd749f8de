import { ConfigError, type Config } from '../config.ts';
import { createSqliteStore } from './sqlite/store.ts';
import type { Store } from './types.ts';

/** The one place that chooses the engine: PostgreSQL when TALLY_DATABASE_URL is set, else SQLite. */
export async function createStore(config: Readonly<Config>): Promise<Store> {
  if (config.databaseUrl !== null) {
    throw new ConfigError('TALLY_DATABASE_URL is set, but the PostgreSQL store is not built yet');
  }
  return createSqliteStore(config.dataDir);
}
