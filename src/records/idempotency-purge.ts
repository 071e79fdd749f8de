import type { Logger } from 'pino';
import { IDEMPOTENCY_TTL_MS } from '../store/encoded-record.ts';
import type { Store } from '../store/types.ts';

/** Expired keys are deleted this often, at most CHUNK rows a transaction and ROUNDS transactions a run. */
const EVERY_MS = 10 * 60 * 1000;
const CHUNK = 5_000;
const ROUNDS = 200;

/**
 * Deletes Idempotency-Key rows past IDEMPOTENCY_TTL_MS (lookups already ignore them), so the table holds about a
 * day of keys. Short transactions, with a turn of the event loop between them, so writes are never held up for long.
 * Returns a stop function.
 */
export function startIdempotencyPurge(store: Store, log: Logger): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const before = Date.now() - IDEMPOTENCY_TTL_MS;
      let deleted = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const n = await store.purgeIdempotencyKeys(before, CHUNK);
        deleted += n;
        if (n < CHUNK) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (deleted > 0) log.info({ deleted }, 'expired idempotency keys deleted');
    } catch (err) {
      log.warn({ err }, 'expired idempotency keys could not be deleted; trying again later');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
