import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import { queryTimeout } from '../read-budget.ts';
import type { ReadJob, ReadReply, ReadRequest } from './reader.ts';

/** Run from TypeScript, the thread starts at reader-entry.mjs, which registers tsx first (as the writer's does). */
const ENTRY = new URL(import.meta.url.endsWith('.ts') ? './reader-entry.mjs' : './reader.js', import.meta.url);

/**
 * How long past its deadline a read may go on before its thread is terminated. The thread stops a read itself at
 * its next check (functions.ts): between statements, every 16th row of a scan, and in every function a filter
 * calls; this is for a thread that does not get there in time.
 */
const STOP_GRACE_MS = 500;

export interface ReaderPoolOptions {
  /** Threads at most; one starts at once, the others when a read finds every running one busy. */
  size: number;
  /** Milliseconds a read may take (TALLY_QUERY_TIMEOUT_MS); past it the read answers query_timeout. */
  budgetMs: number;
  log?: Logger;
}

export interface ReaderPool {
  /** Runs a read on an idle reader thread, waiting in arrival order when all are busy. */
  run(job: ReadJob): Promise<ReadReply>;
  /** Takes back a page's buffer once its bytes are sent, for a later list to write its page into. */
  recycle(buffer: ArrayBuffer): void;
  close(): Promise<void>;
}

/**
 * A reader thread's young generation at most. V8 grows it (to 48 MB on Node 20) under a steady stream of short-lived
 * objects, which an export is (every record's row, record and line): that growth was most of an export's RSS over
 * idle. Lists and summaries make far less garbage than this between their scavenges.
 */
const YOUNG_GENERATION_MB = 8;

/** Page buffers kept for reuse at most (a few hundred KB each for pages of 100 records of ~3 KB). */
const SPARE_BUFFERS = 8;

interface Pending {
  job: ReadJob;
  resolve: (reply: ReadReply) => void;
  reject: (err: Error) => void;
}

interface Reader {
  worker: Worker;
  /** Its connection is open (it said 'ready'): a read's budget starts when a thread can work on it. */
  ready: boolean;
  /**
   * The read it runs: the id its answer will carry, who waits for it (null once answered query_timeout while the
   * thread is still stopping it), and the timer of what happens next.
   */
  busy: { id: number; job: ReadJob; started: number; pending: Pending | null; timer: NodeJS.Timeout } | null;
}

/**
 * The reader threads (reader.ts) on a SQLite file that is already created and migrated. A read still running at
 * its deadline is answered query_timeout then; its thread stops it at its next check, answers, and takes the next
 * read. A thread that has not answered STOP_GRACE_MS later (a long stretch of work in C) is terminated, which
 * takes effect as soon as it runs JavaScript again, and a new thread takes its place when a read needs one.
 */
export function startReaders(file: string, opts: ReaderPoolOptions): ReaderPool {
  const readers: Reader[] = [];
  const waiting: Pending[] = [];
  const spares: ArrayBuffer[] = [];
  let nextId = 0;
  let closed = false;

  /** The thread is done with its read: whoever still waits for it, if anyone. */
  const free = (reader: Reader): Pending | null => {
    const busy = reader.busy!;
    clearTimeout(busy.timer);
    reader.busy = null;
    reader.worker.unref(); // an idle reader does not keep the process alive
    return busy.pending;
  };

  const drop = (reader: Reader) => {
    const at = readers.indexOf(reader);
    if (at >= 0) readers.splice(at, 1);
  };

  const spawn = (): Reader => {
    const reader: Reader = {
      worker: new Worker(ENTRY, { workerData: { file }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } }),
      ready: false,
      busy: null,
    };
    reader.worker.on('message', (reply: ReadReply | 'ready') => {
      if (reply === 'ready') {
        reader.ready = true;
        dispatch();
        if (reader.busy === null) reader.worker.unref();
        return;
      }
      if (reader.busy?.id !== reply.id) return; // never: one read at a time, and a terminated thread is dropped
      const { started, job } = reader.busy;
      const pending = free(reader);
      if (reply.timeout || pending === null) {
        // Stopped at a check, or (answered query_timeout already) finished before reaching one.
        const stoppedAfterMs = Math.round(performance.now() - started);
        opts.log?.info(
          { org: job.orgId, kind: job.kind, budgetMs: opts.budgetMs, stoppedAfterMs },
          'a read ran out of its time budget; its reader thread stopped it',
        );
      }
      if (reply.timeout) pending?.reject(queryTimeout(opts.budgetMs));
      else if (reply.refused !== undefined) pending?.reject(new AppError(reply.refused.code, reply.refused.message, reply.refused.details));
      else if (reply.error !== undefined) pending?.reject(new Error(`SQLite read: ${reply.error}`));
      else pending?.resolve(reply);
      dispatch();
    });
    const gone = (err: Error) => {
      drop(reader);
      if (reader.busy) free(reader)?.reject(err);
      // A thread that could not even start (its file gone?) would fail again: the waiting reads fail with it.
      if (!reader.ready) for (const p of waiting.splice(0)) p.reject(err);
      dispatch();
    };
    reader.worker.on('error', gone);
    reader.worker.on('exit', (code) => gone(new Error(`a SQLite reader thread exited (${code})`)));
    readers.push(reader); // kept alive while it starts; unref'd once idle (above)
    return reader;
  };

  /** Past the deadline: answer query_timeout now, and give the thread STOP_GRACE_MS to stop the read itself. */
  const overdue = (reader: Reader, id: number) => {
    const busy = reader.busy!;
    busy.pending?.reject(queryTimeout(opts.budgetMs));
    busy.pending = null;
    busy.timer = setTimeout(() => {
      if (reader.busy?.id !== id) return;
      opts.log?.warn(
        { org: busy.job.orgId, kind: busy.job.kind, budgetMs: opts.budgetMs },
        'a read went on past its time budget; its reader thread is terminated',
      );
      drop(reader);
      free(reader);
      void reader.worker.terminate();
      dispatch();
    }, STOP_GRACE_MS);
    busy.timer.unref();
  };

  const start = (reader: Reader, pending: Pending) => {
    const id = nextId++;
    const timer = setTimeout(() => reader.busy?.id === id && overdue(reader, id), opts.budgetMs);
    timer.unref();
    reader.busy = { id, job: pending.job, started: performance.now(), pending, timer };
    reader.worker.ref(); // a read in progress keeps the process alive
    const spare = pending.job.kind === 'list' ? spares.pop() : undefined;
    reader.worker.postMessage(
      { id, deadline: Date.now() + opts.budgetMs, job: pending.job, spare } satisfies ReadRequest,
      spare ? [spare] : [],
    );
  };

  const dispatch = () => {
    if (closed) return;
    while (waiting.length > 0) {
      // The first idle thread: under a light load the same one serves every read, with its page cache warm.
      const reader = readers.find((r) => r.ready && r.busy === null);
      if (!reader) break;
      start(reader, waiting.shift()!);
    }
    // Threads still starting will take reads as they come up; start more while reads outnumber them.
    const starting = readers.filter((r) => !r.ready).length;
    for (let n = starting; n < waiting.length && readers.length < opts.size; n++) spawn();
  };

  spawn(); // at start, so that the first read does not wait for a thread to start
  return {
    recycle(buffer) {
      if (!closed && spares.length < SPARE_BUFFERS && buffer.byteLength > 0) spares.push(buffer);
    },
    run(job) {
      if (closed) return Promise.reject(new Error('the SQLite store is closed'));
      return new Promise<ReadReply>((resolve, reject) => {
        waiting.push({ job, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const p of waiting.splice(0)) p.reject(new Error('the SQLite store is closed'));
      await Promise.all(
        readers.splice(0).map(async (reader) => {
          const exited = new Promise((resolve) => reader.worker.once('exit', resolve));
          if (reader.busy) free(reader)?.reject(new Error('the SQLite store is closed'));
          reader.worker.ref();
          reader.worker.postMessage('close');
          // A thread deep in a statement reads its messages only after it; terminate rather than wait for it.
          const stop = setTimeout(() => void reader.worker.terminate(), STOP_GRACE_MS);
          await exited;
          clearTimeout(stop);
        }),
      );
    },
  };
}
