import { AppError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import { hashApiKey } from './keys.ts';

const CACHE_LIMIT = 10_000;

/** Resolves "Authorization: Bearer <key>" to an org id, remembering known keys to spare the store. */
export function createAuthenticator(store: Store) {
  const known = new Map<string, string>();
  return async function authenticate(header: string | undefined): Promise<string> {
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) throw new AppError('unauthorized', 'Send the API key as "Authorization: Bearer <key>"');
    const hash = hashApiKey(m[1]);
    const cached = known.get(hash);
    if (cached !== undefined) return cached;
    const org = await store.orgForKeyHash(hash);
    if (org === null) throw new AppError('unauthorized', 'The API key is not valid');
    if (known.size >= CACHE_LIMIT) known.clear();
    known.set(hash, org);
    return org;
  };
}
