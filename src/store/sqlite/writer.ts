import { parentPort, workerData } from 'node:worker_threads';
import type { EncodedRecord } from '../encoded-record.ts';
import { createInserter, createRowWriter } from './insert.ts';
import { openSqliteWriter } from './open.ts';

/**
 * The writer thread: owns the write connection, so that encoding rows, inserting them and waiting for the
 * fsync of each commit never block the event loop that serves requests.
 *
 * An insert arrives whole (one message, one transaction) or in chunks: `first` opens an IMMEDIATE transaction
 * and inserts, `more` inserts, `last` inserts and commits, `abort` rolls back. The chunks of one insert are
 * posted by one synchronous loop on the event loop (writer-client.ts), so no other message comes between them;
 * the thread inserts each chunk while the event loop is still encoding the next. Only `last` and `abort` are
 * answered; a chunk that fails rolls the transaction back at once, and its insert is answered with that error.
 */
export interface WriteRequest {
  id: number;
  part: 'whole' | 'first' | 'more' | 'last' | 'abort';
  records: Pick<EncodedRecord, 'values' | 'metadata'>[];
}
export interface WriteReply {
  id: number;
  error?: string;
}

const db = openSqliteWriter((workerData as { file: string }).file);
const insert = createInserter(db);
const writeRows = createRowWriter(db);
/** The chunked insert whose transaction is open, and the first error it met. */
let open: { id: number; error: string | null } | null = null;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const reply = (id: number, error: string | null) => parentPort!.postMessage((error === null ? { id } : { id, error }) satisfies WriteReply);

function rollback(): void {
  if (db.inTransaction) db.exec('ROLLBACK');
}

function chunk(msg: WriteRequest): void {
  if (msg.part === 'first') {
    rollback(); // never left open by an earlier insert; a guard, not a path
    open = { id: msg.id, error: null };
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      open.error = message(err);
    }
  }
  if (open === null || open.id !== msg.id) return reply(msg.id, 'a chunk arrived outside its insert'); // a bug, never seen
  if (open.error === null && msg.part !== 'abort') {
    try {
      writeRows(msg.records);
    } catch (err) {
      open.error = message(err);
      rollback();
    }
  }
  if (msg.part === 'last' || msg.part === 'abort') {
    if (open.error === null && msg.part === 'abort') open.error = 'the insert was abandoned before its last chunk';
    if (open.error === null) {
      try {
        db.exec('COMMIT');
      } catch (err) {
        open.error = message(err);
      }
    }
    if (open.error !== null) rollback();
    reply(msg.id, open.error);
    open = null;
  }
}

parentPort!.on('message', (msg: WriteRequest | 'close') => {
  if (msg === 'close') {
    rollback();
    db.close();
    process.exit(0);
  }
  if (msg.part !== 'whole') return chunk(msg);
  try {
    insert(msg.records);
    reply(msg.id, null);
  } catch (err) {
    reply(msg.id, message(err));
  }
});
