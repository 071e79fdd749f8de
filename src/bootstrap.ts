import { randomBytes } from 'node:crypto';
import { ConfigError, type Config } from './config.ts';
import { KeyConflictError } from './errors.ts';
import { generateApiKey, hashApiKey } from './auth/keys.ts';
import type { Store } from './store/types.ts';

/**
 * Makes sure someone can call the API: the configured org and key (idempotent), or, on a store with no key
 * at all, a new org and key whose secret is returned once for printing.
 */
export async function ensureInitialKey(config: Readonly<Config>, store: Store): Promise<{ orgId: string; key: string } | null> {
  if (config.initOrgId !== null && config.initApiKey !== null) {
    try {
      await store.ensureApiKey(config.initOrgId, hashApiKey(config.initApiKey));
    } catch (err) {
      if (err instanceof KeyConflictError)
        throw new ConfigError(`TALLY_INIT_API_KEY already belongs to an org other than TALLY_INIT_ORG_ID (${config.initOrgId})`);
      throw err;
    }
    return null;
  }
  if (await store.hasAnyApiKey()) return null;
  const orgId = `org_${randomBytes(6).toString('hex')}`;
  const key = generateApiKey();
  await store.ensureApiKey(orgId, hashApiKey(key));
  return { orgId, key };
}

/** Creates a key for an org (creating the org when needed), for `tally keys create`. */
export async function createKey(store: Store, orgId: string): Promise<string> {
  const key = generateApiKey();
  await store.ensureApiKey(orgId, hashApiKey(key));
  return key;
}
