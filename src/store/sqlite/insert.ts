import type Database from 'better-sqlite3';
import { RECORD_COLUMNS } from '../columns.ts';
import {
  COLUMN_INDEX,
  IDEMPOTENCY_CONFLICT,
  IDEMPOTENCY_TTL_MS,
  orgOf,
  type EncodedRecord,
  type IdempotencyRow,
} from '../encoded-record.ts';
import { sourceOfValues } from '../rollup/tables.ts';
import { metaTag, metaValue } from './dialect.ts';
import { MetaCounts, metaCountWriter } from './meta-counts.ts';
import { foldOf } from './rollup-fold.ts';

const COLUMN_NAMES = RECORD_COLUMNS.map((c) => c.name);
const rollupSource = sourceOfValues(COLUMN_INDEX);

type Row = Pick<EncodedRecord, 'values' | 'metadata' | 'idempotency'>;

/**
 * The insert of records, their record_meta rows and the counts kept beside them (per org, per metadata value), on the
 * given connection, inside whatever transaction is open: the counts of each call are added up once. Calling it
 * several times in one transaction (a batch written in chunks) gives the same rows and counts as one call with every
 * record, as several transactions would: each call's counts are additive, and metaCountWriter reads the record_meta
 * rows earlier calls wrote. Each record's rollups go into the tail the writer folds (rollup-fold.ts), not into the
 * rollup tables. Returns how many records it inserted (a record whose id the org holds is not).
 */
export function createRowWriter(db: Database.Database): (records: Row[]) => number {
  // A record whose id the org already holds is skipped, and counts nothing: PostgreSQL's insert does the same (ON
  // CONFLICT DO NOTHING, its counts kept by triggers that see only inserted rows). Ids the server makes never meet
  // one; an OTLP span sent again does (its id is derived from the span).
  const insertStmt = db.prepare(
    `INSERT INTO records (${COLUMN_NAMES.join(', ')}) VALUES (${COLUMN_NAMES.map(() => '?').join(', ')}) ON CONFLICT (org_id, id) DO NOTHING`,
  );
  const insertMeta = db.prepare('INSERT INTO record_meta (org_id, k, t, v, seq) VALUES (?, ?, ?, ?, ?)');
  const addCount = db.prepare(
    'INSERT INTO org_record_counts (org_id, n) VALUES (?, ?) ON CONFLICT (org_id) DO UPDATE SET n = n + excluded.n',
  );
  const addMetaCounts = metaCountWriter(db);
  const fold = foldOf(db);
  const claimKey = db.prepare(
    `INSERT INTO idempotency_keys (org_id, key, fingerprint, status, response, created_at) VALUES (@org_id, @key, @fingerprint, @status, @response, @created_at)
     ON CONFLICT (org_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status, response = excluded.response, created_at = excluded.created_at
     WHERE idempotency_keys.created_at < excluded.created_at - ${IDEMPOTENCY_TTL_MS}`,
  );
  const heldKey = db.prepare('SELECT response FROM idempotency_keys WHERE org_id = ? AND key = ?').pluck();
  /** Claims the key (an expired row is taken over); false when an unexpired row already holds this very outcome. */
  const claim = (k: IdempotencyRow): boolean => {
    if (claimKey.run(k).changes === 1) return true;
    if (heldKey.get(k.org_id, k.key) === k.response) return false;
    throw Object.assign(new Error(`Idempotency-Key "${k.key}" is held by another request`), { code: IDEMPOTENCY_CONFLICT });
  };
  return (records) => {
    // The tail checked (and read, if it is not known) before this call's records are in the table (else read twice).
    fold.check();
    const perOrg = new Map<string, number>();
    const perValue = new MetaCounts();
    for (const r of records) {
      if (r.idempotency && !claim(r.idempotency)) continue; // committed before; its reply was lost
      const inserted = insertStmt.run(r.values);
      if (inserted.changes === 0) continue; // held already: nothing to index or count
      const seq = inserted.lastInsertRowid;
      const org = orgOf(r);
      perOrg.set(org, (perOrg.get(org) ?? 0) + 1);
      fold.inserted(rollupSource(r.values));
      for (const [k, v] of Object.entries(r.metadata ?? {})) {
        const tag = metaTag(v);
        if (!tag) continue;
        const value = metaValue(v as string | number | boolean | null);
        insertMeta.run(org, k, tag, value, seq);
        perValue.add(org, k, tag, value);
      }
    }
    let inserted = 0;
    for (const [org, n] of perOrg) {
      addCount.run(org, n);
      inserted += n;
    }
    addMetaCounts(perValue); // after the record_meta rows: it counts them
    return inserted;
  };
}

/** createRowWriter's insert as one IMMEDIATE transaction of its own; returns how many records it inserted. */
export function createInserter(db: Database.Database): (records: Row[]) => number {
  const writeRows = createRowWriter(db);
  const insertMany = db.transaction((records: Row[]) => writeRows(records));
  return (records) => (records.length > 0 ? insertMany.immediate(records) : 0);
}
