import { validateCreateBody, type CreateInput } from '../src/fields/validate.ts';
import { mapSpan } from '../src/otlp/map-span.ts';
import { OTLP } from '../src/otlp/proto.ts';
import { protobufSpans } from '../src/otlp/decode.ts';
import { SpanProblem } from '../src/otlp/attributes.ts';
import { BENCH_ORG } from './processes.ts';
import { chatRecord } from './record-body.ts';

/**
 * The OTLP requests of the otlp scenario: span i is chatRecord(i) as OpenTelemetry's GenAI conventions send it
 * (gen_ai.operation.name chat, the model, the usage, gen_ai.input.messages / gen_ai.output.messages as JSON in the
 * parts form, user and conversation ids, the metadata keys as attributes, the duration as the span's), so that the
 * records Tally makes of it are the rows of the storage floor (storageFloor's `bodies`). One trace per request.
 */

const TRACE_MARK = Buffer.from('7a11e7a11e7a11e7a11e7a11e7a11e7a', 'hex');
const SERVICE = 'bench-otlp';

const attr = (key: string, value: unknown) => ({
  key,
  value:
    typeof value === 'string'
      ? { stringValue: value }
      : Number.isInteger(value)
        ? { intValue: value as number }
        : { doubleValue: value as number },
});

const parts = (m: { role: string; content: string }) => ({ role: m.role, parts: [{ type: 'text', content: m.content }] });

function spanOf(i: number, startNanos: bigint): Record<string, unknown> {
  const r = chatRecord(i) as {
    field_4: string;
    field_1: { role: string; content: string }[];
    field_2: { role: string; content: string };
    field_5: { sub_field_a: number; sub_field_b: number };
    field_7: number;
    field_8: number;
    field_10: string;
    field_11: string;
    field_9: Record<string, string>;
  };
  const spanId = Buffer.alloc(8);
  spanId.writeUInt32BE(i + 1, 4);
  return {
    traceId: TRACE_MARK,
    spanId,
    name: `chat ${r.field_4}`,
    kind: 3,
    startTimeUnixNano: startNanos,
    endTimeUnixNano: startNanos + BigInt(Math.round(r.field_7 * 1e9)),
    attributes: [
      attr('gen_ai.operation.name', 'chat'),
      attr('gen_ai.provider.name', 'openai'),
      attr('gen_ai.request.model', r.field_4),
      attr('gen_ai.usage.input_tokens', r.field_5.sub_field_a),
      attr('gen_ai.usage.output_tokens', r.field_5.sub_field_b),
      attr('gen_ai.input.messages', JSON.stringify(r.field_1.map(parts))),
      attr('gen_ai.output.messages', JSON.stringify([{ ...parts(r.field_2), finish_reason: 'stop' }])),
      attr('gen_ai.response.time_to_first_chunk', r.field_8),
      attr('user.id', r.field_10),
      attr('gen_ai.conversation.id', r.field_11),
      ...Object.entries(r.field_9).map(([k, v]) => attr(k, v)),
    ],
    status: {},
  };
}

/** A protobuf ExportTraceServiceRequest of spans first … first + n - 1, starting at startNanos, 1 µs apart. */
export function otlpRequest(first: number, n: number, startNanos: bigint): Buffer {
  const message = OTLP.ExportTraceServiceRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [attr('service.name', SERVICE)] },
        scopeSpans: [
          {
            scope: { name: 'bench', version: '1' },
            spans: Array.from({ length: n }, (_, i) => spanOf(first + i, startNanos + BigInt(i) * 1000n)),
          },
        ],
      },
    ],
  });
  return Buffer.from(OTLP.ExportTraceServiceRequest.encode(message).finish());
}

/**
 * A request to send again and again, each time as new spans: `next()` writes a new trace id over the marked one
 * and moves every span's start and end on by `spans` µs, so that every request's spans are new records (a span
 * sent again is stored once) whose timestamps rise, as the floor's rows do. next() returns the same Buffer.
 */
export function rollingRequest(spans: number): { body: Buffer; next(): Buffer } {
  const startNanos = BigInt(Date.now()) * 1_000_000n;
  const body = otlpRequest(0, spans, startNanos);
  const traceAt: number[] = [];
  for (let at = body.indexOf(TRACE_MARK); at !== -1; at = body.indexOf(TRACE_MARK, at + 16)) traceAt.push(at);
  if (traceAt.length !== spans) throw new Error(`found the trace id ${traceAt.length} times in ${spans} spans`);
  // startTimeUnixNano is field 7 and endTimeUnixNano field 8, both fixed64: tags 0x39 and 0x41, right after the ids
  const timeAt: number[] = [];
  for (let i = 0; i < spans; i++) {
    const start = startNanos + BigInt(i) * 1000n;
    const tagged = Buffer.alloc(9, 0x39);
    tagged.writeBigUInt64LE(start, 1);
    const at = body.indexOf(tagged, traceAt[i]);
    if (at === -1 || body[at + 9] !== 0x41) throw new Error(`span ${i}'s times are not where they were looked for`);
    timeAt.push(at + 1, at + 10);
  }
  let n = 0;
  return {
    body,
    next() {
      n++;
      const trace = Buffer.alloc(16);
      trace.writeUInt32BE(0x7a11e000, 0);
      trace.writeUInt32BE(process.pid, 4);
      trace.writeUInt32BE(n, 12);
      for (const at of traceAt) trace.copy(body, at);
      const shift = BigInt(spans) * 1000n;
      for (const at of timeAt) body.writeBigUInt64LE(body.readBigUInt64LE(at) + shift, at);
      return body;
    },
  };
}

/** The create bodies Tally makes of spans 0 … n - 1 (decoded, mapped and validated as /v1/traces does). */
export function otlpRowBodies(n: number): CreateInput[] {
  const out: CreateInput[] = [];
  const body = otlpRequest(0, n, BigInt(Date.now()) * 1_000_000n);
  for (const pending of protobufSpans(body)) {
    const span = pending.read();
    if (span instanceof SpanProblem) throw span;
    const mapped = mapSpan(BENCH_ORG, span, pending.resource);
    if (mapped.kind !== 'record') throw new Error('a bench span was ignored');
    out.push(validateCreateBody(mapped.body));
  }
  return out;
}
