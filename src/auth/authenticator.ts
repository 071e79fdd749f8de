import { AppError } from '../errors.ts';
import { rateLimitedError, type RateLimiter } from './rate-limit.ts';
import type { Store } from '../store/types.ts';
import { hashApiKey } from './keys.ts';

const CACHE_LIMIT = 10_000;

/**
 * Resolves "Authorization: Bearer <key>" to an org id, remembering known keys by the key itself, so a repeat costs
 * neither a hash nor the store. With a limiter, each valid key spends a token per request (429 when it has none).
 */
export function createAuthenticator(store: Store, opts: { limiter?: RateLimiter | null } = {}) {
  const known = new Map<string, { org: string; hash: string }>();
  const limiter = opts.limiter ?? null;
  return async function authenticate(header: string | undefined): Promise<string> {
    const m = header ? /^Bearer\s+(\S(?:.*\S)?)\s*$/i.exec(header) : null; // a key may hold spaces, not at its ends
    if (!m) throw new AppError('unauthorized', 'Send the API key as "Authorization: Bearer <key>"');
    let entry = known.get(m[1]);
    if (entry === undefined) {
      const hash = hashApiKey(m[1]);
      const found = await store.orgForKeyHash(hash);
      if (found === null) throw new AppError('unauthorized', 'The API key is not valid');
      if (known.size >= CACHE_LIMIT) known.clear();
      entry = { org: found, hash };
      known.set(m[1], entry);
    }
    if (limiter !== null) {
      const wait = limiter.take(entry.hash);
      if (wait > 0) throw rateLimitedError(wait);
    }
    return entry.org;
  };
}
