import { AppError } from '../errors.ts';
import { validateCreateBody, type CreateInput } from '../fields/validate.ts';
import type { RecordsService } from '../records/service.ts';
import type { HeldEvent, HeldEventBounds, JoinOutcome, SpanRef } from '../store/span-events.ts';
import type { Store } from '../store/types.ts';
import { SpanProblem } from './attributes.ts';
import { OtlpDecodeError, traceSpans, type Encoding, type PendingSpan } from './decode.ts';
import { logRecords } from './decode-logs.ts';
import { mapLogRecord } from './map-event.ts';
import { mapSpan, recordTail } from './map-span.ts';
import type { ExportResult } from './reply.ts';
import { SLICE_ITEMS, slicer } from './slicer.ts';

export { SLICE_ITEMS } from './slicer.ts';

/** What became of a span: made into a record and committed (a span sent again included), rejected, or ignored (not an LLM span). */
export type SpanOutcomeLabel = 'accepted' | 'rejected' | 'ignored';
/** What became of a log record: a GenAI event taken (joined or held), rejected, or ignored (not a GenAI event, no span, no content). */
export type LogOutcomeLabel = 'accepted' | 'rejected' | 'ignored';
/**
 * What became of held events (of any request): joined into their record; late (the record already had that side,
 * so they were dropped); dropped past the bounds; expired.
 */
export type HeldOutcomeLabel = 'joined' | 'late' | 'dropped' | 'expired';

export interface OtlpIngest {
  /**
   * Stores the LLM spans of an ExportTraceServiceRequest as records, then gives each record whose field_1 or field_2
   * is empty the GenAI events held for its span; resolves once all of it is committed, with the spans rejected and
   * why. Throws 400 bad_request when the body does not decode (nothing stored), and the write queue's 503s
   * (overloaded, store_unavailable) as a create does.
   */
  traces(orgId: string, body: Uint8Array, encoding: Encoding): Promise<ExportResult>;
  /**
   * Takes the GenAI events of an ExportLogsServiceRequest: each fills its span's record where that side is empty,
   * or is held until the span arrives; resolves once that is committed, with the log records rejected and why. Other
   * log records are ignored. Throws 400 bad_request when the body does not decode (nothing stored).
   */
  logs(orgId: string, body: Uint8Array, encoding: Encoding): Promise<ExportResult>;
}

export interface OtlpIngestOptions {
  /** Spans by outcome, once per request. */
  onSpans?: (outcome: SpanOutcomeLabel, spans: number) => void;
  /** Log records by outcome, once per request. */
  onLogRecords?: (outcome: LogOutcomeLabel, records: number) => void;
  /** Held events by outcome, once per join. */
  onHeldEvents?: (outcome: HeldOutcomeLabel, events: number) => void;
  /** At the end of each slice of a request's work on the event loop (slicer.ts): how many items it read. For tests. */
  onSlice?: (items: number) => void;
}

/** Where GenAI events wait for their spans, and how much may wait. */
export interface HeldEvents {
  store: Pick<Store, 'joinSpanEvents'>;
  bounds: HeldEventBounds;
}

/** The reasons partial_success lists; the count covers every rejected span. */
const REASONS_LISTED = 10;

/** The span's problem as one line, or the validator's details as one. */
function reasonOf(err: unknown): string | null {
  if (err instanceof SpanProblem) return err.message;
  if (err instanceof AppError && err.code === 'validation_error')
    return err.details.length > 0 ? err.details.map((d) => `${d.field}: ${d.message}`).join(', ') : err.message;
  return null;
}

/** The partial-success message: the first REASONS_LISTED reasons, and how many more. */
function resultOf(reasons: readonly string[]): ExportResult {
  const listed = reasons.slice(0, REASONS_LISTED).join('; ');
  const more = reasons.length > REASONS_LISTED ? ` (and ${reasons.length - REASONS_LISTED} more)` : '';
  return { rejected: reasons.length, errorMessage: reasons.length > 0 ? `${listed}${more}` : '' };
}

/**
 * OTLP ingest. Traces: read the request's outer levels first, so that a body that does not decode stores nothing;
 * then span by span: read, map (map-span.ts), validate as a create body, and hand to the records service's writes
 * (RecordsService.openWrites, a slice's records at a time), the path of any create (derive, pricing, encode, the
 * store's insert and counts): on SQLite one transaction open while the rest are read and committed once at the end,
 * its records written again through the write queue's group commits if it fails; on PostgreSQL the write queue's
 * group commits. So the store writes the first spans while the rest are read; once every record is committed, the records
 * with an empty field_1 or field_2 take the events held for their spans. Logs: decode and map (map-event.ts) every
 * log record first, then hold and join the GenAI events in the store (Store.joinSpanEvents). The work is cut in
 * slices of SLICE_ITEMS (slicer.ts).
 */
export function createOtlpIngest(records: RecordsService, held: HeldEvents, opts: OtlpIngestOptions = {}): OtlpIngest {
  const count = (outcome: SpanOutcomeLabel, n: number) => {
    if (n > 0) opts.onSpans?.(outcome, n);
  };
  const countLogs = (outcome: LogOutcomeLabel, n: number) => {
    if (n > 0) opts.onLogRecords?.(outcome, n);
  };
  const join = async (orgId: string, events: HeldEvent[], spans: SpanRef[]): Promise<void> => {
    const outcome: JoinOutcome = await held.store.joinSpanEvents(orgId, events, spans, held.bounds, Date.now());
    for (const label of ['joined', 'late', 'dropped', 'expired'] as const)
      if (outcome[label] > 0) opts.onHeldEvents?.(label, outcome[label]);
  };

  return {
    async traces(orgId, body, encoding) {
      const slice = slicer(opts.onSlice);
      let spans: PendingSpan[];
      try {
        spans = await traceSpans(body, encoding, slice.end);
      } catch (err) {
        if (err instanceof OtlpDecodeError)
          throw new AppError('bad_request', `The body is not an OTLP ExportTraceServiceRequest (${encoding}): ${err.message}`);
        throw err;
      }
      const reasons: string[] = [];
      const reject = (spanId: string, reason: string) => reasons.push(spanId ? `span ${spanId.slice(0, 32)}: ${reason}` : reason);
      // Records go to the store a slice's worth at a time (RecordWrites: on SQLite into one transaction that stays
      // open while the rest are read, committed once at the end), so that the store writes them while the event loop
      // reads the next spans. Only the span's ids are kept for after the commit: the create body is garbage as soon as
      // it is encoded.
      const writes = records.openWrites(orgId);
      const written = new Map<string, { traceId: string; spanId: string; empty: boolean }>();
      let ready: { input: CreateInput; id: string }[] = [];
      /** Hands the ready records over; false once the write queue refused one (it is full). */
      const handOver = (): boolean => {
        const items = ready;
        ready = [];
        return items.length === 0 || writes.add(items);
      };
      const ids = new Set<string>();
      let ignored = 0;
      try {
        for (const pending of spans) {
          await slice.item();
          const span = pending.read();
          if (span instanceof SpanProblem) {
            reject('', span.message);
            continue;
          }
          let input: CreateInput;
          let id: string;
          try {
            const outcome = mapSpan(orgId, span, pending.resource);
            if (outcome.kind === 'ignored') {
              ignored++;
              continue;
            }
            input = validateCreateBody(outcome.body);
            id = outcome.id;
          } catch (err) {
            const reason = reasonOf(err);
            if (reason === null) throw err;
            reject(span.spanId, reason);
            continue;
          }
          if (ids.has(id)) continue; // the same span twice in one request: one record
          ids.add(id);
          written.set(id, { traceId: span.traceId, spanId: span.spanId, empty: input.field_1 == null || input.field_2 == null });
          ready.push({ input, id });
          if (ready.length === SLICE_ITEMS && !handOver()) break;
        }
        handOver();
      } catch (err) {
        writes.abort(); // a fault of ours mid-way: the open transaction is rolled back, nothing more is written
        throw err;
      }
      slice.done();
      count('ignored', ignored);
      const failures = await writes.end(); // throws the queue's overloaded once what it took is committed
      let accepted = 0;
      for (const [id, { spanId }] of written) {
        const err = failures.get(id);
        if (err === undefined) accepted++;
        else if (err instanceof AppError && err.code === 'unstorable_record') reject(spanId, err.message);
        else throw err; // store_unavailable: a 503, retried by the exporter; what was committed is not stored twice
      }
      // After the records commit, so that events held meanwhile by a logs request are found (Store.joinSpanEvents).
      const open = [...written].flatMap(([id, { traceId, spanId, empty }]) =>
        empty && !failures.has(id) ? [{ traceId, spanId, recordTail: recordTail(orgId, traceId, spanId) }] : [],
      );
      if (open.length > 0) await join(orgId, [], open);
      count('accepted', accepted);
      count('rejected', reasons.length);
      return resultOf(reasons);
    },

    async logs(orgId, body, encoding) {
      const slice = slicer(opts.onSlice);
      const reasons: string[] = [];
      const events: HeldEvent[] = [];
      let accepted = 0;
      const ignored = { not_genai: 0, no_span: 0, no_content: 0 };
      try {
        for (const item of await logRecords(body, encoding, slice.end)) {
          await slice.item();
          if (item instanceof SpanProblem) {
            reasons.push(item.message);
            continue;
          }
          try {
            const outcome = mapLogRecord(orgId, item);
            if (outcome.kind === 'ignored') ignored[outcome.why]++;
            else {
              accepted++;
              events.push(...outcome.events);
            }
          } catch (err) {
            if (!(err instanceof SpanProblem)) throw err;
            reasons.push(`log record${item.spanId ? ` of span ${item.spanId.slice(0, 32)}` : ''}: ${err.message}`);
          }
        }
      } catch (err) {
        if (err instanceof OtlpDecodeError)
          throw new AppError('bad_request', `The body is not an OTLP ExportLogsServiceRequest (${encoding}): ${err.message}`);
        throw err;
      }
      slice.done();
      if (events.length > 0) await join(orgId, events, []);
      countLogs('accepted', accepted);
      countLogs('ignored', ignored.not_genai + ignored.no_span + ignored.no_content);
      countLogs('rejected', reasons.length);
      return resultOf(reasons);
    },
  };
}
