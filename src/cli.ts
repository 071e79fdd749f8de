import { parseArgs } from 'node:util';
import { createKey } from './bootstrap.ts';
import { ConfigError, ORG_ID_PATTERN, loadConfig } from './config.ts';
import { main as serve, startFailed } from './server.ts';
import { createStore } from './store/factory.ts';

const USAGE = `Usage:
  tally keys create --org <org_id>   create an API key for the org (creating the org if needed)
  tally serve                        start the server (same as npm start)`;

/** Runs a command; resolves with the exit code, or null for `serve`, whose process goes on serving. */
async function main(argv: string[]): Promise<number | null> {
  const [group, action, ...rest] = argv;
  if (group === 'serve') {
    await serve().catch(startFailed);
    return null;
  }
  if (group !== 'keys' || action !== 'create') {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { org: { type: 'string' } } });
  const org = values.org;
  if (!org || !ORG_ID_PATTERN.test(org)) {
    process.stderr.write('tally: --org <org_id> is required (1-128 characters of A-Z a-z 0-9 _ . : -)\n');
    return 2;
  }
  const config = loadConfig(process.env);
  const store = await createStore(config);
  try {
    const key = await createKey(store, org);
    process.stdout.write(`Created an API key for org ${org}. It is shown only once:\n${key}\n`);
  } finally {
    await store.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== null) process.exit(code);
  },
  (err) => {
    process.stderr.write(`tally: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
