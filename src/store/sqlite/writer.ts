import { parentPort, workerData } from 'node:worker_threads';
import type { DeadLetterRow } from '../dead-letter.ts';
import type { EncodedRecord } from '../encoded-record.ts';
import { RollupDelta } from '../rollup/tables.ts';
import type { KeyWrite } from './key-writes.ts';
import { createKeyWriter } from './key-writes.ts';
import { createEraser, type EraseRequest } from './erase.ts';
import { createExpirer, type ExpireRequest, type Slice } from './expiry.ts';
import { registerFunctions } from './functions.ts';
import { createOrgWriter, type OrgWrite } from './org-writes.ts';
import { createRowWriter } from './insert.ts';
import { openSqliteWriter } from './open.ts';
import { createRollupRebuilder, createRollupWriter, type RebuildRequest } from './rollups.ts';
import { createSpanEventJoin, type JoinRequest } from './span-events.ts';

/**
 * The writer thread: owns the write connection, so that encoding rows, inserting them and waiting for the
 * fsync of each commit never block the event loop that serves requests.
 *
 * An insert arrives whole (one message, one transaction) or in chunks: `first` opens an IMMEDIATE transaction
 * and inserts, `more` inserts, `last` inserts and commits, `abort` rolls back. The chunks of one insert are
 * posted by one synchronous loop on the event loop (writer-client.ts), so no other message comes between them;
 * the thread inserts each chunk while the event loop is still encoding the next. Only `last` and `abort` are
 * answered; a chunk that fails rolls the transaction back at once, and its insert is answered with that error.
 * While a retention run's expiry is pending, each insert's transaction also deletes a slice of it before its COMMIT
 * (expiry.ts).
 */
export interface WriteRequest {
  id: number;
  part: 'whole' | 'first' | 'more' | 'last' | 'abort';
  records: Pick<EncodedRecord, 'values' | 'metadata' | 'idempotency'>[];
}
/**
 * Work other than inserting records, each in a transaction of its own: accepted records the store refused, set
 * aside; expired Idempotency-Key rows deleted (the reply says how many); an API key created, revoked or marked
 * used (key-writes.ts); GenAI events held and joined to their spans' records (the reply carries the outcome);
 * records deleted with what is kept beside them (erase.ts); an org's retention or an audit entry (org-writes.ts); a
 * range of an org's rollups rebuilt (rollups.ts); or an org's expired records deleted in slices that ride the
 * commits (expiry.ts: answered once done, with an ExpireOutcome as its result).
 */
export type ChoreRequest = { id: number } & (
  | { deadLetters: DeadLetterRow[] }
  | { purgeIdempotencyKeys: { before: number; limit: number } }
  | { key: KeyWrite }
  | { joinSpanEvents: JoinRequest }
  | { erase: EraseRequest }
  | { org: OrgWrite }
  | { rebuildRollups: RebuildRequest }
  | { expire: ExpireRequest }
);
export interface WriteReply {
  id: number;
  error?: string;
  /** SQLite's result code (SQLITE_FULL, SQLITE_CONSTRAINT_UNIQUE, ...), when the error has one. */
  code?: string;
  /** Rows a chore changed; records an insert inserted. */
  changes?: number;
  /** What a chore answers beyond a count. */
  result?: unknown;
}

const db = openSqliteWriter((workerData as { file: string }).file);
const writeRows = createRowWriter(db);
const writeRollups = createRollupWriter(db);
const insertDeadLetter = db.prepare(
  'INSERT INTO dead_letters (org_id, id, reason, record, at) VALUES (@org_id, @id, @reason, @record, @at)',
);
const setAside = db.transaction((rows: DeadLetterRow[]) => {
  for (const row of rows) insertDeadLetter.run(row);
});
const joinSpanEvents = createSpanEventJoin(db);
const purgeKeys = db.prepare(
  'DELETE FROM idempotency_keys WHERE (org_id, key) IN (SELECT org_id, key FROM idempotency_keys WHERE created_at < ? LIMIT ?)',
);
const writeKey = createKeyWriter(db);
// An erasure selects its records with the list's filters, which call Tally's SQL functions (never past a deadline here).
registerFunctions(db);
const erase = createEraser(db);
const writeOrg = createOrgWriter(db);
const rebuildRollups = createRollupRebuilder(db);
/** A whole insert in one IMMEDIATE transaction, with a slice of the pending expiry (if any) before its COMMIT. */
let sliced: Slice | null = null;
const insertWhole = db.transaction((records: WriteRequest['records']) => {
  const started = performance.now();
  const inserted = writeRows(records);
  sliced = expirer.slice(performance.now() - started);
  return inserted;
});
/** A failure as the reply carries it. */
interface Failure {
  error: string;
  code?: string;
}
/**
 * The chunked insert whose transaction is open, the first error it met, how many records its chunks inserted, and
 * the rollups of its chunks, added up as they come and written once before the commit (insert.ts), and the time its
 * chunks' inserts took (a slice of a pending expiry gets a share of it, expiry.ts).
 */
let open: { id: number; error: Failure | null; inserted: number; rollups: RollupDelta; ms: number } | null = null;

const failure = (err: unknown): Failure => {
  const code = (err as { code?: unknown }).code;
  return { error: err instanceof Error ? err.message : String(err), ...(typeof code === 'string' ? { code } : {}) };
};
const reply = (id: number, error: Failure | null, changes?: number, result?: unknown) =>
  parentPort!.postMessage({ id, ...error, changes, result } satisfies WriteReply);
const expirer = createExpirer(db, (id, error, outcome) => reply(id, error, outcome?.deleted, outcome));

function rollback(): void {
  if (db.inTransaction) db.exec('ROLLBACK');
}

function chunk(msg: WriteRequest): void {
  if (msg.part === 'first') {
    rollback(); // never left open by an earlier insert; a guard, not a path
    open = { id: msg.id, error: null, inserted: 0, rollups: new RollupDelta(), ms: 0 };
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      open.error = failure(err);
    }
  }
  if (open === null || open.id !== msg.id) {
    reply(msg.id, { error: 'a chunk arrived outside its insert' }); // a bug, never seen
    return;
  }
  if (open.error === null && msg.part !== 'abort') {
    const started = performance.now();
    try {
      open.inserted += writeRows(msg.records, open.rollups);
      open.ms += performance.now() - started;
    } catch (err) {
      open.error = failure(err);
      rollback();
    }
  }
  if (msg.part === 'last' || msg.part === 'abort') {
    if (open.error === null && msg.part === 'abort') open.error = { error: 'the insert was abandoned before its last chunk' };
    let slice: Slice | null = null;
    if (open.error === null) {
      try {
        const started = performance.now();
        writeRollups(open.rollups);
        slice = expirer.slice(open.ms + performance.now() - started);
        db.exec('COMMIT');
      } catch (err) {
        open.error = failure(err);
      }
    }
    if (open.error !== null) rollback();
    expirer.settle(slice, open.error === null);
    reply(msg.id, open.error, open.error === null ? open.inserted : undefined);
    open = null;
  }
}

parentPort!.on('message', (msg: WriteRequest | ChoreRequest | 'close') => {
  if (msg === 'close') {
    rollback();
    db.close();
    process.exit(0);
  }
  if ('deadLetters' in msg) {
    run(msg.id, () => {
      setAside.immediate(msg.deadLetters);
      return undefined;
    });
  } else if ('joinSpanEvents' in msg) {
    try {
      reply(msg.id, null, undefined, joinSpanEvents(msg.joinSpanEvents));
    } catch (err) {
      reply(msg.id, failure(err));
    }
  } else if ('purgeIdempotencyKeys' in msg) {
    run(msg.id, () => purgeKeys.run(msg.purgeIdempotencyKeys.before, msg.purgeIdempotencyKeys.limit).changes);
  } else if ('key' in msg) {
    run(msg.id, () => writeKey(msg.key));
  } else if ('erase' in msg) {
    run(msg.id, () => erase(msg.erase));
  } else if ('rebuildRollups' in msg) {
    run(msg.id, () => rebuildRollups(msg.rebuildRollups));
  } else if ('org' in msg) {
    run(msg.id, () => writeOrg(msg.org));
  } else if ('expire' in msg) {
    expirer.request(msg.id, msg.expire);
  } else if (msg.part !== 'whole') {
    chunk(msg);
  } else {
    insertAndSlice(msg);
  }
});

function run(id: number, work: () => number | undefined): void {
  try {
    const changes = work();
    reply(id, null, typeof changes === 'number' ? changes : undefined);
  } catch (err) {
    reply(id, failure(err));
  }
}

function insertAndSlice(msg: WriteRequest): void {
  sliced = null;
  let committed = false;
  try {
    const inserted = msg.records.length > 0 ? insertWhole.immediate(msg.records) : 0;
    committed = true;
    reply(msg.id, null, inserted);
  } catch (err) {
    reply(msg.id, failure(err));
  }
  expirer.settle(sliced, committed);
}
