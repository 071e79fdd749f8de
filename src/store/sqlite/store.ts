import path from 'node:path';
import type { RecordData } from '../../records/record.ts';
import { RECORD_COLUMNS, TIMESTAMP_COLUMN, encodeColumn } from '../columns.ts';
import { rowToRecord } from '../row-to-record.ts';
import { runSummary } from '../sql/summary.ts';
import { whereSql } from '../sql/where.ts';
import type { ListQuery, ListResult, Store } from '../types.ts';
import { metaTag, metaValue, sqliteDialect } from './dialect.ts';
import { openSqlite } from './open.ts';

const COLUMN_NAMES = RECORD_COLUMNS.map((c) => c.name);

/** The embedded store: one SQLite file under the data directory. */
export function createSqliteStore(dataDir: string): Store {
  const db = openSqlite(path.join(dataDir, 'tally.db'));
  const insertStmt = db.prepare(`INSERT INTO records (${COLUMN_NAMES.join(', ')}) VALUES (${COLUMN_NAMES.map(() => '?').join(', ')})`);
  const insertMeta = db.prepare('INSERT INTO record_meta (org_id, k, t, v, seq) VALUES (?, ?, ?, ?, ?)');
  const insertMany = db.transaction((records: RecordData[]) => {
    for (const r of records) {
      const row = r as unknown as Record<string, unknown>;
      const seq = insertStmt.run(RECORD_COLUMNS.map((c) => encodeColumn(c, row[c.name]))).lastInsertRowid;
      for (const [k, v] of Object.entries(r.field_9 ?? {})) {
        const tag = metaTag(v);
        if (tag) insertMeta.run(r.org_id, k, tag, metaValue(v as string | number | boolean | null), seq);
      }
    }
  });
  const getStmt = db.prepare(`SELECT ${COLUMN_NAMES.join(', ')} FROM records WHERE org_id = ? AND id = ?`);
  const keyStmt = db.prepare('SELECT org_id FROM api_keys WHERE key_hash = ?');
  const anyKeyStmt = db.prepare('SELECT 1 FROM api_keys LIMIT 1');
  const ensureOrg = db.prepare('INSERT INTO orgs (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING');
  const ensureKey = db.prepare('INSERT INTO api_keys (key_hash, org_id, created_at) VALUES (?, ?, ?) ON CONFLICT (key_hash) DO NOTHING');
  let open = true;

  return {
    engine: 'sqlite',
    async insert(records) {
      if (records.length > 0) insertMany.immediate(records);
    },
    async get(orgId, id) {
      const row = getStmt.get(orgId, id) as Record<string, unknown> | undefined;
      return row ? rowToRecord(row) : null;
    },
    async list(orgId, q: ListQuery): Promise<ListResult> {
      const params: unknown[] = [];
      const where = whereSql(sqliteDialect, params, orgId, q.since, q.conditions, TIMESTAMP_COLUMN);
      const named = { org: orgId }; // the metadata index subqueries' @org
      const { count } = db.prepare(`SELECT count(*) AS count FROM records WHERE ${where}`).get(...params, named) as { count: number };
      const order = `${sqliteDialect.orderBy(q.sort.column, 'text', q.sort.descending)}, id ${q.sort.descending ? 'DESC' : 'ASC'}`;
      const rows = db
        .prepare(`SELECT ${COLUMN_NAMES.join(', ')} FROM records WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`)
        .all(...params, q.limit, q.offset, named) as Record<string, unknown>[];
      return { count, records: rows.map(rowToRecord) };
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
          if (existing.org_id !== orgId) throw new Error('That API key already belongs to another org');
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
        db.close();
      }
    },
  };
}
