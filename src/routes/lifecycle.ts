import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AppError } from '../errors.ts';
import { callerKey, callerOrg } from '../http/api-scope.ts';
import { eraseRecords } from '../records/erase.ts';
import { csvHeader, exportPages, type ExportProgress } from '../records/export.ts';
import type { Store } from '../store/types.ts';
import { parseExportRequest } from './export-request.ts';

const CONTENT_TYPE = { jsonl: 'application/x-ndjson; charset=utf-8', csv: 'text/csv; charset=utf-8' } as const;

/** Export and erasure of records (docs/lifecycle.md), in the authenticated /api scope. */
export function registerLifecycleRoutes(api: FastifyInstance, store: Store, onExportPage: (records: number) => void = () => {}): void {
  api.post('/records/erase', { config: { scope: 'admin' } }, async (request) => {
    // Everything an erasure takes is in its body: a query parameter (a time range, a dry run) would narrow nothing,
    // and a destructive route does not ignore what its caller meant.
    const given = Object.keys((request.query ?? {}) as object);
    if (given.length > 0)
      throw new AppError(
        'invalid_query_parameter',
        `Query parameter ${given[0]} is not taken by an erasure: it erases what its body's "filters" select, and nothing else`,
        given.map((field) => ({ field, message: 'not taken by an erasure' })),
      );
    const caller = callerKey(request);
    return { count: await eraseRecords(store, caller.orgId, request.body, caller.keyId) };
  });

  /**
   * Streamed page by page: the first page is read before the reply starts, so that a refusal (overloaded,
   * query_timeout) is still an error reply; then each page is read only once the stream asks for more, which it does
   * when the socket has taken the last (highWaterMark 1: one page waits at most). A client that goes away destroys
   * the stream (Fastify does on close), which ends the generator at its next page: the read stops.
   */
  const exportRoute = async (request: FastifyRequest, reply: FastifyReply) => {
    const q = parseExportRequest(request);
    const orgId = callerOrg(request);
    const progress: ExportProgress = { records: 0, pages: 0 };
    const pages = exportPages(store, orgId, q, progress, onExportPage);
    const first = await pages.next();
    async function* text(): AsyncGenerator<Buffer | string> {
      let complete = false;
      try {
        if (q.format === 'csv') yield csvHeader();
        if (!first.done) {
          yield first.value;
          yield* pages;
        }
        complete = true;
      } finally {
        if (!complete) await pages.return(undefined);
        request.log.info(
          { org: orgId, format: q.format, records: progress.records, pages: progress.pages, complete },
          complete ? 'export complete' : 'export stopped before its end (the client went away)',
        );
      }
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return reply
      .type(CONTENT_TYPE[q.format])
      .header('content-disposition', `attachment; filename="tally-records-${stamp}.${q.format}"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(text(), { highWaterMark: 1 }));
  };
  api.get('/records/export', { config: { scope: 'read' } }, exportRoute);
  api.post('/records/export', { config: { scope: 'read' } }, exportRoute);
}
