import { parentPort, workerData } from 'node:worker_threads';
import type { DeadLetterRow } from '../dead-letter.ts';
import type { EncodedRecord } from '../encoded-record.ts';
import type { KeyWrite } from './key-writes.ts';
import { createKeyWriter } from './key-writes.ts';
import { createEraser, type EraseRequest } from './erase.ts';
import { createExpirer, type ExpireRequest, type Slice } from './expiry.ts';
import { registerFunctions } from './functions.ts';
import { createOrgWriter, type OrgWrite } from './org-writes.ts';
import { createRowWriter } from './insert.ts';
import { openSqliteWriter } from './open.ts';
import { DEFAULT_FOLD, type FoldOptions, foldOf } from './rollup-fold.ts';
import { createRollupRebuilder, type RebuildRequest } from './rollups.ts';
import { createSpanEventJoin, type JoinRequest } from './span-events.ts';

/**
 * The writer thread: owns the write connection, so that encoding rows, inserting them and waiting for the
 * fsync of each commit never block the event loop that serves requests.
 *
 * An insert arrives whole (one message, one transaction) or in chunks: `first` opens an IMMEDIATE transaction
 * and inserts, `more` inserts, `last` inserts and commits, `abort` rolls back. A batch's chunks are posted by one
 * synchronous loop on the event loop (writer-client.ts insert); an OTLP request's come as its spans are read, across
 * turns of the event loop (writer-client.ts openInsert). While an insert's transaction is open, every other message
 * (another insert, a group commit, a chore) is held, in order, and taken once that transaction ends; but a group
 * commit, a batch or a chore does not wait for an insert with `openMs`: that one is committed at once as below. The thread
 * inserts each chunk while the event loop is still making the next. Answered: `last` (or `abort`) with the insert's
 * outcome; at once, a chunk that fails (the transaction is rolled back then, and later chunks of that insert are
 * dropped); and an insert whose `first` set `openMs`, once that long has passed with its transaction open: what it
 * holds is committed then (or as soon as a write other than an insert's chunks waits), the answer says how many
 * records it took (`result.taken`), and its later chunks are dropped (their records go in another insert). While a retention run's expiry is pending, each insert's
 * transaction also deletes a slice of it before its COMMIT (expiry.ts).
 */
export interface WriteRequest {
  id: number;
  part: 'whole' | 'first' | 'more' | 'last' | 'abort';
  records: Pick<EncodedRecord, 'values' | 'metadata' | 'idempotency'>[];
  /** On `first`: the longest its transaction may stay open (ms) before what it holds is committed. */
  openMs?: number;
}
/** The answer's result for an insert committed by its openMs bound: how many of its records it took. */
export interface ClosedEarly {
  taken: number;
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

const { file, fold: foldOptions = DEFAULT_FOLD } = workerData as { file: string; fold?: FoldOptions };
const db = openSqliteWriter(file);
const writeRows = createRowWriter(db);
const fold = foldOf(db);
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
 * the time its chunks' inserts took (a slice of a pending expiry gets a share of it, expiry.ts).
 */
let open: {
  id: number;
  error: Failure | null;
  inserted: number;
  taken: number;
  ms: number;
  timer: NodeJS.Timeout | null;
} | null = null;
/** Messages held while an insert's transaction is open, in order of arrival. Never empty while nothing is open. */
const held: (WriteRequest | ChoreRequest)[] = [];
/** Inserts answered before their `last` (failed, or committed by their openMs): their later chunks are dropped. */
const closed = new Set<number>();

/** A failure as replied; what the fold held in memory is forgotten (a rollback may have taken some of it back). */
const failure = (err: unknown): Failure => {
  fold.invalidate();
  const code = (err as { code?: unknown }).code;
  return { error: err instanceof Error ? err.message : String(err), ...(typeof code === 'string' ? { code } : {}) };
};
const reply = (id: number, error: Failure | null, changes?: number, result?: unknown) =>
  parentPort!.postMessage({ id, ...error, changes, result } satisfies WriteReply);
const expirer = createExpirer(db, (id, error, outcome) => reply(id, error, outcome?.deleted, outcome));

function rollback(): void {
  if (!db.inTransaction) return;
  db.exec('ROLLBACK');
  fold.invalidate();
}

/** The fold's timer (rollup-fold.ts): armed while the tail may hold records. */
let foldTimer: NodeJS.Timeout | null = null;
/** performance.now() when the last message came. */
let lastMessage = performance.now();
/** After a fold failed (a full disk): no fold before this time (performance.now()), the wait doubling to 5 s. */
let foldAfter = 0;
let foldWait = 0;
const FOLD_WAIT_MAX_MS = 5_000;

/**
 * Folds the tail into the rollup tables when it is due (FoldOptions): once it holds `records`, once its oldest record
 * has waited `maxMs`, or when `idle` (nothing came for idleMs). Never while an insert is open or messages are held: a
 * fold is a transaction of its own between writes, bounded by `records` (or by a tail a crash left, read once).
 */
function foldIfDue(idle: boolean): void {
  if (open !== null || held.length > 0 || db.inTransaction || performance.now() < foldAfter) return;
  // Not known (at start, after a failure): read, with the version its next check compares, so that it is read once.
  if (fold.size() < 0) fold.check();
  const size = fold.size();
  if (size === 0) return;
  const age = fold.since === null ? 0 : performance.now() - fold.since;
  if (!idle && size < foldOptions.records && age < foldOptions.maxMs) return;
  try {
    fold.fold();
    foldWait = 0;
  } catch {
    // Kept in the tail (reads still add it up); tried again later, each failure waiting twice as long.
    foldWait = Math.min(FOLD_WAIT_MAX_MS, Math.max(foldOptions.idleMs, foldWait * 2));
    foldAfter = performance.now() + foldWait;
  }
}

function armFold(): void {
  if (foldTimer !== null || fold.size() === 0) return;
  foldTimer = setTimeout(() => {
    foldTimer = null;
    foldIfDue(performance.now() - lastMessage >= foldOptions.idleMs);
    armFold();
  }, foldOptions.idleMs);
  foldTimer.unref();
}

/** After a message (or an insert committed by its timer): a fold if one is due, and the timer armed. */
function afterWork(): void {
  foldIfDue(false);
  armFold();
}

/** Commits the open insert with a slice of a pending expiry; the failure if it failed. */
function commitOpen(o: NonNullable<typeof open>): Failure | null {
  let slice: Slice | null = null;
  let error: Failure | null = null;
  try {
    slice = expirer.slice(o.ms);
    db.exec('COMMIT');
  } catch (err) {
    error = failure(err);
    rollback();
  }
  expirer.settle(slice, error === null);
  return error;
}

/** The open insert has ended (answered): what was held meanwhile may go. */
function endOpen(): void {
  if (open?.timer) clearTimeout(open.timer);
  open = null;
}

/** Its openMs has passed: what the open insert holds is committed, and its later chunks are dropped. */
function closeEarly(id: number): void {
  if (open === null || open.id !== id) return;
  const o = open;
  o.timer = null;
  const error = commitOpen(o);
  closed.add(id);
  endOpen();
  reply(id, error, error === null ? o.inserted : undefined, error === null ? ({ taken: o.taken } satisfies ClosedEarly) : undefined);
  release();
  afterWork();
}

function chunk(msg: WriteRequest): void {
  if (msg.part === 'first') {
    rollback(); // never left open by an earlier insert; a guard, not a path
    open = { id: msg.id, error: null, inserted: 0, taken: 0, ms: 0, timer: null };
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      open.error = failure(err);
    }
    if (msg.openMs !== undefined && open.error === null) {
      const id = msg.id;
      open.timer = setTimeout(() => closeEarly(id), msg.openMs);
    }
  }
  if (open === null || open.id !== msg.id) {
    reply(msg.id, { error: 'a chunk arrived outside its insert' }); // a bug, never seen
    return;
  }
  if (open.error === null && msg.part !== 'abort') {
    const started = performance.now();
    try {
      open.inserted += writeRows(msg.records);
      open.taken += msg.records.length;
      open.ms += performance.now() - started;
    } catch (err) {
      open.error = failure(err);
      rollback();
    }
  }
  const ends = msg.part === 'last' || msg.part === 'abort';
  if (open.error === null && !ends) return;
  // Ended, or failed: answered now either way (a failed insert's later chunks are dropped, not waited for).
  const o = open;
  if (o.error === null && msg.part === 'abort') o.error = { error: 'the insert was abandoned before its last chunk' };
  if (o.error === null) o.error = commitOpen(o);
  else {
    rollback();
    expirer.settle(null, false);
  }
  if (!ends) closed.add(o.id);
  endOpen();
  reply(msg.id, o.error, o.error === null ? o.inserted : undefined);
}

/** Whether the message is part of an insert whose records come over time (its `first` set openMs). */
const overTime = (msg: WriteRequest | ChoreRequest): boolean =>
  'part' in msg && msg.part !== 'whole' && (msg.part !== 'first' || msg.openMs !== undefined);

/** Whether the message is a chunk of the open insert (or nothing is open): it is taken now, else held. */
const takenNow = (msg: WriteRequest | ChoreRequest): boolean => open === null || ('part' in msg && msg.id === open.id);

/** Takes a message: a chunk of an insert answered early is dropped; anything else is held while an insert is open. */
function receive(msg: WriteRequest | ChoreRequest): void {
  if ('part' in msg && closed.has(msg.id)) {
    if (msg.part === 'last' || msg.part === 'abort') closed.delete(msg.id); // its last message: nothing more comes
    return;
  }
  if (!takenNow(msg)) {
    held.push(msg);
    // A write other than another request's records coming over time (a group commit of creates, a batch, a chore)
    // does not wait for an insert whose records come over time (openMs): what that one holds is committed now, and
    // its later records go in another. Two such inserts take turns whole (each would otherwise cut the other short).
    if (open !== null && open.timer !== null && !overTime(msg)) closeEarly(open.id);
    return;
  }
  take(msg);
  release();
}

/**
 * Takes the held messages that may go now: all of them in order while nothing is open; once one opens an insert,
 * only that insert's chunks (the others wait on, in order). Bounded by the messages held.
 */
let releasing = false;
function release(): void {
  if (releasing) return;
  releasing = true;
  try {
    for (let i = 0; i < held.length; ) {
      const msg = held[i];
      if (!takenNow(msg)) {
        i++;
        continue;
      }
      held.splice(i, 1);
      const before = open;
      if ('part' in msg && closed.has(msg.id)) {
        if (msg.part === 'last' || msg.part === 'abort') closed.delete(msg.id);
      } else take(msg);
      if (open !== before) i = 0; // an insert opened or ended: look again from the first held
    }
  } finally {
    releasing = false;
  }
}

parentPort!.on('message', (msg: WriteRequest | ChoreRequest | 'close') => {
  if (msg === 'close') {
    rollback();
    db.close();
    process.exit(0);
  }
  lastMessage = performance.now();
  receive(msg);
  afterWork();
});
afterWork(); // a tail left by a crash (or a close) is read and folded in time

function take(msg: WriteRequest | ChoreRequest): void {
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
}

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
