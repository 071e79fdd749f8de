import type { Logger } from 'pino';
import { RECORD_COLUMNS, TIMESTAMP_COLUMN } from '../columns.ts';
import { rowToRecord } from '../row-to-record.ts';
import { runAnalytics } from '../sql/analytics.ts';
import { runSummary } from '../sql/summary.ts';
import { apiKeyRow, auditEntry, generateKeyId } from '../key-rows.ts';
import { PRICE_COLUMNS, priceKeyWhere, priceRow, priceValues } from '../price-rows.ts';
import type { AuditEntry, KeyGrant, ListQuery, ListResult, Store } from '../types.ts';
import { postgresAnalyticsDialect } from './analytics.ts';
import { createAvailability } from './availability.ts';
import { postgresDialect } from './dialect.ts';
import { INSERT_RECORDS, insertValues } from './insert.ts';
import { migrate } from './migrate.ts';
import { connectionConfig, createPools } from './pool.ts';
import { listOn } from './list.ts';
import { createReadRunner, type EachRow, type ReadRows } from './read.ts';
import { startExportThread } from './export-thread.ts';
import { DEFAULT_QUERY_TIMEOUT_MS } from '../read-budget.ts';
import { KeyConflictError, StoreConnectError } from '../../errors.ts';
import { deadLetterRow, type DeadLetterRow } from '../dead-letter.ts';
import type { IdempotencyRow } from '../encoded-record.ts';
import { claimIdempotencyKey, inTransaction } from './idempotency.ts';
import { joinSpanEventsOn } from './span-events.ts';
import { whereSql } from '../sql/where.ts';
import { pairsTextSketch } from '../rollup/sketch.ts';
import { answerRollupRowsInTurns, ROLLUPS_STATE_SQL, rollupReadSql, rollupsReadyFor } from '../sql/rollups.ts';
import { filteredTimeRange } from '../sql/time-range.ts';
import { ROLLUP_ORGS_SQL, rebuildRollupsOn } from './rollups.ts';

const COLUMNS = RECORD_COLUMNS.map((c) => c.name).join(', ');
const KEY_COLUMNS = 'id, org_id, name, scope, created_at, last_used_at, revoked_at';

export interface PostgresStoreOptions {
  url: string;
  /** Connections at most, reads and writes together (TALLY_PG_POOL_SIZE; pool.ts splits them). */
  poolSize: number;
  /** Milliseconds a list or summary may run (TALLY_QUERY_TIMEOUT_MS). */
  queryTimeoutMs?: number;
  /** The largest a record can be (TALLY_BODY_LIMIT_BYTES): the export thread's heap must hold one (export-thread.ts). */
  largestRecordBytes?: number;
  /** The most rollup rows one analytics read may bring back (ROLLUP_READ_ROWS; a test sets fewer). */
  rollupReadRows?: number;
  log: Logger;
}

/**
 * The most rollup rows a PostgreSQL analytics read brings back to be added up. They are added up here, on the event
 * loop (~3-25 µs a row by its sketches' width), in turns of a few ms (answerRollupRowsInTurns) that other requests
 * run between; still, a read past this answers null and the request is a scan, which PostgreSQL aggregates itself
 * under its statement timeout. At 10M records a day of rollups_customer_hour by customer
 * and model was ~330,000 rows: seconds of event loop (docs/analytics.md). The issue's reads are ~1,200-1,500 rows.
 */
export const ROLLUP_READ_ROWS = 10_000;

/** The shared store: one PostgreSQL database, for several Tally processes behind a load balancer. */
export async function createPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  const config = connectionConfig(opts.url);
  try {
    await migrate(config, opts.log);
  } catch (err) {
    if (err instanceof StoreConnectError) throw err;
    throw new Error(`PostgreSQL: migrations failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const budgetMs = opts.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  const pools = createPools(config, { poolSize: opts.poolSize, queryTimeoutMs: budgetMs, log: opts.log });
  const pool = pools.main;
  const { run } = createAvailability(opts.log);
  const insertAudit = (client: { query(text: string, values: unknown[]): Promise<unknown> }, a: AuditEntry) =>
    client.query('INSERT INTO audit_log (org_id, at, actor, action, details) VALUES ($1, $2, $3, $4, $5)', [
      a.orgId,
      a.at,
      a.actor,
      a.action,
      a.details,
    ]);
  const rows = async (text: string, values: unknown[], name?: string) =>
    (await pool.query({ name, text, values })).rows as Record<string, unknown>[];
  const reading = createReadRunner(pools.read, budgetMs);
  /** A list or summary: on a read connection of its own, within the budget (read.ts). */
  const read = <T>(work: (rows: ReadRows, each: EachRow) => Promise<T>) => run(() => reading(work));
  /** Export pages on a thread and connection of their own (export-thread.ts), when the read half has room for it. */
  const exporter =
    pools.exportSize > 0
      ? startExportThread({ url: opts.url, budgetMs, largestRecordBytes: opts.largestRecordBytes ?? 5 * 1024 * 1024, log: opts.log })
      : null;
  let closed: Promise<void> | null = null;

  return {
    engine: 'postgres',
    writeFlights: 1,
    expiryPaced: false,
    readConcurrency: pools.readSize,
    ...(exporter ? { exportConcurrency: pools.exportSize } : {}),
    async insert(input) {
      const records = Array.isArray(input) ? input : [...input];
      if (records.length === 0) return 0;
      const keys = records.flatMap((r) => (r.idempotency ? [r.idempotency] : []));
      // A single statement commits on its own: the promise settles after COMMIT (synchronous_commit = on). Its row
      // count is the rows ON CONFLICT DO NOTHING let in.
      if (keys.length === 0) return (await run(() => pool.query({ ...INSERT_RECORDS, values: insertValues(records) }))).rowCount ?? 0;
      return run(() =>
        inTransaction(pool, async (client) => {
          for (const k of keys) await claimIdempotencyKey(client, k);
          // a lost reply's retry inserts nothing twice
          return (await client.query({ ...INSERT_RECORDS, values: insertValues(records) })).rowCount ?? 0;
        }),
      );
    },
    async deadLetter(entries) {
      const rows = entries.map((e) => deadLetterRow(e));
      const column = (name: keyof DeadLetterRow) => rows.map((r) => r[name]);
      await run(() =>
        pool.query(
          'INSERT INTO dead_letters (org_id, id, reason, record, at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])',
          [column('org_id'), column('id'), column('reason'), column('record'), column('at')],
        ),
      );
    },
    async idempotencyKey(orgId, key) {
      const [row] = await run(() =>
        rows(
          'SELECT org_id, key, fingerprint, status, response, created_at FROM idempotency_keys WHERE org_id = $1 AND key = $2',
          [orgId, key],
          'tally_idempotency_key',
        ),
      );
      return row ? ({ ...row, created_at: Number(row.created_at) } as unknown as IdempotencyRow) : null;
    },
    async purgeIdempotencyKeys(before, limit) {
      const done = await run(() =>
        pool.query('DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE created_at < $1 LIMIT $2)', [
          before,
          limit,
        ]),
      );
      return done.rowCount ?? 0;
    },
    joinSpanEvents(orgId, events, spans, bounds, now) {
      return run(() => joinSpanEventsOn(pool, orgId, events, spans, bounds, now));
    },
    async get(orgId, id) {
      const [row] = await run(() => rows(`SELECT ${COLUMNS} FROM records WHERE org_id = $1 AND id = $2`, [orgId, id], 'tally_get_record'));
      return row ? rowToRecord(row) : null;
    },
    async list(orgId, q: ListQuery): Promise<ListResult> {
      if (q.text && exporter) return run(() => exporter.page(orgId, q));
      // Count, then page, on the read's one connection: a read holds one connection however it runs.
      return read((rows, each) => listOn(rows, each, orgId, q));
    },
    async summary(orgId, q) {
      return read((rows) => runSummary(postgresDialect, rows, orgId, q));
    },
    async analytics(orgId, q) {
      return read((rows) => runAnalytics(postgresAnalyticsDialect, rows, orgId, q));
    },
    async rollupAnalytics(orgId, r, q) {
      const params: unknown[] = [];
      const sql = rollupReadSql(postgresDialect, params, orgId, r, q);
      const most = opts.rollupReadRows ?? ROLLUP_READ_ROWS;
      const found = await read(async (rows) =>
        rollupsReadyFor(r, (await rows(ROLLUPS_STATE_SQL, []))[0] as { ready: unknown; customer_hour: unknown } | undefined)
          ? rows(`SELECT * FROM (${sql}) r LIMIT ${most + 1}`, params)
          : null,
      );
      if (found === null || found.length > most) return null;
      return answerRollupRowsInTurns(r, q, found, (v) => pairsTextSketch(v as string | null));
    },
    async rebuildRollups(orgId, from, to) {
      return run(() => inTransaction(pool, (client) => rebuildRollupsOn(client, orgId, from, to)));
    },
    async timeRange(orgId, since, filter) {
      if (filter)
        return read(async (rows) =>
          (await rows('SELECT ready FROM rollups_state', []))[0]?.ready
            ? filteredTimeRange(postgresDialect, rows, orgId, since, filter)
            : null,
        );
      const [r] = await run(() =>
        rows(
          'SELECT (SELECT min(ts) FROM records WHERE org_id = $1 AND ts >= $2) AS first, (SELECT max(ts) FROM records WHERE org_id = $1 AND ts >= $2) AS last',
          [orgId, since ?? -Number.MAX_SAFE_INTEGER],
          'tally_time_range',
        ),
      );
      return r.first === null || r.last === null ? null : { first: Number(r.first), last: Number(r.last) };
    },
    async rollupsRebuilt() {
      await run(() => pool.query('UPDATE rollups_state SET ready = true, customer_hour = true'));
    },
    async rollupOrgs() {
      return (await run(() => rows(ROLLUP_ORGS_SQL, []))).map((r) => ({
        orgId: r.org_id as string,
        firstTs: r.first === null ? null : Number(r.first),
        lastTs: r.last === null ? null : Number(r.last),
      }));
    },
    async ensureApiKey(orgId, keyHash) {
      return run(async () => {
        const now = Date.now();
        await pool.query('INSERT INTO orgs (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [orgId, now]);
        const added = await pool.query(
          'INSERT INTO api_keys (key_hash, org_id, created_at, id) VALUES ($1, $2, $3, $4) ON CONFLICT (key_hash) DO NOTHING',
          [keyHash, orgId, now, generateKeyId()],
        );
        if (added.rowCount === 1) return true;
        // Replicas starting together may race to add the same configured key; the loser finds it here.
        const [existing] = await rows('SELECT org_id FROM api_keys WHERE key_hash = $1', [keyHash]);
        if (existing?.org_id !== orgId) throw new KeyConflictError();
        return false;
      });
    },
    async keyForHash(keyHash) {
      const [row] = await run(() =>
        rows(
          'SELECT id AS "keyId", org_id AS "orgId", scope FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL',
          [keyHash],
          'tally_key_for_hash',
        ),
      );
      return (row as unknown as KeyGrant | undefined) ?? null;
    },
    async createApiKey(key, audit) {
      await run(() =>
        inTransaction(pool, async (client) => {
          await client.query('INSERT INTO orgs (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [key.orgId, key.createdAt]);
          await client.query('INSERT INTO api_keys (key_hash, org_id, created_at, id, name, scope) VALUES ($1, $2, $3, $4, $5, $6)', [
            key.keyHash,
            key.orgId,
            key.createdAt,
            key.id,
            key.name,
            key.scope,
          ]);
          await client.query('INSERT INTO audit_log (org_id, at, actor, action, details) VALUES ($1, $2, $3, $4, $5)', [
            key.orgId,
            audit.at,
            audit.actor,
            audit.action,
            audit.details,
          ]);
        }),
      );
    },
    async apiKeys(orgId) {
      return (await run(() => rows(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE org_id = $1 ORDER BY created_at, id`, [orgId]))).map(
        apiKeyRow,
      );
    },
    async apiKey(id) {
      const [row] = await run(() => rows(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = $1`, [id]));
      return row ? apiKeyRow(row) : null;
    },
    async revokeApiKey(id, at, audit) {
      // One statement: the key's row is revoked and its audit entry appended together, or neither.
      const done = await run(() =>
        pool.query(
          `WITH revoked AS (UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING org_id)
           INSERT INTO audit_log (org_id, at, actor, action, details) SELECT org_id, $2, $3, $4, $5 FROM revoked`,
          [id, at, audit.actor, audit.action, audit.details],
        ),
      );
      return done.rowCount === 1;
    },
    async touchApiKey(id, at) {
      await run(() =>
        pool.query('UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)', [id, at]),
      );
    },
    async eraseRecords(orgId, conditions, audit) {
      const params: unknown[] = [];
      const where = whereSql(postgresDialect, params, orgId, null, conditions, TIMESTAMP_COLUMN, false);
      // The DELETE trigger (migration 10) takes the rows' share out of the counters in the same transaction.
      return run(() =>
        inTransaction(pool, async (client) => {
          const count = (await client.query(`DELETE FROM records WHERE ${where}`, params)).rowCount ?? 0;
          await client.query('INSERT INTO audit_log (org_id, at, actor, action, details) VALUES ($1, $2, $3, $4, $5)', [
            orgId,
            audit.at,
            audit.actor,
            audit.action,
            JSON.stringify({ ...audit.details, count }),
          ]);
          return count;
        }),
      );
    },
    async expireRecords(orgId, before, limit) {
      // By primary key, the oldest first (records_org_ts_cover); the DELETE trigger (migration 10) keeps the counts.
      const done = await run(() =>
        pool.query(
          'DELETE FROM records WHERE org_id = $1 AND id IN (SELECT id FROM records WHERE org_id = $1 AND ts < $2 ORDER BY ts LIMIT $3)',
          [orgId, before, limit],
        ),
      );
      return done.rowCount ?? 0;
    },
    async setRetention(orgId, days, audit) {
      await run(() =>
        inTransaction(pool, async (client) => {
          await client.query('INSERT INTO orgs (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING', [orgId, audit.at]);
          await client.query('UPDATE orgs SET retention_days = $2 WHERE id = $1', [orgId, days]);
          await client.query('INSERT INTO audit_log (org_id, at, actor, action, details) VALUES ($1, $2, $3, $4, $5)', [
            orgId,
            audit.at,
            audit.actor,
            audit.action,
            audit.details,
          ]);
        }),
      );
    },
    async orgRetention() {
      return (await run(() => rows('SELECT id, retention_days FROM orgs ORDER BY id', []))).map((r) => ({
        orgId: r.id as string,
        days: r.retention_days === null ? null : Number(r.retention_days),
      }));
    },
    async modelPrices() {
      return (await run(() => rows(`SELECT ${PRICE_COLUMNS} FROM model_prices`, []))).map(priceRow);
    },
    async setModelPrice(row, audit) {
      await run(() =>
        inTransaction(pool, async (client) => {
          await client.query(
            `INSERT INTO model_prices (${PRICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (org_id, model, effective_from) ` +
              'DO UPDATE SET input_mtok = excluded.input_mtok, output_mtok = excluded.output_mtok, ' +
              'cache_read_mtok = excluded.cache_read_mtok, cache_write_mtok = excluded.cache_write_mtok, created_at = excluded.created_at',
            priceValues(row),
          );
          if (audit) await insertAudit(client, audit);
        }),
      );
    },
    async removeModelPrices(key, audit) {
      const { where, values } = priceKeyWhere(key);
      let n = 0;
      const numbered = where.replace(/\?/g, () => `$${++n}`);
      return run(() =>
        inTransaction(pool, async (client) => {
          const done = await client.query(`DELETE FROM model_prices WHERE ${numbered}`, values);
          if (audit) await insertAudit(client, audit);
          return done.rowCount ?? 0;
        }),
      );
    },
    async appendAudit(entry) {
      await run(() =>
        pool.query('INSERT INTO audit_log (org_id, at, actor, action, details) VALUES ($1, $2, $3, $4, $5)', [
          entry.orgId,
          entry.at,
          entry.actor,
          entry.action,
          entry.details,
        ]),
      );
    },
    async auditLog(orgId) {
      return (
        await run(() => rows('SELECT org_id, at, actor, action, details FROM audit_log WHERE org_id = $1 ORDER BY seq DESC', [orgId]))
      ).map(auditEntry);
    },
    async hasAnyApiKey() {
      return (await run(() => rows('SELECT 1 FROM api_keys LIMIT 1', []))).length > 0;
    },
    async ping() {
      await run(() => pool.query('SELECT 1'));
    },
    close() {
      closed ??= Promise.all([pools.end(), exporter?.close()]).then(() => {});
      return closed;
    },
  };
}
