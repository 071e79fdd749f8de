import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import type { RecordData } from '../records/record.ts';
import type { Store } from './types.ts';

interface Pending {
  record: RecordData;
  durable: boolean; // a client waits for this commit
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface WriteQueue {
  /** Resolves when the record is committed. Throws 503 overloaded when the queue is full. */
  write(record: RecordData): Promise<void>;
  /** Accepts the record for a commit shortly after; failed commits are retried until they succeed or the queue closes. */
  accept(record: RecordData): void;
  depth(): number;
  /** Waits until everything accepted so far is committed. */
  drain(): Promise<void>;
}

/**
 * Group commit: creates that arrive while a commit is being prepared share one transaction (and one fsync).
 * Each waiting request is answered only after its batch commits.
 */
export function createWriteQueue(store: Store, opts: { maxPending: number; maxBatch?: number; log: Logger }): WriteQueue {
  const maxBatch = opts.maxBatch ?? 1000;
  let pending: Pending[] = [];
  let inFlight = 0;
  let running = false;
  let retryDelay = 0;
  const idle: (() => void)[] = [];

  function admit(): void {
    if (pending.length + inFlight >= opts.maxPending) {
      throw new AppError('overloaded', 'The write queue is full; retry shortly', [], { 'retry-after': '1' });
    }
  }

  function schedule(): void {
    if (running) return;
    running = true;
    if (retryDelay > 0) setTimeout(flush, retryDelay);
    else setImmediate(flush);
  }

  async function flush(): Promise<void> {
    const batch = pending.slice(0, maxBatch);
    pending = pending.slice(batch.length);
    inFlight = batch.length;
    try {
      await store.insert(batch.map((p) => p.record));
      retryDelay = 0;
      opts.log.debug({ batch: batch.length }, 'committed'); // group-commit sizes, read by the benchmark
      for (const p of batch) p.resolve();
    } catch (err) {
      opts.log.error({ err, batch: batch.length }, 'commit failed');
      const retry = batch.filter((p) => !p.durable); // accepted (202) records must not be lost
      for (const p of batch) if (p.durable) p.reject(new AppError('store_unavailable', 'The store could not commit the record; it was not saved'));
      pending = [...retry, ...pending];
      retryDelay = Math.min(Math.max(retryDelay * 2, 50), 5000);
    } finally {
      inFlight = 0;
      running = false;
    }
    if (pending.length > 0) schedule();
    else for (const wake of idle.splice(0)) wake();
  }

  return {
    write(record) {
      admit();
      return new Promise<void>((resolve, reject) => {
        pending.push({ record, durable: true, resolve, reject });
        schedule();
      });
    },
    accept(record) {
      admit();
      pending.push({ record, durable: false, resolve: () => {}, reject: () => {} });
      schedule();
    },
    depth: () => pending.length + inFlight,
    drain() {
      if (pending.length === 0 && !running) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
