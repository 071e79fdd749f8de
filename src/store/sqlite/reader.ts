import type Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../errors.ts';
import { runAnalytics } from '../sql/analytics.ts';
import { runSummary, type RunSql } from '../sql/summary.ts';
import type { AnalyticsData, AnalyticsQuery, AnalyticsRow, RollupRead } from '../analytics-types.ts';
import { bytesSketch } from '../rollup/sketch.ts';
import type { RollupSource } from '../rollup/tables.ts';
import { TAIL_OVER_SQL, TAIL_READ_SQL, TAIL_RECORDS_MAX, tailTimesSql } from './tail-sql.ts';
import { answerRollupRows, ROLLUPS_STATE_SQL, rollupReadSql, rollupsReadyFor } from '../sql/rollups.ts';
import { registerAnalyticsFunctions, sqliteAnalyticsDialect, type BucketState } from './analytics.ts';
import type { SummaryData, SummaryQuery, TimeRangeFilter } from '../summary-types.ts';
import { filteredTimeRange } from '../sql/time-range.ts';
import type { ListQuery } from '../types.ts';
import type { MemoEntry } from './count-memo.ts';
import { sqliteDialect } from './dialect.ts';
import { BudgetSpent, checkDeadline, type ReadDeadline } from './functions.ts';
import { createListReader, type ListAnswer } from './list-read.ts';
import { EXPORT_CACHE_KIB, openSqliteReader } from './open.ts';
import { statementCache } from './statement-cache.ts';
import type { SeqSnapshot } from './erase.ts';

/**
 * A reader thread: runs lists and summaries on its own connection, one at a time, so that no scan holds the event
 * loop that serves requests, and so that a read can be stopped (reader-pool.ts). Each read carries its deadline:
 * the SQL functions throw once it has passed (functions.ts), which ends the statement, and the thread answers
 * `timeout`.
 */
export type ReadJob =
  | { kind: 'list'; orgId: string; query: ListQuery; known: MemoEntry | null }
  | { kind: 'summary'; orgId: string; query: SummaryQuery }
  | { kind: 'analytics'; orgId: string; query: AnalyticsQuery }
  | { kind: 'rollups'; orgId: string; read: RollupRead; query: AnalyticsQuery }
  | { kind: 'timeRange'; orgId: string; since: number | null; filter: TimeRangeFilter }
  /** The seqs of the records a SELECT of seq finds, and the snapshot's highest seq and records_changes (erase.ts). */
  | { kind: 'seqs'; orgId: string; sql: string; params: unknown[] };

export interface ReadRequest {
  id: number;
  /** Epoch milliseconds. */
  deadline: number;
  job: ReadJob;
  /** A buffer an earlier page was sent from, to write this list's page into if it is large enough. */
  spare?: ArrayBuffer;
}

/** A list page's bytes (see WirePage in types.ts), written into `buffer` after PAGE_HEADROOM free bytes. */
export interface PageBytes {
  buffer: ArrayBuffer;
  start: number;
  end: number;
}

export interface ReadReply {
  id: number;
  list?: Omit<ListAnswer, 'json' | 'lines'> & { page?: PageBytes };
  summary?: SummaryData;
  analytics?: AnalyticsData;
  rollups?: AnalyticsRow[] | null;
  timeRange?: { first: number; last: number } | null;
  seqs?: SeqSnapshot;
  timeout?: true;
  error?: string;
  /** A refusal meant for the client (an AppError's wire form), not a failure of the store. */
  refused?: ReturnType<AppError['toJSON']>['error'];
}

/** Bytes left free in front of a page for the reply's head ({"count":…,"next":…,"previous":…,"results":). */
const PAGE_HEADROOM = 2048;
/** Page buffers grow by this much, so that pages of about the same size can take turns in the same buffers. */
const PAGE_STEP = 64 * 1024;

const deadline: ReadDeadline = { at: Infinity };
const db = openSqliteReader((workerData as { file: string }).file, deadline);
const check = () => checkDeadline(deadline);
const list = createListReader(db, check);
/** Exports read on a connection of their own, opened at the first, with a small page cache (EXPORT_CACHE_KIB). */
let exportDb: Database.Database | null = null;
let exportList: ReturnType<typeof createListReader> | null = null;
const exportReader = () => {
  if (exportList === null) {
    exportDb = openSqliteReader((workerData as { file: string }).file, deadline, EXPORT_CACHE_KIB);
    exportList = createListReader(exportDb, check);
  }
  return exportList;
};
const prepare = statementCache(db);
const buckets: BucketState = { starts: [] };
registerAnalyticsFunctions(db, deadline, buckets);
const analyticsDialect = sqliteAnalyticsDialect(buckets);

/** Runs fn in one read transaction: every statement it runs sees one snapshot. */
async function inSnapshot<T>(fn: () => Promise<T> | T): Promise<T> {
  db.exec('BEGIN');
  try {
    return await fn();
  } finally {
    if (db.inTransaction) db.exec('COMMIT'); // read only: nothing to keep or undo
  }
}

/** Runs one statement for a read of the org's, checking the budget first; `cached`: its SQL recurs (not analytics'). */
const runFor =
  (orgId: string, cached = true): RunSql =>
  async (sql, params) => {
    check();
    // @org: see dialect.ts
    return (cached ? prepare(sql) : db.prepare(sql)).all(...params, { org: orgId }) as Record<string, unknown>[];
  };

/** The summary's three statements in one snapshot: its totals, buckets and percentiles agree. */
const summary = (orgId: string, q: SummaryQuery): Promise<SummaryData> =>
  inSnapshot(() => runSummary(sqliteDialect, runFor(orgId), orgId, q));

/** An analytics read's statements in one snapshot, as the summary's. */
async function analytics(orgId: string, q: AnalyticsQuery): Promise<AnalyticsData> {
  try {
    return await inSnapshot(() => runAnalytics(analyticsDialect, runFor(orgId, false), orgId, q));
  } finally {
    buckets.starts = [];
  }
}

/** A rollup read: one range of a rollup table's primary key, added up here into the answer (rollup/answer.ts). */
const rollupsReady = db.prepare('SELECT ready FROM rollups_state').pluck();
const rollupsState = db.prepare(ROLLUPS_STATE_SQL);
const rollups = (orgId: string, read: RollupRead, q: AnalyticsQuery): Promise<AnalyticsRow[] | null> =>
  inSnapshot(() => {
    if (!rollupsReadyFor(read, rollupsState.get() as { ready: unknown; customer_hour: unknown } | undefined)) return null;
    const through = Number(throughSeq.get() ?? 0);
    if (tailOver(through)) return null;
    const params: unknown[] = [];
    const sql = rollupReadSql(sqliteDialect, params, orgId, read, q);
    check();
    const rows = prepare(sql)
      .raw()
      .iterate(...params) as Iterable<unknown[]>;
    return answerRollupRows(read, q, rows, (v) => bytesSketch(v as Uint8Array | null), tailOf(orgId, read, through));
  });

/**
 * The org's records in the read's range that the rollup tables do not hold yet (seq above `through`, rollup-fold.ts),
 * in the same snapshot (tail-sql.ts): at most TAIL_RECORDS_MAX of every org's (tailOver, checked first).
 */
const throughSeq = db.prepare('SELECT through_seq FROM rollups_state').pluck();
const tailStmt = db.prepare(TAIL_READ_SQL);
function tailOf(orgId: string, read: RollupRead, through: number): RollupSource[] {
  if (read.parts.length === 0) return [];
  const from = Math.min(...read.parts.map((p) => p.from));
  const to = Math.max(...read.parts.map((p) => p.to));
  check();
  return tailStmt.all(through, orgId, from, to) as RollupSource[];
}

/** Whether the tail holds more than TAIL_RECORDS_MAX records (counted no further): the read is then a scan. */
const tailOverStmt = db.prepare(TAIL_OVER_SQL).pluck();
const tailOver = (through: number): boolean => Boolean(tailOverStmt.get(TAIL_RECORDS_MAX, through, TAIL_RECORDS_MAX + 1));

/** A filtered summary's first and last timestamp, found by the hourly rollups (sql/time-range.ts), in one snapshot. */
const timeRange = (orgId: string, since: number | null, filter: TimeRangeFilter) =>
  inSnapshot(() =>
    rollupsReady.get() && !tailOver(Number(throughSeq.get() ?? 0))
      ? filteredTimeRange(sqliteDialect, runFor(orgId), orgId, since, filter, tailTimes(orgId, since, filter))
      : null,
  );

/** The first and last timestamp of the org's tail records (rollup-fold.ts) that the filter's rollup keys take, at or after `since`. */
function tailTimes(orgId: string, since: number | null, filter: TimeRangeFilter): { first: number; last: number } | null {
  const { sql, params } = tailTimesSql(orgId, since, filter);
  check();
  const r = db.prepare(sql).get(Number(throughSeq.get() ?? 0), ...params) as { first: number | null; last: number | null };
  return r.first === null || r.last === null ? null : { first: Number(r.first), last: Number(r.last) };
}

const snapshotStmt = db.prepare('SELECT coalesce((SELECT max(seq) FROM records), 0) AS top, (SELECT n FROM records_changes) AS changes');

/** The seqs a SELECT finds, with its snapshot's highest seq and records_changes, in one read transaction. */
const seqs = (orgId: string, sql: string, params: unknown[]): Promise<SeqSnapshot> =>
  inSnapshot(() => {
    const { top, changes } = snapshotStmt.get() as { top: number; changes: number };
    check();
    const found = db
      .prepare(sql)
      .pluck()
      .all(...params, { org: orgId }) as number[];
    return { seqs: found, top, changes };
  });

/**
 * The page's JSON as UTF-8 after PAGE_HEADROOM free bytes, then the `}` that closes the reply: in the spare buffer
 * when it is large enough. Buffers go to the event loop and back (reader-pool.ts) instead of becoming garbage there,
 * which only its full collections free (docs/performance.md).
 */
function pageBytes(json: string, spare: ArrayBuffer | undefined): PageBytes {
  const need = PAGE_HEADROOM + Buffer.byteLength(json) + 1;
  const buffer = spare && spare.byteLength >= need ? spare : new ArrayBuffer(Math.ceil(need / PAGE_STEP) * PAGE_STEP);
  const view = Buffer.from(buffer);
  const end = PAGE_HEADROOM + view.write(json, PAGE_HEADROOM, 'utf8');
  view[end] = 0x7d; // }
  return { buffer, start: PAGE_HEADROOM, end: end + 1 };
}

/**
 * An export page's lines as UTF-8 in a buffer of its own, written a line at a time (no page-sized string). Not
 * recycled: the socket may still hold it when the next page is read.
 */
function textBytes(lines: string[]): PageBytes {
  let size = 0;
  for (const line of lines) size += Buffer.byteLength(line);
  const buffer = new ArrayBuffer(size);
  const view = Buffer.from(buffer);
  let end = 0;
  for (const line of lines) end += view.write(line, end, 'utf8');
  return { buffer, start: 0, end };
}

async function answer(msg: ReadRequest): Promise<ReadReply> {
  deadline.at = msg.deadline;
  try {
    const { job } = msg;
    if (job.kind === 'list' && job.query.text) {
      const { lines, ...answered } = exportReader()(job.orgId, job.query, null);
      return { id: msg.id, list: { ...answered, page: textBytes(lines ?? []) } };
    }
    if (job.kind === 'list') {
      const { json, ...answered } = list(job.orgId, job.query, job.known);
      return { id: msg.id, list: json === undefined ? answered : { ...answered, page: pageBytes(json, msg.spare) } };
    }
    if (job.kind === 'analytics') return { id: msg.id, analytics: await analytics(job.orgId, job.query) };
    if (job.kind === 'rollups') return { id: msg.id, rollups: await rollups(job.orgId, job.read, job.query) };
    if (job.kind === 'timeRange') return { id: msg.id, timeRange: await timeRange(job.orgId, job.since, job.filter) };
    if (job.kind === 'seqs') return { id: msg.id, seqs: await seqs(job.orgId, job.sql, job.params) };
    return { id: msg.id, summary: await summary(job.orgId, job.query) };
  } catch (err) {
    if (err instanceof BudgetSpent) return { id: msg.id, timeout: true };
    if (err instanceof AppError) return { id: msg.id, refused: err.toJSON().error };
    return { id: msg.id, error: err instanceof Error ? err.message : String(err) };
  } finally {
    deadline.at = Infinity;
  }
}

parentPort!.on('message', (msg: ReadRequest | 'close') => {
  if (msg === 'close') {
    db.close();
    exportDb?.close();
    process.exit(0);
  }
  void answer(msg).then((reply) => {
    const page = reply.list?.page;
    parentPort!.postMessage(reply, page ? [page.buffer] : []); // the page's bytes move, not copied
  });
});
parentPort!.postMessage('ready');
