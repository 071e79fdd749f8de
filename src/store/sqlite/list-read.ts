import type Database from 'better-sqlite3';
import { exportLine } from '../../model/export-text.ts';
import { toApiRecord } from '../../model/to-api.ts';
import { rowToRecord } from '../row-to-record.ts';
import { type PlanStep, runPlan } from '../sql/plan.ts';
import type { ListQuery, ListResult } from '../types.ts';
import { countFrom, type MemoEntry } from './count-memo.ts';
import { ORG_COUNT_SQL, SORT_MAX, listSql, walkBound, type Statement } from './list-sql.ts';
import { statementCache } from './statement-cache.ts';

export interface ListAnswer {
  result: ListResult;
  /** The count to remember for this list's filter (count-memo.ts), when it was a scan of the records. */
  remember: MemoEntry | null;
  /** With query.wire: the page's wire JSON (result.records is then empty). */
  json?: string;
  /** With query.text: the page's export lines (result.records is then empty, result.exported set). */
  lines?: string[];
}

/**
 * A list on one connection (a reader thread's): count and page in one read transaction, so both see the same
 * snapshot while the writer thread commits. `known` is the remembered count of the same filter, if any. `check`
 * runs before each statement (the read budget: a read that is out of time does not start another).
 */
export function createListReader(
  db: Database.Database,
  check: () => void = () => {},
): (orgId: string, q: ListQuery, known: MemoEntry | null) => ListAnswer {
  const prepare = statementCache(db);
  const countStmt = db.prepare(ORG_COUNT_SQL);
  const snapshotTop = db.prepare('SELECT (SELECT max(seq) FROM records) AS top, (SELECT n FROM records_changes) AS changes');

  return db.transaction((orgId: string, q: ListQuery, known: MemoEntry | null): ListAnswer => {
    const sql = listSql(orgId, q);
    // Every list statement takes its positional parameters, then any the caller adds, then the named ones.
    const run = (s: Statement, tail: unknown[] = [], named: Record<string, unknown> = sql.named) => {
      check();
      return prepare(s.sql).all(...s.params, ...tail, named) as Record<string, unknown>[];
    };
    const orgTotal = () => (countStmt.get(orgId) as { count: number } | undefined)?.count ?? 0;
    const countOf = (s: Statement, named?: Record<string, unknown>) => (run(s, [], named)[0] as { count: number }).count;
    let remember: MemoEntry | null = null;
    const counted = (s: Statement, after: Statement | null): number => {
      if (after === null) return countOf(s);
      const { top, changes } = snapshotTop.get() as { top: number | null; changes: number };
      remember = countFrom(
        known,
        top ?? 0,
        changes,
        () => countOf(s),
        (seq) => countOf(after, { ...sql.named, after: seq }),
      );
      return remember.count;
    };
    const count = q.count === false ? null : sql.count ? counted(sql.count, sql.countAfter) : orgTotal();
    const want = q.limit + 1; // one more than the page tells whether another page follows
    const steps: PlanStep[] = [
      { name: 'past-the-end', rows: () => (count !== null && q.offset >= count ? [] : null) },
      { name: 'sorted', rows: () => (sql.sorted && count !== null && count <= SORT_MAX ? run(sql.sorted, [want, q.offset]) : null) },
      {
        name: 'walk',
        rows: () => {
          const bound = sql.walk ? walkBound(q.offset + want, count, orgTotal()) : null;
          if (bound === null) return null;
          const walked = run(sql.walk!, [want, q.offset], { ...sql.named, skip: bound - 1 });
          // A full page is exact; so is a short one that reaches the count. Otherwise the walk stopped too early.
          return walked.length === want || (count !== null && walked.length > 0 && q.offset + walked.length === count) ? walked : null;
        },
      },
      { name: 'page', rows: () => run(sql.page, [want, q.offset]) },
    ];
    const { rows, step } = runPlan(steps);
    const more = rows.length > q.limit;
    const records = rows.slice(0, q.limit).map(rowToRecord);
    // The page's wire JSON is made here, off the event loop (reader.ts encodes it into the buffer it sends), which
    // would otherwise clone, serialise and encode the records itself (docs/performance.md).
    if (q.text) {
      const format = q.text;
      const exported = records.length > 0 ? { records: records.length, lastId: records[records.length - 1].id as string } : undefined;
      return { result: { count, records: [], more, step, exported }, remember, lines: records.map((r) => exportLine(format, r)) };
    }
    if (q.wire) return { result: { count, records: [], more, step }, remember, json: JSON.stringify(records.map(toApiRecord)) };
    return { result: { count, records, more, step }, remember };
  });
}

/**
 * The key a list's remembered count is kept under, or null when its count is not a scan of the records: the count's
 * SQL and parameters, so that filters that count alike share it (icontains "Überweisung" and "überWEISUNG").
 */
export function memoKey(orgId: string, q: ListQuery): string | null {
  const { count, countAfter } = listSql(orgId, q);
  return count && countAfter ? `${count.sql}\u0000${JSON.stringify(count.params)}` : null;
}
