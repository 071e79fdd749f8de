import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { AppError } from '../errors.ts';
import { validateCreateBody, type CreateInput } from '../fields/validate.ts';
import type { RecordsService } from '../records/service.ts';
import { SpanProblem } from './attributes.ts';
import { OtlpDecodeError, traceSpans, type Encoding } from './decode.ts';
import { mapSpan } from './map-span.ts';
import type { ExportResult } from './reply.ts';

/** What became of a span: made into a record and committed (a span sent again included), rejected, or ignored (not an LLM span). */
export type SpanOutcomeLabel = 'accepted' | 'rejected' | 'ignored';

export interface OtlpIngest {
  /**
   * Stores the LLM spans of an ExportTraceServiceRequest as records; resolves once every one is committed, with
   * the spans rejected and why. Throws 400 bad_request when the body does not decode (nothing stored), and the
   * write queue's 503s (overloaded, store_unavailable) as a create does.
   */
  traces(orgId: string, body: Uint8Array, encoding: Encoding): Promise<ExportResult>;
}

export interface OtlpIngestOptions {
  /** Spans by outcome, once per request. */
  onSpans?: (outcome: SpanOutcomeLabel, spans: number) => void;
}

/** How long a request works on the event loop before it lets others run (ms). */
const SLICE_MS = 2;
/** The reasons partial_success lists; the count covers every rejected span. */
const REASONS_LISTED = 10;

/** The span's problem as one line, or the validator's details as one. */
function reasonOf(err: unknown): string | null {
  if (err instanceof SpanProblem) return err.message;
  if (err instanceof AppError && err.code === 'validation_error')
    return err.details.length > 0 ? err.details.map((d) => `${d.field}: ${d.message}`).join(', ') : err.message;
  return null;
}

/**
 * OTLP trace ingest: decode, map (map-span.ts) and validate every span first, so that a body that does not decode
 * stores nothing; then each record goes through the records service's write, the path of any create (derive,
 * pricing, the write queue's group commit, the counts). The work yields to the event loop every SLICE_MS.
 */
export function createOtlpIngest(records: RecordsService, opts: OtlpIngestOptions = {}): OtlpIngest {
  const count = (outcome: SpanOutcomeLabel, n: number) => {
    if (n > 0) opts.onSpans?.(outcome, n);
  };

  return {
    async traces(orgId, body, encoding) {
      let sliceStart = performance.now();
      const pause = async () => {
        if (performance.now() - sliceStart < SLICE_MS) return;
        await yieldToLoop();
        sliceStart = performance.now();
      };
      const reasons: string[] = [];
      const reject = (spanId: string, reason: string) => reasons.push(spanId ? `span ${spanId.slice(0, 32)}: ${reason}` : reason);
      const toWrite: { id: string; input: CreateInput }[] = [];
      const ids = new Set<string>();
      let ignored = 0;
      try {
        for (const item of traceSpans(body, encoding)) {
          await pause();
          if (item.span instanceof SpanProblem) {
            reject('', item.span.message);
            continue;
          }
          try {
            const outcome = mapSpan(orgId, item.span, item.resource);
            if (outcome.kind === 'ignored') {
              ignored++;
              continue;
            }
            const input = validateCreateBody(outcome.body);
            if (ids.has(outcome.id)) continue; // the same span twice in one request: one record
            ids.add(outcome.id);
            toWrite.push({ id: outcome.id, input });
          } catch (err) {
            const reason = reasonOf(err);
            if (reason === null) throw err;
            reject(item.span.spanId, reason);
          }
        }
      } catch (err) {
        if (err instanceof OtlpDecodeError)
          throw new AppError('bad_request', `The body is not an OTLP ExportTraceServiceRequest (${encoding}): ${err.message}`);
        throw err;
      }
      count('ignored', ignored);

      const writes: Promise<void>[] = [];
      let refusal: unknown = null;
      for (const { id, input } of toWrite) {
        await pause();
        try {
          writes.push(records.write(orgId, input, id));
        } catch (err) {
          refusal = err; // the queue is full: what it took is committed below, and the exporter retries the rest
          break;
        }
      }
      const settled = await Promise.allSettled(writes);
      if (refusal !== null) throw refusal;
      let accepted = 0;
      for (const [i, s] of settled.entries()) {
        if (s.status === 'fulfilled') accepted++;
        else if (s.reason instanceof AppError && s.reason.code === 'unstorable_record')
          reject(toWrite[i].input.field_12 ?? '', s.reason.message);
        else throw s.reason; // store_unavailable: a 503, retried by the exporter; what was committed is not stored twice
      }
      count('accepted', accepted);
      count('rejected', reasons.length);
      const listed = reasons.slice(0, REASONS_LISTED).join('; ');
      const more = reasons.length > REASONS_LISTED ? ` (and ${reasons.length - REASONS_LISTED} more)` : '';
      return { rejectedSpans: reasons.length, errorMessage: reasons.length > 0 ? `${listed}${more}` : '' };
    },
  };
}
