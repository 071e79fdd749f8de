import { Worker } from 'node:worker_threads';
import type { FoldOptions } from './rollup-fold.ts';
import type { DeadLetterRow } from '../dead-letter.ts';
import type { EncodedRecord } from '../encoded-record.ts';
import { writeError } from './errors.ts';
import type { KeyWrite } from './key-writes.ts';
import type { JoinOutcome } from '../span-events.ts';
import type { JoinRequest } from './span-events.ts';
import type { EraseRequest } from './erase.ts';
import type { ExpireOutcome, ExpireRequest } from './expiry.ts';
import type { OrgWrite } from './org-writes.ts';
import type { RebuildRequest } from './rollups.ts';
import type { InsertStream, InsertStreamBounds } from '../types.ts';
import type { ChoreRequest, ClosedEarly, WriteReply, WriteRequest } from './writer.ts';

export interface WriterClient {
  /**
   * Resolves once the records are committed (durably, in one transaction) by the writer thread. The iterable is
   * consumed at once, synchronously; every CHUNK records are posted as they come, so the thread inserts them while
   * the rest are still being produced (a lazy iterable that encodes as it goes overlaps the two). Rejects, with
   * nothing stored, when the insert fails (store_unavailable when worth a retry, errors.ts) or the iterable throws.
   * Resolves with how many records were inserted (Store.insert).
   */
  insert(records: Iterable<EncodedRecord>): Promise<number>;
  /** Store.openInsert: records added over time, in transactions that stay open while they come. */
  openInsert(bounds: InsertStreamBounds): InsertStream;
  /** Stores the rows in dead_letters, in one transaction. */
  deadLetter(rows: DeadLetterRow[]): Promise<void>;
  /** Deletes up to `limit` Idempotency-Key rows created before `before` (ms); resolves with how many. */
  purgeIdempotencyKeys(before: number, limit: number): Promise<number>;
  /** Creates, revokes or marks used an API key (key-writes.ts); resolves with the rows it changed. */
  writeKey(write: KeyWrite): Promise<number>;
  /** Holds GenAI events and joins them to their spans' records, in one transaction (span-events.ts). */
  joinSpanEvents(request: JoinRequest): Promise<JoinOutcome>;
  /** Deletes records and what is kept beside them in one transaction (erase.ts); resolves with how many. */
  erase(request: EraseRequest): Promise<number>;
  /**
   * Deletes up to `limit` of an org's records older than `before`, the oldest first, in slices that ride the group
   * commits (expiry.ts); resolves once they are gone, or none older is left.
   */
  expire(request: ExpireRequest): Promise<ExpireOutcome>;
  /** Sets an org's retention or appends an audit entry (org-writes.ts). */
  writeOrg(write: OrgWrite): Promise<number>;
  /** Rebuilds a range of an org's rollups in one transaction (rollups.ts); resolves with the records read. */
  rebuildRollups(request: RebuildRequest): Promise<number>;
  close(): Promise<void>;
}

/**
 * Run from TypeScript (tsx: tests, the bench's A/B of checkouts), the thread starts at writer-entry.mjs, which
 * registers tsx first; compiled (`npm start` runs dist/), straight at the compiled writer.
 */
const WRITER_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './writer-entry.mjs' : './writer.js', import.meta.url);

/** Records per message to the writer thread: small enough that it starts early, large enough to cost nothing. */
export const CHUNK = 100;

/**
 * The writer thread's young generation at most. Under a steady stream of inserts (each message's rows are garbage
 * once written) V8 grows it to 48 MB on Node 20, where it then sits: the thread's heap was ~47 MB at the batch
 * scenario's peak with ~7 MB live after a full collection; ~31 MB with this cap, with no change in the batch or
 * single-create rate beyond run-to-run noise (docs/performance.md). reader-pool.ts caps its threads the same way.
 */
export const WRITER_YOUNG_GENERATION_MB = 16;

/** Starts the writer thread on the SQLite file (already created and migrated) and talks to it by message. */
export function startWriter(file: string, fold?: FoldOptions): WriterClient {
  const waiting = new Map<number, { resolve: (reply: WriteReply) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let worker: Worker | null = null;

  const failAll = (err: Error) => {
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
  };
  const spawn = (): Worker => {
    const w = new Worker(WRITER_ENTRY, {
      workerData: { file, fold },
      resourceLimits: { maxYoungGenerationSizeMb: WRITER_YOUNG_GENERATION_MB },
    });
    w.on('message', (reply: WriteReply) => {
      const entry = waiting.get(reply.id);
      waiting.delete(reply.id);
      // Once close() has begun (worker is no longer w), the thread stays referenced until it exits: a reply to a
      // chore posted just before close (a key's last_used) must not let the event loop end while close() waits.
      if (waiting.size === 0 && worker === w) w.unref();
      if (reply.error === undefined) entry?.resolve(reply);
      else entry?.reject(writeError(reply.error, reply.code));
    });
    w.on('error', (err) =>
      failAll(writeError(`the SQLite writer thread failed: ${err.message ?? (err as { code?: string }).code}`, 'TALLY_WRITER_EXITED')),
    );
    w.on('exit', (code) => {
      if (worker === w) worker = null; // an unexpected exit: the next insert starts a new writer
      failAll(writeError(`the SQLite writer thread exited (${code})`, 'TALLY_WRITER_EXITED'));
    });
    w.unref(); // an idle writer does not keep the process alive; a pending insert does (ref below)
    return w;
  };

  /** Posts a chore (anything but an insert of records) and resolves with its reply. */
  const chore = (request: Omit<ChoreRequest, 'id'>): Promise<WriteReply> => {
    worker ??= spawn();
    const w = worker;
    const id = nextId++;
    const done = new Promise<WriteReply>((resolve, reject) => waiting.set(id, { resolve, reject }));
    w.ref();
    w.postMessage({ id, ...request } as ChoreRequest);
    return done;
  };

  /**
   * An insert whose records come over time (Store.openInsert): each transaction is a chunked insert (writer.ts) whose
   * chunks are posted as they are added, ended by end() or once it holds bounds.records records (the next records
   * open another). The thread commits a transaction on its own once it has been open bounds.ms: the records it did
   * not take are added again (to a new transaction). A transaction that fails is answered at once: its records, and
   * every record added after, are returned by end() as not committed.
   */
  const openStream = (w: Worker, bounds: InsertStreamBounds): InsertStream => {
    interface Tx {
      id: number;
      records: EncodedRecord[];
      /** Its last message was posted (last or abort): the thread expects nothing more of it. */
      ended: boolean;
      settled: Promise<void>;
    }
    let tx: Tx | null = null; // the transaction records are added to
    const pending = new Set<Tx>(); // transactions not answered yet
    let inserted = 0;
    let failed: { records: EncodedRecord[]; error: unknown } | null = null;
    let aborted = false;

    const post = (t: Tx, part: WriteRequest['part'], records: readonly EncodedRecord[]) => {
      w.ref(); // a pending insert keeps the process alive; the last answer unrefs (spawn)
      const rows = records.map(({ values, metadata, idempotency }) =>
        idempotency ? { values, metadata, idempotency } : { values, metadata },
      );
      w.postMessage({ id: t.id, part, records: rows, ...(part === 'first' ? { openMs: bounds.ms } : {}) } satisfies WriteRequest);
      if (part === 'last' || part === 'abort') t.ended = true;
    };
    const fail = (records: EncodedRecord[], error: unknown) => {
      failed ??= { records: [], error };
      failed.records.push(...records);
    };
    const begin = (): Tx => {
      const id = nextId++;
      const t: Tx = { id, records: [], ended: false, settled: Promise.resolve() };
      t.settled = new Promise<WriteReply>((resolve, reject) => waiting.set(id, { resolve, reject })).then(
        (answer) => {
          pending.delete(t);
          inserted += answer.changes ?? 0;
          const early = answer.result as ClosedEarly | undefined;
          if (early === undefined) return;
          // Committed by its time bound: the thread drops what comes after; the records it did not take go again.
          if (tx === t) tx = null;
          if (!t.ended) post(t, 'abort', []); // tells the thread that nothing more of it comes
          const left = t.records.slice(early.taken);
          t.records = [];
          if (left.length > 0) add(left);
        },
        (err: unknown) => {
          pending.delete(t);
          if (tx === t) tx = null;
          if (!t.ended) post(t, 'abort', []);
          fail(t.records, err);
          t.records = [];
        },
      );
      pending.add(t);
      return t;
    };
    const add = (records: readonly EncodedRecord[]) => {
      if (records.length === 0 || aborted) return;
      if (failed !== null) {
        failed.records.push(...records); // after a failure nothing more goes in a transaction: the caller retries them
        return;
      }
      tx ??= begin();
      post(tx, tx.records.length === 0 ? 'first' : 'more', records);
      tx.records.push(...records);
      if (tx.records.length >= bounds.records) {
        post(tx, 'last', []);
        tx = null;
      }
    };
    return {
      add,
      async end() {
        // Each round ends the open transaction and waits for every answer; records a time bound left go again in
        // the next round. Each round commits at least one record or fails them all, so the rounds are bounded.
        for (;;) {
          if (tx !== null) {
            post(tx, 'last', []);
            tx = null;
          }
          if (pending.size === 0) break;
          await Promise.all([...pending].map((t) => t.settled));
        }
        return { inserted, failed: failed?.records ?? [], error: failed?.error ?? null };
      },
      abort() {
        aborted = true;
        if (tx !== null) post(tx, 'abort', []); // rolled back; its answer (an error) is taken by its handler
        tx = null;
      },
    };
  };

  worker = spawn(); // at start, so the first create does not pay for the thread's start-up
  return {
    insert(records) {
      worker ??= spawn();
      const w = worker;
      const id = nextId++;
      const done = new Promise<number>((resolve, reject) => waiting.set(id, { resolve: (reply) => resolve(reply.changes ?? 0), reject }));
      const post = (part: WriteRequest['part'], rows: WriteRequest['records']) => {
        w.ref(); // a pending insert keeps the process alive; the last answer unrefs (spawn)
        w.postMessage({ id, part, records: rows } satisfies WriteRequest);
      };
      let chunk: WriteRequest['records'] = [];
      let posted = 0;
      try {
        for (const { values, metadata, idempotency } of records) {
          chunk.push(idempotency ? { values, metadata, idempotency } : { values, metadata }); // not bytes
          if (chunk.length === CHUNK) {
            post(posted++ === 0 ? 'first' : 'more', chunk);
            chunk = [];
          }
        }
      } catch (err) {
        waiting.delete(id);
        if (posted > 0) post('abort', []); // the thread rolls back; its answer finds no one waiting
        return Promise.reject(err);
      }
      if (posted === 0 && chunk.length === 0) {
        waiting.delete(id);
        return Promise.resolve(0);
      }
      post(posted === 0 ? 'whole' : 'last', chunk);
      return done;
    },
    openInsert(bounds) {
      worker ??= spawn();
      return openStream(worker, bounds);
    },
    async deadLetter(rows) {
      await chore({ deadLetters: rows });
    },
    purgeIdempotencyKeys: async (before, limit) => (await chore({ purgeIdempotencyKeys: { before, limit } })).changes ?? 0,
    writeKey: async (write) => (await chore({ key: write })).changes ?? 0,
    joinSpanEvents: async (request) => (await chore({ joinSpanEvents: request })).result as JoinOutcome,
    erase: async (request) => (await chore({ erase: request })).changes ?? 0,
    expire: async (request) => (await chore({ expire: request })).result as ExpireOutcome,
    writeOrg: async (write) => (await chore({ org: write })).changes ?? 0,
    rebuildRollups: async (request) => (await chore({ rebuildRollups: request })).changes ?? 0,
    async close() {
      const w = worker;
      worker = null;
      if (!w) return;
      const exited = new Promise((resolve) => w.once('exit', resolve));
      w.ref();
      w.postMessage('close');
      await exited;
    },
  };
}
