import { AppError } from '../errors.ts';
import { rateLimitedError, type RateLimiter } from './rate-limit.ts';
import type { KeyGrant, Store } from '../store/types.ts';
import { hashApiKey } from './keys.ts';

const CACHE_LIMIT = 10_000;
/**
 * How long a key is trusted without asking the store again. A key revoked by another process (or the CLI) is
 * refused here at most this long after, well within the 5 s docs/keys.md promises.
 */
export const KEY_RECHECK_MS = 2000;
/** How often a key's last_used is written, at most, by one process. */
const TOUCH_EVERY_MS = 60_000;

interface Known {
  grant: KeyGrant;
  hash: string;
  checkedAt: number; // performance.now() of the store's answer
}

/**
 * Resolves "Authorization: Bearer <key>" to the key's org and scope. A key seen in the last KEY_RECHECK_MS costs
 * neither a hash nor the store; past that the next request asks the store again (one lookup shared by the requests
 * that arrive meanwhile), so revocation is seen. With a limiter, each valid key spends a token per request (429
 * when it has none). last_used is written in the background, at most once a minute per key and process.
 */
export function createAuthenticator(store: Store, opts: { limiter?: RateLimiter | null } = {}) {
  const known = new Map<string, Known>();
  const asking = new Map<string, Promise<Known | null>>();
  const touched = new Map<string, number>();
  const limiter = opts.limiter ?? null;

  const ask = (key: string, hash: string): Promise<Known | null> => {
    let pending = asking.get(key);
    if (pending === undefined) {
      pending = store.keyForHash(hash).then(
        (grant) => {
          asking.delete(key);
          if (grant === null) {
            known.delete(key);
            return null;
          }
          if (known.size >= CACHE_LIMIT) known.clear();
          const entry = { grant, hash, checkedAt: performance.now() };
          known.set(key, entry);
          touch(grant.keyId);
          return entry;
        },
        (err) => {
          asking.delete(key);
          throw err;
        },
      );
      asking.set(key, pending);
    }
    return pending;
  };

  const touch = (keyId: string) => {
    const now = Date.now();
    if (now - (touched.get(keyId) ?? Number.NEGATIVE_INFINITY) < TOUCH_EVERY_MS) return;
    if (touched.size >= CACHE_LIMIT) touched.clear();
    touched.set(keyId, now);
    store.touchApiKey(keyId, now).catch(() => touched.delete(keyId)); // tried again on a later check
  };

  return async function authenticate(header: string | undefined): Promise<KeyGrant> {
    const m = header ? /^Bearer\s+(\S(?:.*\S)?)\s*$/i.exec(header) : null; // a key may hold spaces, not at its ends
    if (!m) throw new AppError('unauthorized', 'Send the API key as "Authorization: Bearer <key>"');
    let entry: Known | null | undefined = known.get(m[1]);
    if (entry === undefined || performance.now() - entry.checkedAt >= KEY_RECHECK_MS) {
      entry = await ask(m[1], entry?.hash ?? hashApiKey(m[1]));
      if (entry === null) throw new AppError('unauthorized', 'The API key is not valid (unknown or revoked)');
    }
    if (limiter !== null) {
      const wait = limiter.take(entry.hash);
      if (wait > 0) throw rateLimitedError(wait);
    }
    return entry.grant;
  };
}
