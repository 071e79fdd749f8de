import path from 'node:path';
import type { Logger } from 'pino';
import { RECORD_COLUMNS } from '../columns.ts';
import { rowToRecord } from '../row-to-record.ts';
import { runSummary } from '../sql/summary.ts';
import type { ListQuery, ListResult, Store } from '../types.ts';
import { sqliteDialect } from './dialect.ts';
import { ORG_COUNT_SQL, SORT_MAX, listSql, walkBound, type Statement } from './list-sql.ts';
import { createCountMemo } from './count-memo.ts';
import { openSqlite } from './open.ts';
import { statementCache } from './statement-cache.ts';
import { startCheckpointer } from './checkpointer-client.ts';
import { startWriter } from './writer-client.ts';
import { KeyConflictError } from '../../errors.ts';
import { deadLetterRow } from '../dead-letter.ts';
import type { IdempotencyRow } from '../encoded-record.ts';

const COLUMN_NAMES = RECORD_COLUMNS.map((c) => c.name);

/** The embedded store: one SQLite file under the data directory. */
export function createSqliteStore(dataDir: string, log?: Logger): Store {
  const file = path.join(dataDir, 'tally.db');
  const db = openSqlite(file);
  const writer = startWriter(file);
  const checkpointer = startCheckpointer(file, (err) => log?.warn({ err }, 'the SQLite checkpointer thread stopped; the writer checkpoints alone'));
  const getStmt = db.prepare(`SELECT ${COLUMN_NAMES.join(', ')} FROM records WHERE org_id = ? AND id = ?`);
  const keyStmt = db.prepare('SELECT org_id FROM api_keys WHERE key_hash = ?');
  const anyKeyStmt = db.prepare('SELECT 1 FROM api_keys LIMIT 1');
  const ensureOrg = db.prepare('INSERT INTO orgs (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING');
  const ensureKey = db.prepare('INSERT INTO api_keys (key_hash, org_id, created_at) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO NOTHING');
  const countStmt = db.prepare(ORG_COUNT_SQL);
  const prepare = statementCache(db);
  const memo = createCountMemo();
  const idempotencyStmt = db.prepare('SELECT org_id, key, fingerprint, status, response, created_at FROM idempotency_keys WHERE org_id = ? AND key = ?');
  const snapshotTop = db.prepare('SELECT (SELECT max(seq) FROM records) AS top, (SELECT n FROM records_changes) AS changes');
  let open = true;

  // One read transaction: the count and the page see the same snapshot while the writer thread commits.
  const listInSnapshot = db.transaction((orgId: string, q: ListQuery): ListResult => {
    const sql = listSql(orgId, q);
    // Every list statement takes its positional parameters, then any the caller adds, then the named ones.
    const run = (s: Statement, tail: unknown[] = [], named: Record<string, unknown> = sql.named) =>
      prepare(s.sql).all(...s.params, ...tail, named) as Record<string, unknown>[];
    const orgTotal = () => (countStmt.get(orgId) as { count: number } | undefined)?.count ?? 0;
    const countOf = (s: Statement, named?: Record<string, unknown>) => (run(s, [], named)[0] as { count: number }).count;
    const counted = (s: Statement, after: Statement | null): number => {
      if (after === null) return countOf(s);
      const { top, changes } = snapshotTop.get() as { top: number | null; changes: number };
      const key = `${s.sql}\u0000${JSON.stringify(s.params)}`;
      return memo.count(key, top ?? 0, changes, () => countOf(s), (seq) => countOf(after, { ...sql.named, after: seq }));
    };
    const count = q.count === false ? null : sql.count ? counted(sql.count, sql.countAfter) : orgTotal();
    const want = q.limit + 1; // one more than the page tells whether another page follows
    let rows: Record<string, unknown>[] | null = count !== null && q.offset >= count ? [] : null;
    if (rows === null && sql.sorted && count !== null && count <= SORT_MAX) rows = run(sql.sorted, [want, q.offset]);
    const bound = rows === null && sql.walk ? walkBound(q.offset + want, count, orgTotal()) : null;
    if (bound !== null) {
      const walked = run(sql.walk!, [want, q.offset], { ...sql.named, skip: bound - 1 });
      // A full page is exact; so is a short one that reaches the count. Otherwise the walk stopped too early.
      if (walked.length === want || (count !== null && walked.length > 0 && q.offset + walked.length === count)) rows = walked;
    }
    rows ??= run(sql.page, [want, q.offset]);
    const more = rows.length > q.limit;
    return { count, records: rows.slice(0, q.limit).map(rowToRecord), more };
  });

  return {
    engine: 'sqlite',
    writeFlights: 2,
    insert: (records) => writer.insert(records),
    deadLetter: (entries) => writer.deadLetter(entries.map((e) => deadLetterRow(e))),
    async idempotencyKey(orgId, key) {
      return (idempotencyStmt.get(orgId, key) as IdempotencyRow | undefined) ?? null;
    },
    purgeIdempotencyKeys: (before, limit) => writer.purgeIdempotencyKeys(before, limit),
    async get(orgId, id) {
      const row = getStmt.get(orgId, id) as Record<string, unknown> | undefined;
      return row ? rowToRecord(row) : null;
    },
    async list(orgId, q: ListQuery): Promise<ListResult> {
      return listInSnapshot(orgId, q);
    },
    async summary(orgId, q) {
      return runSummary(sqliteDialect, async (sql, params) => {
        // Each statement may scan the whole org; let waiting requests (writes above all) run in between.
        await new Promise((resolve) => setImmediate(resolve));
        return db.prepare(sql).all(...params, { org: orgId }) as Record<string, unknown>[]; // @org: see dialect.ts
      }, orgId, q);
    },
    async ensureApiKey(orgId, keyHash) {
      return db.transaction(() => {
        ensureOrg.run(orgId, Date.now());
        const existing = keyStmt.get(keyHash) as { org_id: string } | undefined;
        if (existing) {
          if (existing.org_id !== orgId) throw new KeyConflictError();
          return false;
        }
        ensureKey.run(keyHash, orgId, Date.now());
        return true;
      }).immediate();
    },
    async orgForKeyHash(keyHash) {
      const row = keyStmt.get(keyHash) as { org_id: string } | undefined;
      return row?.org_id ?? null;
    },
    async hasAnyApiKey() {
      return anyKeyStmt.get() !== undefined;
    },
    async ping() {
      db.prepare('SELECT 1').get();
    },
    async close() {
      if (open) {
        open = false;
        await writer.close();
        await checkpointer.close();
        db.close();
      }
    },
  };
}
