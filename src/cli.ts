import { parseArgs } from 'node:util';
import { createApiKey, parseName, parseScope, revokeApiKey, toApiKeyJson, toAuditJson } from './auth/api-keys.ts';
import { ConfigError, ORG_ID_PATTERN, loadConfig } from './config.ts';
import { AppError } from './errors.ts';
import { createStore } from './store/factory.ts';
import type { Store } from './store/types.ts';
import { parseRetentionDays, setOrgRetention } from './records/retention.ts';
import { listModelPrices, parsePrice, parsePriceKey, removeModelPrices, setModelPrice, toModelPriceJson } from './records/model-prices.ts';
import { rebuildRollups } from './records/rollups-rebuild.ts';

const USAGE = `Usage:
  tally keys create --org <org_id> [--scope ingest|read|admin] [--name <text>]
                                     create an API key (default scope admin; the org is created if needed)
  tally keys list --org <org_id>     the org's keys, one a line: id, name, scope, created, last used, revoked
  tally keys revoke <key_id>         revoke a key (every server on the store refuses it within 5 s)
  tally orgs retention --org <org_id> --days <n>
                                     keep the org's records n days (0 clears the override: TALLY_RETENTION_DAYS)
  tally prices set --model <name or pattern> --input <USD per 1M> --output <USD per 1M>
                   [--cache-read <USD per 1M>] [--cache-write <USD per 1M>] [--org <org_id>] [--from <ISO time>]
                                     price a model (* in a pattern: any characters) for the org, or the whole server
                                     without --org; from the time given, else always (running servers: within 5 s)
  tally prices list [--org <org_id>] the prices in effect for the org (its own, then the server's), or every price
  tally prices remove --model <name or pattern> [--org <org_id>] [--from <ISO time> | always]
                                     remove the pattern's prices (all of them, or the one from that time)
  tally audit --org <org_id>         the org's audit log, newest first, one entry a line
  tally rollups rebuild [--org <org_id>]
                                     recompute the analytics rollups from the records (after an upgrade, or to
                                     repair them), a transaction per org and day; writes may go on meanwhile
  tally serve                        start the server (same as npm start)`;

/** A mistake in the command line: printed with the usage, exit code 2, nothing done. */
class UsageError extends Error {}

/** Runs a command; resolves with the exit code, or null for `serve`, whose process goes on serving. */
async function main(argv: string[]): Promise<number | null> {
  const [group, action, ...rest] = argv;
  if (group === 'serve') {
    // Loaded only here: the server (Fastify, its plugins, the routes) is most of the CLI's start-up otherwise.
    const { main: serve, startFailed } = await import('./server.ts');
    await serve().catch(startFailed);
    return null;
  }
  if (group === 'help' || group === '--help' || group === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const command = commandFor(group, action, rest);
    if (command === null) throw new UsageError('');
    const config = loadConfig(process.env);
    const store = await createStore(config);
    try {
      await command(store);
    } finally {
      await store.close();
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(err.message ? `tally: ${err.message} (\`tally help\` for the usage)\n` : `${USAGE}\n`);
      return 2;
    }
    if (err instanceof AppError) {
      process.stderr.write(`tally: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** The command the arguments name, checked before the store is opened; null when they name none. */
function commandFor(group: string | undefined, action: string | undefined, rest: string[]): ((store: Store) => Promise<void>) | null {
  if (group === 'audit') {
    const org = orgOf(parse(action === undefined ? [] : [action, ...rest], ['org']).values.org);
    return async (store) => {
      for (const e of (await store.auditLog(org)).map(toAuditJson)) {
        process.stdout.write(`${e.at}  ${e.actor}  ${e.action}  ${JSON.stringify(e.details)}\n`);
      }
    };
  }
  if (group === 'orgs' && action === 'retention') {
    // "--days -1" would read as an option: joined as "--days=-1", so that the value is refused for what it is.
    const args = rest.flatMap((a, i) =>
      a === '--days' && rest[i + 1]?.startsWith('-') ? [] : i > 0 && rest[i - 1] === '--days' && a.startsWith('-') ? [`--days=${a}`] : [a],
    );
    const { values } = parse(args, ['org', 'days']);
    const org = orgOf(values.org);
    const days = checked(() => parseRetentionDays(values.days));
    return async (store) => {
      await setOrgRetention(store, org, days, 'cli');
      process.stdout.write(
        days === null
          ? `Cleared the retention override of org ${org}: its records follow TALLY_RETENTION_DAYS (kept forever when unset).\n`
          : `Org ${org} keeps its records ${days} day${days === 1 ? '' : 's'}; older ones are deleted by the running server within minutes.\n`,
      );
    };
  }
  if (group === 'prices') return pricesCommand(action, rest);
  if (group === 'rollups' && action === 'rebuild') {
    const { values } = parse(rest, ['org']);
    const org = values.org === undefined ? undefined : orgOf(values.org);
    return async (store) => {
      const started = Date.now();
      const done = await rebuildRollups(store, { orgId: org, progress: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(
        `Rebuilt the rollups of ${done.orgs} org${done.orgs === 1 ? '' : 's'} from ${done.records} records ` +
          `(${done.days} org-days) in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`,
      );
    };
  }
  if (group !== 'keys') return null;
  if (action === 'create') {
    const { values } = parse(rest, ['org', 'scope', 'name']);
    const org = orgOf(values.org);
    const scope = checked(() => parseScope(values.scope ?? 'admin', '--scope'));
    const name = values.name === undefined ? null : checked(() => parseName(values.name, '--name'));
    return async (store) => {
      const { row, secret } = await createApiKey(store, { orgId: org, scope, name, actor: 'cli' });
      process.stdout.write(
        `Created API key ${row.id} (scope ${row.scope}${name === null ? '' : `, name ${JSON.stringify(name)}`}) for org ${org}. ` +
          `The key is shown only once:\n${secret}\n`,
      );
    };
  }
  if (action === 'list') {
    const org = orgOf(parse(rest, ['org']).values.org);
    return async (store) => {
      const keys = (await store.apiKeys(org)).map(toApiKeyJson);
      if (keys.length === 0) process.stderr.write(`tally: org ${org} has no API keys\n`);
      for (const k of keys) {
        process.stdout.write(
          `${k.id}  ${k.name === null ? '-' : JSON.stringify(k.name)}  ${k.scope}  created ${k.created}  ` +
            `last used ${k.last_used ?? 'never'}  ${k.revoked === null ? 'active' : `revoked ${k.revoked}`}\n`,
        );
      }
    };
  }
  if (action === 'revoke') {
    const keyId = parse(rest, [], 1).positionals[0];
    if (keyId === '') throw new UsageError('a key id is required (see `tally keys list`)');
    return async (store) => {
      const already = (await store.apiKey(keyId))?.revokedAt != null;
      const key = await revokeApiKey(store, { keyId, orgId: null, actor: 'cli' });
      process.stdout.write(
        already
          ? `API key ${key.id} of org ${key.orgId} was already revoked (${new Date(key.revokedAt!).toISOString()}); nothing changed.\n`
          : `Revoked API key ${key.id} of org ${key.orgId}. Every server on this store refuses it within 5 seconds.\n`,
      );
    };
  }
  return null;
}

/** `tally prices set|list|remove` (docs/derived-fields.md#custom-prices). */
function pricesCommand(action: string | undefined, rest: string[]): ((store: Store) => Promise<void>) | null {
  const PRICE_OPTIONS = ['input', 'output', 'cache-read', 'cache-write'] as const;
  const { values } = parse(joinDashValues(rest, PRICE_OPTIONS), ['org', 'model', 'from', ...PRICE_OPTIONS]);
  const org = values.org === undefined ? null : orgOf(values.org);
  const scope = org === null ? 'the whole server' : `org ${org}`;
  if (action === 'set') {
    if (values.model === undefined) throw new UsageError('--model <name or pattern> is required');
    const row = checked(() =>
      parsePrice(
        {
          model: values.model,
          input: values.input,
          output: values.output,
          cache_read: values['cache-read'],
          cache_write: values['cache-write'],
          effective_from: values.from,
        },
        org,
      ),
    );
    return async (store) => {
      await setModelPrice(store, row, 'cli');
      const from = toModelPriceJson(row).effective_from;
      process.stdout.write(
        `Set the price of ${JSON.stringify(row.model)} for ${scope}${from === null ? '' : ` from ${from}`}: $${row.input} input, $${row.output} output per 1M tokens` +
          `${row.cacheRead === null ? '' : `, $${row.cacheRead} cache read`}${row.cacheWrite === null ? '' : `, $${row.cacheWrite} cache write`}. ` +
          'Running servers price new records with it within 5 seconds; stored records keep their cost.\n',
      );
    };
  }
  if (action === 'list') {
    if (Object.keys(values).some((k) => k !== 'org')) throw new UsageError('`tally prices list` takes --org only');
    return async (store) => {
      const rows = (await listModelPrices(store, org ?? undefined)).map(toModelPriceJson);
      if (rows.length === 0)
        process.stderr.write(
          `tally: no custom prices${org === null ? '' : ` for org ${org} or the server`}; the catalogue prices every model\n`,
        );
      for (const p of rows) {
        process.stdout.write(
          `${p.org_id ?? '(server)'}  ${JSON.stringify(p.model)}  input ${p.input}  output ${p.output}  cache_read ${p.cache_read ?? '-'}  ` +
            `cache_write ${p.cache_write ?? '-'}  from ${p.effective_from ?? 'always'}  set ${p.created}\n`,
        );
      }
    };
  }
  if (action === 'remove') {
    if (values.model === undefined) throw new UsageError('--model <name or pattern> is required');
    if (PRICE_OPTIONS.some((k) => values[k] !== undefined)) throw new UsageError('`tally prices remove` takes --model, --org and --from');
    const key = checked(() => parsePriceKey(values.model, values.from, org));
    return async (store) => {
      const n = await removeModelPrices(store, key, 'cli');
      process.stdout.write(
        `Removed ${n} price${n === 1 ? '' : 's'} of ${JSON.stringify(key.model)} for ${scope}. Running servers stop using ${n === 1 ? 'it' : 'them'} within 5 seconds.\n`,
      );
    };
  }
  return null;
}

/** "--input -1" would read as an option: joined as "--input=-1", so that the value is refused for what it is. */
function joinDashValues(args: string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : null;
    if (name !== null && names.includes(name) && args[i + 1]?.startsWith('-') && args[i + 1] !== '--') out.push(`--${name}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

const OPTIONS = {
  org: { type: 'string' },
  scope: { type: 'string' },
  name: { type: 'string' },
  days: { type: 'string' },
  model: { type: 'string' },
  input: { type: 'string' },
  output: { type: 'string' },
  'cache-read': { type: 'string' },
  'cache-write': { type: 'string' },
  from: { type: 'string' },
} as const;

/** The options and positionals of a command; one it does not take, or a missing or extra positional, is a usage error. */
function parse(args: string[], allowed: (keyof typeof OPTIONS)[], positionals = 0) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const extra = Object.keys(parsed.values).find((k) => !allowed.includes(k as keyof typeof OPTIONS));
  if (extra !== undefined) throw new UsageError(`--${extra} does not apply to this command`);
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(positionals === 0 ? `unexpected argument ${JSON.stringify(parsed.positionals[0])}` : 'a key id is required');
  }
  return parsed;
}

function orgOf(org: string | undefined): string {
  if (!org || !ORG_ID_PATTERN.test(org)) throw new UsageError('--org <org_id> is required (1-128 characters of A-Z a-z 0-9 _ . : -)');
  return org;
}

/** A value the service refuses (an unknown scope, a blank name) is a usage error here. */
function checked<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof AppError) throw new UsageError(err.message);
    throw err;
  }
}

// A reader that stops early (`tally keys list ... | head -1`) closes the pipe: that ends the output, not in a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== null) process.exit(code);
  },
  (err) => {
    process.stderr.write(`tally: ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
