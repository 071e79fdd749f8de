import type Database from 'better-sqlite3';
import { metaTag, metaValue } from './dialect.ts';
import { MetaCounts } from './meta-counts.ts';
import { ROLLUP_SOURCE_COLUMNS, RollupDelta, type RollupSource } from '../rollup/tables.ts';
import { createRollupWriter } from './rollups.ts';
import { foldOf } from './rollup-fold.ts';

/** What a deletion selects of each record: its seq, org, metadata and what the rollups read. */
export const ERASE_COLUMNS = ['seq', 'field_9', ...ROLLUP_SOURCE_COLUMNS].join(', ');

/**
 * A deletion of records, run by the writer thread in one IMMEDIATE transaction: `select` picks the records (their
 * seq, org_id and field_9, at most as many as it says), and every structure kept beside them is brought down with
 * them in the same transaction. `audit`, when given, is appended in that transaction with the count added to its
 * details.
 */
export interface EraseRequest {
  select: { sql: string; params: unknown[]; named: Record<string, unknown> };
  /**
   * The records already found by a reader thread (off the writer, which a scan would hold up), with the condition
   * that selected them (`where`, its parameters, then the named @org): the transaction takes those still matching
   * and the matches inserted since (seq above the snapshot's top). Only while records_changes is what the snapshot
   * saw: a deletion in between could have freed the top seq for a new record, and `select` then runs whole.
   */
  found?: { snapshot: SeqSnapshot; where: string; params: unknown[] };
  audit?: { orgId: string; at: number; actor: string; action: string; details: Record<string, unknown> };
}

/** Seqs a reader thread found, in a snapshot whose highest seq was `top` and records_changes `changes`. */
export interface SeqSnapshot {
  seqs: number[];
  top: number;
  changes: number;
}

/** Seqs per statement when taking the found records again. */
const SEQS_PER_STATEMENT = 500;

type Found = RollupSource & { seq: number; org_id: string; field_9: string | null };

/**
 * Returns the function that runs an EraseRequest and answers how many records it deleted. What a deleted record
 * takes with it, so that every count stays exact (docs/lifecycle.md):
 * - its record_meta rows, found by their whole key: the org, and each top-level scalar of its field_9 as the insert
 *   indexed it (metaTag, metaValue: the same functions on the same JSON);
 * - its share of org_record_counts and of meta_value_counts, whose rows that fall below 2 are dropped (a value held
 *   by one record at most has no row, meta-counts.ts);
 * - its share of the rollups, sketches included: of the tables' rows when it was folded, else of the tail (rollup-fold.ts);
 * - remembered counts: the records_changes trigger (migration 7) bumps on every DELETE, so they are taken again.
 */
export function createEraser(db: Database.Database): (request: EraseRequest) => number {
  const erase = createErasure(db);
  return (request) => erase.immediate(request);
}

/**
 * createEraser's deletion as better-sqlite3's transaction function: `.immediate` runs it in a transaction of its own;
 * called inside an open transaction (a group commit that carries a slice of a retention run, expiry.ts) it runs in a
 * savepoint, so that a failure takes back its own changes only.
 */
export function createErasure(db: Database.Database): Database.Transaction<(request: EraseRequest) => number> {
  const deleteRecord = db.prepare('DELETE FROM records WHERE seq = ?');
  const deleteMeta = db.prepare('DELETE FROM record_meta WHERE org_id = ? AND k = ? AND t = ? AND v = ? AND seq = ?');
  const uncount = db.prepare('UPDATE org_record_counts SET n = n - ? WHERE org_id = ?');
  const unbump = db.prepare('UPDATE meta_value_counts SET n = n - ? WHERE org_id = ? AND k = ? AND t = ? AND v = ?');
  const dropFew = db.prepare('DELETE FROM meta_value_counts WHERE org_id = ? AND k = ? AND t = ? AND v = ? AND n < 2');
  const writeRollups = createRollupWriter(db);
  const fold = foldOf(db);
  const audit = db.prepare('INSERT INTO audit_log (org_id, at, actor, action, details) VALUES (?, ?, ?, ?, ?)');

  const changesNow = db.prepare('SELECT n FROM records_changes').pluck();
  const select = (request: EraseRequest): Found[] => {
    const { found, select } = request;
    if (!found || changesNow.get() !== found.snapshot.changes) return db.prepare(select.sql).all(...select.params, select.named) as Found[];
    const rows: Found[] = [];
    const { seqs, top } = found.snapshot;
    for (let i = 0; i < seqs.length; i += SEQS_PER_STATEMENT) {
      const chunk = seqs.slice(i, i + SEQS_PER_STATEMENT);
      const sql = `SELECT ${ERASE_COLUMNS} FROM records WHERE seq IN (${chunk.map(() => '?').join(', ')}) AND ${found.where}`;
      rows.push(...(db.prepare(sql).all(...chunk, ...found.params, select.named) as Found[]));
    }
    const since = `SELECT ${ERASE_COLUMNS} FROM records WHERE seq > ? AND ${found.where}`;
    rows.push(...(db.prepare(since).all(top, ...found.params, select.named) as Found[]));
    return rows;
  };

  const erase = db.transaction((request: EraseRequest): number => {
    try {
      return eraseRows(request);
    } catch (err) {
      fold.invalidate(); // its transaction (or savepoint) is rolled back: what it took out of the tail comes back
      throw err;
    }
  });
  const eraseRows = (request: EraseRequest): number => {
    fold.check(); // the tail checked (and read, if it is not known) before its records go (else taken out twice)
    const rows = select(request);
    const perOrg = new Map<string, number>();
    const perValue = new MetaCounts();
    const rollups = new RollupDelta();
    for (const row of rows) {
      const meta = row.field_9 === null ? null : (JSON.parse(row.field_9) as unknown);
      if (meta !== null && typeof meta === 'object' && !Array.isArray(meta)) {
        for (const [k, v] of Object.entries(meta)) {
          const tag = metaTag(v);
          if (!tag) continue;
          const value = metaValue(v as string | number | boolean | null);
          if (deleteMeta.run(row.org_id, k, tag, value, row.seq).changes === 1) perValue.add(row.org_id, k, tag, value);
        }
      }
      if (deleteRecord.run(row.seq).changes === 1) {
        perOrg.set(row.org_id, (perOrg.get(row.org_id) ?? 0) + 1);
        fold.deleted(row, rollups);
      }
    }
    for (const [org, n] of perOrg) uncount.run(n, org);
    for (const [org, k, t, v, n] of perValue.entries()) {
      unbump.run(n, org, k, t, v);
      dropFew.run(org, k, t, v);
    }
    writeRollups(rollups);
    fold.lower();
    const count = rows.length;
    const a = request.audit;
    if (a) audit.run(a.orgId, a.at, a.actor, a.action, JSON.stringify({ ...a.details, count }));
    return count;
  };
  return erase;
}
