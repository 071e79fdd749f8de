import type { Logger } from 'pino';
import { AppError } from '../errors.ts';
import type { EncodedRecord } from './encoded-record.ts';
import type { Store } from './types.ts';

interface Pending {
  record: EncodedRecord;
  bytes: number;
  durable: boolean; // a client waits for this commit
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface WriteQueue {
  /** Resolves when the record is committed. Throws 503 overloaded when the queue is full. */
  write(record: EncodedRecord): Promise<void>;
  /** Accepts the record for a commit shortly after; failed commits are retried until they succeed or the queue closes. */
  accept(record: EncodedRecord): void;
  depth(): number;
  /** Estimated memory held by queued records. */
  bytes(): number;
  /** Waits until everything accepted so far is committed. */
  drain(): Promise<void>;
}

export interface WriteQueueOptions {
  maxPending: number;
  /** Cap on the estimated memory of queued records; records are refused past it (one is always admitted). */
  maxBytes?: number;
  maxBatch?: number;
  /**
   * Commits that may be in flight at once (default 1; the store says, Store.writeFlights). With two, the next group
   * is handed to the store while the last one commits, so the store is not idle while the event loop answers the
   * last group and reads the next.
   */
  maxFlights?: number;
  log: Logger;
  /** Called after each successful commit, with its record count and duration. */
  onCommit?: (records: number, seconds: number) => void;
}

/**
 * Group commit: creates that arrive while a commit is being prepared share one transaction (and one fsync).
 * Each waiting request is answered only after its batch commits. The queue is bounded in records and in
 * bytes, so a flood is answered 503 overloaded instead of growing memory.
 */
export function createWriteQueue(store: Store, opts: WriteQueueOptions): WriteQueue {
  const maxBatch = opts.maxBatch ?? 1000;
  const maxBytes = opts.maxBytes ?? Infinity;
  const maxFlights = opts.maxFlights ?? 1;
  let pending: Pending[] = [];
  let inFlight = 0; // records
  let flights = 0; // commits
  let bytes = 0;
  let scheduled = false; // a flush is due (next turn of the loop, or after the back-off)
  let retryDelay = 0;
  const idle: (() => void)[] = [];

  function admit(record: EncodedRecord): number {
    const size = record.bytes;
    const depth = pending.length + inFlight;
    if (depth >= opts.maxPending || (depth > 0 && bytes + size > maxBytes)) {
      throw new AppError('overloaded', 'The write queue is full; retry shortly', [], { 'retry-after': '1' });
    }
    bytes += size;
    return size;
  }

  let backoff: NodeJS.Timeout | null = null;

  /**
   * Runs a flush soon. After a failed commit, retries of accepted (202) records back off; a client waiting
   * for a durable write cuts the back-off short, so during an outage it hears 503 at once instead of waiting.
   */
  function schedule(urgent = false): void {
    if (scheduled) {
      if (urgent && backoff) {
        clearTimeout(backoff);
        backoff = null;
        setImmediate(flush);
      }
      return;
    }
    if (flights >= maxFlights) return; // the end of a flight schedules again
    scheduled = true;
    if (retryDelay > 0 && !urgent) {
      backoff = setTimeout(() => {
        backoff = null;
        void flush();
      }, retryDelay);
    } else setImmediate(flush);
  }

  async function flush(): Promise<void> {
    scheduled = false;
    const batch = pending.slice(0, maxBatch);
    if (batch.length === 0) return; // nothing left since it was scheduled
    pending = pending.slice(batch.length);
    inFlight += batch.length;
    flights++;
    const started = performance.now();
    let committed = false;
    try {
      await store.insert(batch.map((p) => p.record));
      committed = true;
      retryDelay = 0;
      for (const p of batch) bytes -= p.bytes;
      opts.log.debug({ batch: batch.length }, 'committed'); // group-commit sizes, read by the benchmark
      for (const p of batch) p.resolve();
    } catch (err) {
      opts.log.error({ err, batch: batch.length }, 'commit failed');
      const retry = batch.filter((p) => !p.durable); // accepted (202) records must not be lost
      for (const p of batch) {
        if (!p.durable) continue;
        bytes -= p.bytes;
        p.reject(new AppError('store_unavailable', 'The store could not commit the record; it was not saved', [], { 'retry-after': '1' }));
      }
      pending = [...retry, ...pending];
      retryDelay = Math.min(Math.max(retryDelay * 2, 50), 5000);
    } finally {
      inFlight -= batch.length;
      flights--;
    }
    if (committed) opts.onCommit?.(batch.length, (performance.now() - started) / 1000); // outside the try: never re-queues a committed batch
    if (pending.length > 0) schedule();
    else if (flights === 0) for (const wake of idle.splice(0)) wake();
  }

  return {
    write(record) {
      const size = admit(record);
      return new Promise<void>((resolve, reject) => {
        pending.push({ record, bytes: size, durable: true, resolve, reject });
        schedule(true);
      });
    },
    accept(record) {
      const size = admit(record);
      pending.push({ record, bytes: size, durable: false, resolve: () => {}, reject: () => {} });
      schedule();
    },
    depth: () => pending.length + inFlight,
    bytes: () => bytes,
    drain() {
      if (pending.length === 0 && flights === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
