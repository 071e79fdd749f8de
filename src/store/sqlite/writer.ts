import { parentPort, workerData } from 'node:worker_threads';
import type { EncodedRecord } from '../encoded-record.ts';
import { createInserter } from './insert.ts';
import { openSqliteWriter } from './open.ts';

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

const db = openSqliteWriter((workerData as { file: string }).file);
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
