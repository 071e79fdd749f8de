import { parentPort, workerData } from 'node:worker_threads';
import { runSummary } from '../sql/summary.ts';
import type { SummaryData, SummaryQuery } from '../summary-types.ts';
import type { ListQuery } from '../types.ts';
import type { MemoEntry } from './count-memo.ts';
import { sqliteDialect } from './dialect.ts';
import { BudgetSpent, checkDeadline, type ReadDeadline } from './functions.ts';
import { createListReader, type ListAnswer } from './list-read.ts';
import { openSqliteReader } from './open.ts';
import { statementCache } from './statement-cache.ts';

/**
 * A reader thread: runs lists and summaries on its own connection, one at a time, so that no scan holds the event
 * loop that serves requests, and so that a read can be stopped (reader-pool.ts). Each read carries its deadline:
 * the SQL functions throw once it has passed (functions.ts), which ends the statement, and the thread answers
 * `timeout`.
 */
export type ReadJob =
  | { kind: 'list'; orgId: string; query: ListQuery; known: MemoEntry | null }
  | { kind: 'summary'; orgId: string; query: SummaryQuery };

export interface ReadRequest {
  id: number;
  /** Epoch milliseconds. */
  deadline: number;
  job: ReadJob;
}

export interface ReadReply {
  id: number;
  list?: ListAnswer;
  summary?: SummaryData;
  timeout?: true;
  error?: string;
}

const deadline: ReadDeadline = { at: Infinity };
const db = openSqliteReader((workerData as { file: string }).file, deadline);
const check = () => checkDeadline(deadline);
const list = createListReader(db, check);
const prepare = statementCache(db);

/** The summary's three statements in one read transaction: its totals, buckets and percentiles see one snapshot. */
async function summary(orgId: string, q: SummaryQuery): Promise<SummaryData> {
  db.exec('BEGIN');
  try {
    // @org: see dialect.ts
    return await runSummary(
      sqliteDialect,
      async (sql, params) => {
        check();
        return prepare(sql).all(...params, { org: orgId }) as Record<string, unknown>[];
      },
      orgId,
      q,
    );
  } finally {
    if (db.inTransaction) db.exec('COMMIT'); // read only: nothing to keep or undo
  }
}

async function answer(msg: ReadRequest): Promise<ReadReply> {
  deadline.at = msg.deadline;
  try {
    const { job } = msg;
    if (job.kind === 'list') return { id: msg.id, list: list(job.orgId, job.query, job.known) };
    return { id: msg.id, summary: await summary(job.orgId, job.query) };
  } catch (err) {
    if (err instanceof BudgetSpent) return { id: msg.id, timeout: true };
    return { id: msg.id, error: err instanceof Error ? err.message : String(err) };
  } finally {
    deadline.at = Infinity;
  }
}

parentPort!.on('message', (msg: ReadRequest | 'close') => {
  if (msg === 'close') {
    db.close();
    process.exit(0);
  }
  void answer(msg).then((reply) => {
    const page = reply.list?.result.json;
    parentPort!.postMessage(reply, page ? [page.buffer as ArrayBuffer] : []); // the page's bytes move, not copied
  });
});
parentPort!.postMessage('ready');
