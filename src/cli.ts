import { parseArgs } from 'node:util';
import { createApiKey, parseName, parseScope, revokeApiKey, toApiKeyJson, toAuditJson } from './auth/api-keys.ts';
import { ConfigError, ORG_ID_PATTERN, loadConfig } from './config.ts';
import { AppError } from './errors.ts';
import { main as serve, startFailed } from './server.ts';
import { createStore } from './store/factory.ts';
import type { Store } from './store/types.ts';
import { parseRetentionDays, setOrgRetention } from './records/retention.ts';
import { rebuildRollups } from './records/rollups-rebuild.ts';

const USAGE = `Usage:
  tally keys create --org <org_id> [--scope ingest|read|admin] [--name <text>]
                                     create an API key (default scope admin; the org is created if needed)
  tally keys list --org <org_id>     the org's keys, one a line: id, name, scope, created, last used, revoked
  tally keys revoke <key_id>         revoke a key (every server on the store refuses it within 5 s)
  tally orgs retention --org <org_id> --days <n>
                                     keep the org's records n days (0 clears the override: TALLY_RETENTION_DAYS)
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

const OPTIONS = { org: { type: 'string' }, scope: { type: 'string' }, name: { type: 'string' }, days: { type: 'string' } } as const;

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
