import { parentPort, workerData } from 'node:worker_threads';
import type { EncodedRecord } from '../encoded-record.ts';
import { createInserter } from './insert.ts';
import { openSqlite } from './open.ts';

/**
 * The writer thread: owns the write connection, so that encoding rows, inserting them and waiting for the
 * fsync of each commit never block the event loop that serves requests.
 */
export interface WriteRequest {
  id: number;
  records: Pick<EncodedRecord, 'values' | 'metadata'>[];
}
export interface WriteReply {
  id: number;
  error?: string;
}

const db = openSqlite((workerData as { file: string }).file);
db.pragma('cache_size = -16384'); // inserts touch only the right edge of each index: a small cache does
const insert = createInserter(db);
parentPort!.on('message', (msg: WriteRequest | 'close') => {
  if (msg === 'close') {
    db.close();
    process.exit(0);
  }
  try {
    insert(msg.records);
    parentPort!.postMessage({ id: msg.id } satisfies WriteReply);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) } satisfies WriteReply);
  }
});
