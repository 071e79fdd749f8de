import type { Logger } from 'pino';
import { AppError, isStoreUnavailable } from '../errors.ts';
import { idOf, orgOf, type EncodedRecord } from './encoded-record.ts';
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
  /**
   * Accepts the record for a commit shortly after. Commits that fail for want of the store are retried until they
   * succeed or the queue closes; a record the store refuses for itself is set aside (Store.deadLetter). The promise
   * resolves once the record is committed and rejects once it is set aside; nobody needs to wait on it.
   */
  accept(record: EncodedRecord): Promise<void>;
  depth(): number;
  /** Estimated memory held by queued records. */
  bytes(): number;
  /** Waits until everything accepted so far is committed. */
  drain(): Promise<void>;
  /**
   * False while commits fail because the store is unavailable: records wait for a retry, or the last commit failed
   * less than UNHEALTHY_FOR_MS ago. Past that, true again with nothing waiting, even with no write since: a
   * readiness probe that stops traffic must not keep itself failing for want of a write showing the store is back.
   */
  healthy(): boolean;
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
  /**
   * Called after each successful commit, with its record count, its duration, and how many of its records the store
   * inserted (fewer when it held some already: an OTLP span sent again).
   */
  onCommit?: (records: number, seconds: number, inserted: number) => void;
  /** Called for accepted records the store refused: set aside in dead_letters, or dropped when even that failed. */
  onDeadLetter?: (outcome: 'stored' | 'dropped', records: number) => void;
}

/**
 * Accepted (202) records may fill this share of the queue's caps; the rest is kept for durable creates, so a flood
 * of accepted records (or their retries during an outage) never leaves a waiting client without a place.
 */
const ACCEPTED_SHARE = 0.9;

/** How long after a commit failed for want of the store the queue still reports itself unhealthy. */
const UNHEALTHY_FOR_MS = 10_000;

/**
 * Group commit: creates that arrive while a commit is being prepared share one transaction (and one fsync).
 * Each waiting request is answered only after its batch commits. The queue is bounded in records and in
 * bytes, so a flood is answered 503 overloaded instead of growing memory.
 *
 * Durable creates go first: each commit takes the waiting durable creates before any accepted record, so an
 * accepted backlog (a flood, or retries during an outage) never keeps a client from its answer. A commit the
 * store refuses for a reason other than being unavailable is split in halves and retried until the records it
 * refuses stand alone: those are refused (durable: 422 unstorable_record) or set aside (accepted: Store.deadLetter),
 * and every other record of the group is committed. So one record that can never be written costs no other.
 */
export function createWriteQueue(store: Store, opts: WriteQueueOptions): WriteQueue {
  const maxBatch = opts.maxBatch ?? 1000;
  const maxBytes = opts.maxBytes ?? Infinity;
  const maxFlights = opts.maxFlights ?? 1;
  let durableLane: Pending[] = [];
  let acceptedLane: Pending[] = [];
  let inFlight = 0; // records
  let flights = 0; // commits
  let bytes = 0;
  let scheduled = false; // a flush is due (next turn of the loop, or after the back-off)
  let retryDelay = 0;
  let unavailableAt: number | null = null; // when a commit last failed for want of the store; null once one succeeds
  const idle: (() => void)[] = [];

  const waiting = () => durableLane.length + acceptedLane.length;

  function admit(record: EncodedRecord, durable: boolean): number {
    const size = record.bytes;
    const depth = waiting() + inFlight;
    const share = durable ? 1 : ACCEPTED_SHARE;
    if (depth >= Math.max(1, Math.floor(opts.maxPending * share)) || (depth > 0 && bytes + size > maxBytes * share)) {
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

  /** The next group: durable creates first, then accepted records up to the batch size. */
  function take(): Pending[] {
    const batch = durableLane.slice(0, maxBatch);
    durableLane = durableLane.slice(batch.length);
    const room = maxBatch - batch.length;
    if (room > 0 && acceptedLane.length > 0) {
      batch.push(...acceptedLane.slice(0, room));
      acceptedLane = acceptedLane.slice(room);
    }
    return batch;
  }

  /** The outcome of one flight, gathered while its group (or its halves) commit. */
  interface Outcome {
    unavailable: Pending[];
    refused: { pending: Pending; reason: string }[];
  }

  /**
   * Commits the group, or, when the store refuses it for a reason of its own, each half of it in turn, down to
   * single records. Once the store is found unavailable, the rest of the group is not tried.
   */
  async function commit(group: Pending[], outcome: Outcome): Promise<void> {
    if (outcome.unavailable.length > 0) {
      outcome.unavailable.push(...group);
      return;
    }
    const started = performance.now();
    let inserted: number;
    try {
      inserted = await store.insert(group.map((p) => p.record));
    } catch (err) {
      if (isStoreUnavailable(err)) {
        opts.log.error({ err, batch: group.length }, 'commit failed: the store is unavailable');
        outcome.unavailable.push(...group);
      } else if (group.length === 1) {
        const reason = err instanceof Error ? err.message : String(err);
        opts.log.error(
          { err, org: orgOf(group[0].record), id: idOf(group[0].record), durable: group[0].durable },
          'the store refused a record',
        );
        outcome.refused.push({ pending: group[0], reason });
      } else {
        const half = Math.ceil(group.length / 2);
        await commit(group.slice(0, half), outcome);
        await commit(group.slice(half), outcome);
      }
      return;
    }
    for (const p of group) bytes -= p.bytes;
    opts.log.debug({ batch: group.length }, 'committed'); // group-commit sizes, read by the benchmark
    for (const p of group) p.resolve();
    try {
      opts.onCommit?.(group.length, (performance.now() - started) / 1000, inserted);
    } catch (err) {
      opts.log.error({ err }, 'onCommit failed'); // never turns a committed group into a failed one
    }
  }

  /** Accepted records the store refused go to its dead letters; if even that fails they are logged and dropped. */
  async function setAside(refused: Outcome['refused']): Promise<void> {
    const accepted = refused.filter((r) => !r.pending.durable);
    if (accepted.length === 0) return;
    try {
      await store.deadLetter(accepted.map((r) => ({ record: r.pending.record, reason: r.reason })));
      opts.onDeadLetter?.('stored', accepted.length);
    } catch (err) {
      opts.log.error(
        { err, ids: accepted.map((r) => idOf(r.pending.record)) },
        'dead letters could not be stored; the records are dropped',
      );
      opts.onDeadLetter?.('dropped', accepted.length);
    }
  }

  async function flush(): Promise<void> {
    scheduled = false;
    const batch = take();
    if (batch.length === 0) return; // nothing left since it was scheduled
    inFlight += batch.length;
    flights++;
    const outcome: Outcome = { unavailable: [], refused: [] };
    try {
      await commit(batch, outcome);
      await setAside(outcome.refused);
      for (const { pending, reason } of outcome.refused) {
        bytes -= pending.bytes;
        pending.reject(new AppError('unstorable_record', `The store refused this record; nothing was saved (${reason.slice(0, 200)})`));
      }
      const retry: Pending[] = [];
      for (const p of outcome.unavailable) {
        if (!p.durable) {
          retry.push(p); // accepted (202) records must not be lost
          continue;
        }
        bytes -= p.bytes;
        p.reject(new AppError('store_unavailable', 'The store could not commit the record; it was not saved', [], { 'retry-after': '1' }));
      }
      acceptedLane = [...retry, ...acceptedLane];
      retryDelay = outcome.unavailable.length > 0 ? Math.min(Math.max(retryDelay * 2, 50), 5000) : 0;
      unavailableAt = outcome.unavailable.length > 0 ? performance.now() : null;
    } finally {
      inFlight -= batch.length;
      flights--;
    }
    if (waiting() > 0) schedule(durableLane.length > 0);
    else if (flights === 0) for (const wake of idle.splice(0)) wake();
  }

  return {
    write(record) {
      const size = admit(record, true);
      return new Promise<void>((resolve, reject) => {
        durableLane.push({ record, bytes: size, durable: true, resolve, reject });
        schedule(true);
      });
    },
    accept(record) {
      const size = admit(record, false);
      const settled = new Promise<void>((resolve, reject) => acceptedLane.push({ record, bytes: size, durable: false, resolve, reject }));
      settled.catch(() => {}); // set aside: counted and logged by the queue, not an error of the caller's
      schedule();
      return settled;
    },
    depth: () => waiting() + inFlight,
    bytes: () => bytes,
    drain() {
      if (waiting() === 0 && flights === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
    healthy: () => unavailableAt === null || (waiting() === 0 && flights === 0 && performance.now() - unavailableAt > UNHEALTHY_FOR_MS),
  };
}
