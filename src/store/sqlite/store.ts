import path from 'node:path';
import type { Logger } from 'pino';
import { RECORD_COLUMNS, TIMESTAMP_COLUMN } from '../columns.ts';
import { rowToRecord } from '../row-to-record.ts';
import { apiKeyRow, auditEntry, generateKeyId } from '../key-rows.ts';
import { PRICE_COLUMNS, priceRow } from '../price-rows.ts';
import type { KeyGrant, ListQuery, ListResult, Store } from '../types.ts';
import { createCountMemo } from './count-memo.ts';
import { memoKey } from './list-read.ts';
import { openSqlite } from './open.ts';
import { startCheckpointer } from './checkpointer-client.ts';
import { startReaders } from './reader-pool.ts';
import { startWriter } from './writer-client.ts';
import type { FoldOptions } from './rollup-fold.ts';
import { KeyConflictError } from '../../errors.ts';
import { deadLetterRow } from '../dead-letter.ts';
import type { IdempotencyRow } from '../encoded-record.ts';
import { DEFAULT_QUERY_TIMEOUT_MS } from '../read-budget.ts';
import { whereSql } from '../sql/where.ts';
import { sqliteDialect } from './dialect.ts';
import { ERASE_COLUMNS } from './erase.ts';

const COLUMN_NAMES = RECORD_COLUMNS.map((c) => c.name);

export interface SqliteStoreOptions {
  log?: Logger;
  /** Milliseconds a list or summary may take before it answers query_timeout (TALLY_QUERY_TIMEOUT_MS). */
  queryTimeoutMs?: number;
  /** Reader threads at most (TALLY_SQLITE_READERS). */
  readers?: number;
  /** When the writer folds the rollups' tail (TALLY_ROLLUP_FOLD_*, rollup-fold.ts). */
  fold?: FoldOptions;
}

const DEFAULT_READERS = 4;

/**
 * The embedded store: one SQLite file under the data directory. Writes go through the writer thread, lists and
 * summaries through reader threads (each scan may take long, and only a thread of its own can be stopped); the
 * main connection keeps what is a bounded index seek: a record by id, an API key.
 */
export function createSqliteStore(dataDir: string, opts: SqliteStoreOptions = {}): Store {
  const { log, queryTimeoutMs = DEFAULT_QUERY_TIMEOUT_MS, readers: size = DEFAULT_READERS } = opts;
  const file = path.join(dataDir, 'tally.db');
  const db = openSqlite(file);
  const writer = startWriter(file, opts.fold);
  const checkpointer = startCheckpointer(file, (err) =>
    log?.warn({ err }, 'the SQLite checkpointer thread stopped; the writer checkpoints alone'),
  );
  const readers = startReaders(file, { size, budgetMs: queryTimeoutMs, log });
  const getStmt = db.prepare(`SELECT ${COLUMN_NAMES.join(', ')} FROM records WHERE org_id = ? AND id = ?`);
  const keyStmt = db.prepare('SELECT org_id FROM api_keys WHERE key_hash = ?');
  const grantStmt = db.prepare('SELECT id AS keyId, org_id AS orgId, scope FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL');
  const KEY_COLUMNS = 'id, org_id, name, scope, created_at, last_used_at, revoked_at';
  const orgKeysStmt = db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE org_id = ? ORDER BY created_at, id`);
  const keyByIdStmt = db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`);
  const auditStmt = db.prepare('SELECT org_id, at, actor, action, details FROM audit_log WHERE org_id = ? ORDER BY seq DESC');
  const anyKeyStmt = db.prepare('SELECT 1 FROM api_keys LIMIT 1');
  const pricesStmt = db.prepare(`SELECT ${PRICE_COLUMNS} FROM model_prices`);
  const retentionStmt = db.prepare('SELECT id AS orgId, retention_days AS days FROM orgs ORDER BY id');
  const ensureOrg = db.prepare('INSERT INTO orgs (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING');
  const ensureKey = db.prepare(
    'INSERT INTO api_keys (key_hash, org_id, created_at, id) VALUES (?, ?, ?, ?) ON CONFLICT (key_hash) DO NOTHING',
  );
  const memo = createCountMemo();
  const idempotencyStmt = db.prepare(
    'SELECT org_id, key, fingerprint, status, response, created_at FROM idempotency_keys WHERE org_id = ? AND key = ?',
  );
  // Each org's first and last record by records_org_ts_cover (two seeks an org), and the orgs left with only rollups.
  const rollupOrgsStmt = db.prepare(
    `SELECT o.org_id, (SELECT min(ts) FROM records WHERE org_id = o.org_id) AS first, (SELECT max(ts) FROM records WHERE org_id = o.org_id) AS last
     FROM (SELECT org_id FROM org_record_counts UNION SELECT DISTINCT org_id FROM rollups_day UNION SELECT DISTINCT org_id FROM rollups_hour
           UNION SELECT DISTINCT org_id FROM rollups_customer_day UNION SELECT DISTINCT org_id FROM rollups_customer_hour) o ORDER BY o.org_id`,
  );
  const timeRangeStmt = db.prepare(
    'SELECT (SELECT min(ts) FROM records WHERE org_id = ? AND ts >= ?) AS first, (SELECT max(ts) FROM records WHERE org_id = ? AND ts >= ?) AS last',
  );
  let open = true;

  return {
    engine: 'sqlite',
    writeFlights: 2,
    expiryPaced: true,
    readConcurrency: size,
    insert: (records) => writer.insert(records),
    openInsert: (bounds) => writer.openInsert(bounds),
    deadLetter: (entries) => writer.deadLetter(entries.map((e) => deadLetterRow(e))),
    async idempotencyKey(orgId, key) {
      return (idempotencyStmt.get(orgId, key) as IdempotencyRow | undefined) ?? null;
    },
    purgeIdempotencyKeys: (before, limit) => writer.purgeIdempotencyKeys(before, limit),
    joinSpanEvents: (orgId, events, spans, bounds, now) => writer.joinSpanEvents({ orgId, events, spans, bounds, now }),
    async get(orgId, id) {
      const row = getStmt.get(orgId, id) as Record<string, unknown> | undefined;
      return row ? rowToRecord(row) : null;
    },
    async list(orgId, query: ListQuery): Promise<ListResult> {
      const key = query.count === false ? null : memoKey(orgId, query);
      const { list } = await readers.run({ kind: 'list', orgId, query, known: key === null ? null : memo.get(key) });
      if (key !== null && list!.remember) memo.set(key, list!.remember);
      const bytes = list!.page;
      if (!bytes) return list!.result;
      let released = false;
      const release = () => {
        // An export's page is not taken back: the socket may hold it after the next page is read (reader.ts).
        if (!released && !query.text) readers.recycle(bytes.buffer);
        released = true;
      };
      return { ...list!.result, page: { bytes: new Uint8Array(bytes.buffer), start: bytes.start, end: bytes.end, release } };
    },
    async summary(orgId, query) {
      return (await readers.run({ kind: 'summary', orgId, query })).summary!;
    },
    async analytics(orgId, query) {
      return (await readers.run({ kind: 'analytics', orgId, query })).analytics!;
    },
    async rollupAnalytics(orgId, read, query) {
      return (await readers.run({ kind: 'rollups', orgId, read, query })).rollups ?? null;
    },
    async timeRange(orgId, since, filter) {
      if (filter) return (await readers.run({ kind: 'timeRange', orgId, since, filter })).timeRange ?? null;
      const r = timeRangeStmt.get(orgId, since ?? -Number.MAX_SAFE_INTEGER, orgId, since ?? -Number.MAX_SAFE_INTEGER) as {
        first: number | null;
        last: number | null;
      };
      return r.first === null || r.last === null ? null : { first: r.first, last: r.last };
    },
    rollupsRebuilt: () => writer.rebuildRollups({ ready: true }).then(() => undefined),
    rebuildRollups: (orgId, from, to) => writer.rebuildRollups({ orgId, from, to }),
    async rollupOrgs() {
      return (rollupOrgsStmt.all() as { org_id: string; first: number | null; last: number | null }[]).map((r) => ({
        orgId: r.org_id,
        firstTs: r.first,
        lastTs: r.last,
      }));
    },
    async ensureApiKey(orgId, keyHash) {
      return db
        .transaction(() => {
          ensureOrg.run(orgId, Date.now());
          const existing = keyStmt.get(keyHash) as { org_id: string } | undefined;
          if (existing) {
            if (existing.org_id !== orgId) throw new KeyConflictError();
            return false;
          }
          ensureKey.run(keyHash, orgId, Date.now(), generateKeyId());
          return true;
        })
        .immediate();
    },
    async keyForHash(keyHash) {
      return (grantStmt.get(keyHash) as KeyGrant | undefined) ?? null;
    },
    async createApiKey(key, audit) {
      await writer.writeKey({ create: key, audit });
    },
    async apiKeys(orgId) {
      return (orgKeysStmt.all(orgId) as Record<string, unknown>[]).map(apiKeyRow);
    },
    async apiKey(id) {
      const row = keyByIdStmt.get(id) as Record<string, unknown> | undefined;
      return row ? apiKeyRow(row) : null;
    },
    async revokeApiKey(id, at, audit) {
      return (await writer.writeKey({ revoke: { id, at }, audit })) === 1;
    },
    async touchApiKey(id, at) {
      await writer.writeKey({ touch: { id, at } });
    },
    async eraseRecords(orgId, conditions, audit) {
      const params: unknown[] = [];
      const where = whereSql(sqliteDialect, params, orgId, null, conditions, TIMESTAMP_COLUMN, false);
      // The records are found on a reader thread (a scan, when the narrowing column has no index, must not hold up
      // the writer), then deleted in the writer's one transaction with any match committed since (erase.ts).
      const { seqs: snapshot } = await readers.run({ kind: 'seqs', orgId, sql: `SELECT seq FROM records WHERE ${where}`, params });
      return writer.erase({
        select: { sql: `SELECT ${ERASE_COLUMNS} FROM records WHERE ${where}`, params, named: { org: orgId } },
        found: { snapshot: snapshot!, where: `(${where})`, params },
        audit: { orgId, ...audit },
      });
    },
    async expireRecords(orgId, before, limit) {
      // In slices that ride the writer's group commits (expiry.ts): the writer paces it, nobody waits behind it.
      return (await writer.expire({ orgId, before, limit })).deleted;
    },
    async setRetention(orgId, days, audit) {
      await writer.writeOrg({ retention: { orgId, days }, audit });
    },
    async orgRetention() {
      return (retentionStmt.all() as { orgId: string; days: number | null }[]).map((r) => ({ ...r }));
    },
    async modelPrices() {
      return (pricesStmt.all() as Record<string, unknown>[]).map(priceRow);
    },
    async setModelPrice(row, audit) {
      await writer.writeOrg({ setPrice: row, audit });
    },
    async removeModelPrices(key, audit) {
      return writer.writeOrg({ removePrices: key, audit });
    },
    async appendAudit(entry) {
      await writer.writeOrg({ audit: entry });
    },
    async auditLog(orgId) {
      return (auditStmt.all(orgId) as Record<string, unknown>[]).map(auditEntry);
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
        await readers.close();
        await writer.close();
        await checkpointer.close();
        db.close();
      }
    },
  };
}
