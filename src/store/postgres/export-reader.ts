import { parentPort, workerData } from 'node:worker_threads';
import { AppError } from '../../errors.ts';
import type { ListQuery } from '../types.ts';
import { listOn } from './list.ts';
import { connectionConfig, createPool } from './pool.ts';
import { createReadRunner } from './read.ts';

/**
 * The export thread (export-thread.ts): reads export pages on a connection of its own and makes their text here
 * (list.ts, export-sink.ts), so that the rows pg parses and the lines made from them are garbage of this thread's
 * small heap, not of the event loop's (docs/lifecycle.md has the measurement). One page per request, each within
 * the read budget as a list on the read pool is (read.ts); the page's bytes move to the event loop, not copied.
 */
export interface ExportRequest {
  id: number;
  orgId: string;
  query: ListQuery;
}

export interface ExportReply {
  id: number;
  /** The page: its text (absent when empty), whether more follow, its records and last id, the plan step. */
  page?: {
    buffer: ArrayBuffer;
    end: number;
    count: number | null;
    more: boolean;
    exported?: { records: number; lastId: string };
    step?: string;
  };
  /** A refusal meant for the client (query_timeout: an AppError's wire form). */
  refused?: ReturnType<AppError['toJSON']>['error'];
  /** Any other failure, with its code (SQLSTATE or socket error) for the event loop to tell an outage by. */
  error?: { message: string; code?: string };
}

export interface ExportThreadData {
  url: string;
  budgetMs: number;
}

const { url, budgetMs } = workerData as ExportThreadData;
const port = parentPort!;
const pool = createPool({ ...connectionConfig(url), application_name: 'tally export' }, 1, budgetMs, () => {
  // An idle connection lost: the pool drops it and opens another for the next page.
});
const reading = createReadRunner(pool, budgetMs);

async function answer({ id, orgId, query }: ExportRequest): Promise<ExportReply> {
  try {
    const found = await reading((rows, each) => listOn(rows, each, orgId, query));
    const bytes = found.page?.bytes;
    return {
      id,
      page: {
        // An exact-size buffer of its own (export-sink.ts): it moves whole.
        buffer: (bytes?.buffer as ArrayBuffer | undefined) ?? new ArrayBuffer(0),
        end: found.page?.end ?? 0,
        count: found.count,
        more: found.more,
        exported: found.exported,
        step: found.step,
      },
    };
  } catch (err) {
    if (err instanceof AppError) return { id, refused: err.toJSON().error };
    const code = (err as { code?: unknown }).code;
    return { id, error: { message: err instanceof Error ? err.message : String(err), code: typeof code === 'string' ? code : undefined } };
  }
}

port.on('message', (msg: ExportRequest | 'close') => {
  if (msg === 'close') {
    void pool.end().finally(() => process.exit(0));
    return;
  }
  void answer(msg).then((reply) => port.postMessage(reply, reply.page && reply.page.buffer.byteLength > 0 ? [reply.page.buffer] : []));
});
port.postMessage('ready');
