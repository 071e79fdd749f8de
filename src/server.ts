import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createApp } from './app.ts';
import { ensureInitialKey } from './bootstrap.ts';
import { ConfigError, loadConfig } from './config.ts';
import { StoreConnectError } from './errors.ts';
import { createLogger } from './logger.ts';
import { createStore } from './store/factory.ts';
import { DataDirInUse, lockDataDir } from './store/sqlite/server-lock.ts';

/**
 * The process: read config once, open the store, listen, and shut down cleanly on SIGTERM/SIGINT. Resolves once
 * the server listens; a failure to start rejects (startFailed reports it).
 */
export async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  // On SQLite this process owns the data directory: a second server on it stops here (server-lock.ts).
  const lock = config.databaseUrl ? null : await explained(async () => lockDataDir(config.dataDir), `TALLY_DATA_DIR (${config.dataDir})`);
  const store = await explained(
    () => createStore(config, logger),
    config.databaseUrl ? 'TALLY_DATABASE_URL' : `TALLY_DATA_DIR (${config.dataDir})`,
  );
  const created = await ensureInitialKey(config, store);
  const app = await createApp(config, { store, logger });
  await explained(() => app.http.listen({ host: config.host, port: config.port }), `HOST:PORT (${config.host}:${config.port})`);
  const address = app.http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port; // the bound port when PORT=0
  if (created) {
    process.stdout.write(
      `\nTally created org ${created.orgId} and its first API key (shown once, store it now):\n\n  ${created.key}\n\n` +
        `Try: curl -H "Authorization: Bearer ${created.key}" http://${config.host}:${port}/api/records/list/\n\n`,
    );
  }
  logger.info(
    { engine: store.engine, host: config.host, port, dataDir: store.engine === 'sqlite' ? config.dataDir : undefined },
    'tally listening',
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining writes');
    const timer = setTimeout(() => {
      logger.error({ uncommitted: app.queue.depth() }, 'shutdown took longer than 30s; exiting with records not committed');
      process.exit(1);
    }, 30_000);
    timer.unref();
    await app.close();
    lock?.release();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

/**
 * A system error at start (ENOTFOUND, EADDRINUSE, EACCES, EEXIST, ECONNREFUSED, ...) or a store that cannot be
 * reached comes from the setting named, and is reported as a configuration error naming it; anything else keeps
 * its stack.
 */
async function explained<T>(step: () => Promise<T>, setting: string): Promise<T> {
  try {
    return await step();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof StoreConnectError || err instanceof DataDirInUse || (typeof code === 'string' && /^E[A-Z]+$/.test(code))) {
      throw new ConfigError(`${setting}: ${(err as Error).message}`);
    }
    throw err;
  }
}

/** Reports a failure to start (a setting named in one line, anything else with its stack) and exits 1. */
export function startFailed(err: unknown): never {
  if (err instanceof ConfigError) process.stderr.write(`tally: ${err.message}\n`);
  else process.stderr.write(`tally: failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
}

// Run as the program (node dist/server.js, tsx src/server.ts), not when imported (the CLI's `tally serve`).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) main().catch(startFailed);
