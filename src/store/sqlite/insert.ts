import type Database from 'better-sqlite3';
import { RECORD_COLUMNS } from '../columns.ts';
import { orgOf, type EncodedRecord } from '../encoded-record.ts';
import { metaTag, metaValue } from './dialect.ts';
import { MetaCounts, metaCountWriter } from './meta-counts.ts';

const COLUMN_NAMES = RECORD_COLUMNS.map((c) => c.name);

type Row = Pick<EncodedRecord, 'values' | 'metadata'>;

/**
 * The insert of records, their record_meta rows and the counts kept beside them (per org, per metadata value),
 * on the given connection, inside whatever transaction is open: the counts of each call are added up once. Calling
 * it several times in one transaction (a batch written in chunks) gives the same rows and counts as one call with
 * every record, as several transactions would: each call's counts are additive, and metaCountWriter reads the
 * record_meta rows earlier calls wrote.
 */
export function createRowWriter(db: Database.Database): (records: Row[]) => void {
  const insertStmt = db.prepare(`INSERT INTO records (${COLUMN_NAMES.join(', ')}) VALUES (${COLUMN_NAMES.map(() => '?').join(', ')})`);
  const insertMeta = db.prepare('INSERT INTO record_meta (org_id, k, t, v, seq) VALUES (?, ?, ?, ?, ?)');
  const addCount = db.prepare('INSERT INTO org_record_counts (org_id, n) VALUES (?, ?) ON CONFLICT (org_id) DO UPDATE SET n = n + excluded.n');
  const addMetaCounts = metaCountWriter(db);
  return (records) => {
    const perOrg = new Map<string, number>();
    const perValue = new MetaCounts();
    for (const r of records) {
      const org = orgOf(r);
      perOrg.set(org, (perOrg.get(org) ?? 0) + 1);
      const seq = insertStmt.run(r.values).lastInsertRowid;
      for (const [k, v] of Object.entries(r.metadata ?? {})) {
        const tag = metaTag(v);
        if (!tag) continue;
        const value = metaValue(v as string | number | boolean | null);
        insertMeta.run(org, k, tag, value, seq);
        perValue.add(org, k, tag, value);
      }
    }
    for (const [org, n] of perOrg) addCount.run(org, n);
    addMetaCounts(perValue); // after the record_meta rows: it counts them
  };
}

/** createRowWriter's insert as one IMMEDIATE transaction of its own. */
export function createInserter(db: Database.Database): (records: Row[]) => void {
  const insertMany = db.transaction(createRowWriter(db));
  return (records) => {
    if (records.length > 0) insertMany.immediate(records);
  };
}
