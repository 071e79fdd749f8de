import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { AppError } from '../../errors.ts';
import { queryTimeout } from '../read-budget.ts';
import type { ListQuery, ListResult } from '../types.ts';
import type { ExportReply, ExportRequest, ExportThreadData } from './export-reader.ts';

/** Run from TypeScript, the thread starts at export-reader-entry.mjs, which registers tsx first (as SQLite's readers do). */
const ENTRY = new URL(import.meta.url.endsWith('.ts') ? './export-reader-entry.mjs' : './export-reader.js', import.meta.url);

/**
 * The thread's heap at most. An export page's rows and lines are short-lived; on the event loop (young generation
 * 32 MB, old space let grow to ~4x its live size) their promoted share took the old space 20 -> 80 MB; in a heap
 * this small V8 collects them sooner (docs/lifecycle.md). The old space has room for the thread's own ~10 MB, a
 * page's text (PAGE_TEXT_BYTES) and the largest record's row, record and line (as UTF-16, twice over): a page of
 * records past it would end the thread.
 */
const YOUNG_GENERATION_MB = 4;
const OLD_GENERATION_BASE_MB = 24;
const oldGenerationMb = (largestRecordBytes: number) => OLD_GENERATION_BASE_MB + Math.ceil((6 * largestRecordBytes) / (1024 * 1024));

/**
 * How long past the read budget a page may go unanswered before the thread is terminated. The thread answers
 * query_timeout itself at the budget, or 500 ms past it (read.ts); this is for a thread that no longer answers.
 */
const STUCK_AFTER_BUDGET_MS = 2_000;

export interface ExportThreadOptions {
  /** TALLY_DATABASE_URL: the thread opens its own connection (one, counted in TALLY_PG_POOL_SIZE's read half). */
  url: string;
  /** Milliseconds a page's read may take (TALLY_QUERY_TIMEOUT_MS). */
  budgetMs: number;
  /** The largest a record can be (TALLY_BODY_LIMIT_BYTES), which sizes the thread's heap. */
  largestRecordBytes: number;
  log: Logger;
}

export interface ExportThread {
  /** One export page (query.text), read and made into its text on the thread: a list's answer with `page`. */
  page(orgId: string, query: ListQuery): Promise<ListResult>;
  /** The running thread, if one is: for tests, which end it as a crash would. */
  readonly worker: Worker | null;
  close(): Promise<void>;
}

interface Pending {
  request: ExportRequest;
  resolve: (result: ListResult) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

interface Thread {
  worker: Worker;
  ready: boolean;
}

/**
 * PostgreSQL's export reads, on a worker thread of their own (export-reader.ts), started with the store. Pages are
 * asked for one at a time by each export (records/export.ts pulls the next only when the socket has taken the last),
 * and the store's export lane admits one page at a time over all exports (fair-reads.ts), so what is in flight is
 * bounded. A thread that dies (or stops answering) fails the pages it had; the next page starts a new thread.
 */
export function startExportThread(opts: ExportThreadOptions): ExportThread {
  const pending = new Map<number, Pending>();
  let thread: Thread | null = null;
  let nextId = 0;
  let closed = false;
  const resourceLimits = {
    maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
    maxOldGenerationSizeMb: oldGenerationMb(opts.largestRecordBytes),
  };

  const fail = (p: Pending, err: Error) => {
    if (p.timer) clearTimeout(p.timer);
    pending.delete(p.request.id);
    p.reject(err);
  };

  const send = (t: Thread, p: Pending) => {
    t.worker.postMessage(p.request);
    p.timer = setTimeout(() => {
      if (!pending.has(p.request.id) || thread !== t) return;
      opts.log.warn(
        { org: p.request.orgId, budgetMs: opts.budgetMs },
        'the export thread did not answer past the read budget; it is terminated',
      );
      fail(p, queryTimeout(opts.budgetMs));
      void t.worker.terminate();
    }, opts.budgetMs + STUCK_AFTER_BUDGET_MS);
    p.timer.unref();
  };

  const spawn = (): Thread => {
    const data: ExportThreadData = { url: opts.url, budgetMs: opts.budgetMs };
    const t: Thread = { worker: new Worker(ENTRY, { workerData: data, resourceLimits }), ready: false };
    t.worker.unref(); // an idle thread does not keep the process alive
    t.worker.on('message', (reply: ExportReply | 'ready') => {
      if (reply === 'ready') {
        t.ready = true;
        for (const p of pending.values()) if (p.timer === null) send(t, p);
        return;
      }
      const p = pending.get(reply.id);
      if (!p) return; // answered already (the thread was stuck, then came back)
      clearTimeout(p.timer!);
      pending.delete(reply.id);
      if (pending.size === 0) t.worker.unref();
      if (reply.refused) p.reject(new AppError(reply.refused.code, reply.refused.message, reply.refused.details));
      else if (reply.error) p.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else p.resolve(pageResult(reply.page!));
    });
    const gone = (err: Error) => {
      if (thread !== t) return;
      thread = null;
      if (!closed) opts.log.warn({ err }, 'the PostgreSQL export thread ended; the next export page starts another');
      for (const p of [...pending.values()]) fail(p, err);
    };
    t.worker.on('error', gone);
    t.worker.on('exit', (code) => gone(new Error(`the PostgreSQL export thread exited (${code})`)));
    return t;
  };

  thread = spawn(); // with the store: the first export does not wait for a thread (~50 MB) to start

  return {
    page(orgId, query) {
      if (closed) return Promise.reject(new Error('the PostgreSQL store is closed'));
      return new Promise<ListResult>((resolve, reject) => {
        const p: Pending = { request: { id: nextId++, orgId, query }, resolve, reject, timer: null };
        pending.set(p.request.id, p);
        thread ??= spawn();
        thread.worker.ref(); // a page in progress keeps the process alive
        if (thread.ready) send(thread, p); // else sent when it says it is
      });
    },
    get worker() {
      return thread?.worker ?? null;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const p of [...pending.values()]) fail(p, new Error('the PostgreSQL store is closed'));
      const t = thread;
      if (!t) return;
      const exited = new Promise((resolve) => t.worker.once('exit', resolve));
      t.worker.ref();
      // Ends its pool, then exits; one still starting has no connection yet, nothing to end (a CLI need not wait).
      if (t.ready) t.worker.postMessage('close');
      else void t.worker.terminate();
      const stop = setTimeout(() => void t.worker.terminate(), STUCK_AFTER_BUDGET_MS);
      await exited;
      clearTimeout(stop);
    },
  };
}

function pageResult(page: NonNullable<ExportReply['page']>): ListResult {
  return {
    count: page.count,
    records: [],
    more: page.more,
    step: page.step,
    ...(page.exported && page.end > 0
      ? { exported: page.exported, page: { bytes: new Uint8Array(page.buffer), start: 0, end: page.end, release: () => {} } }
      : {}),
  };
}
