import { isUtf8 } from 'node:buffer';
import type protobuf from 'protobufjs';
import { attributeMap, SpanProblem, TwoMembers, type Attributes, type KeyValueMessage } from './attributes.ts';
import { OTLP } from './proto.ts';

/** How an OTLP/HTTP body is encoded: binary protobuf, or OTLP/JSON. */
export type Encoding = 'protobuf' | 'json';

/** The body does not decode as an export request: 400, nothing stored. */
export class OtlpDecodeError extends Error {}

/** The span status codes of trace.proto. */
export const STATUS_ERROR = 2;

/** One span as the mapping reads it: ids in lowercase hex ('' when absent), times in nanoseconds. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNanos: bigint;
  endNanos: bigint;
  attributes: Attributes;
  events: readonly { name: string; timeNanos: bigint; attributes: Attributes }[];
  status: { code: number; message: string };
}

/** The instrumentation scope that made a span. */
export interface Scope {
  name: string;
  version: string;
}

type Long = { low?: unknown; high?: unknown; toString(): string };
export type Message = Record<string, unknown>;

/**
 * A fixed64 time in nanoseconds: protobufjs gives a Long (its two 32-bit halves, read here as unsigned, as its
 * toString would, at a fraction of the cost of that decimal conversion), or a number (OTLP/JSON).
 */
export function nanos(v: unknown): bigint {
  if (v == null) return 0n;
  if (typeof v === 'number') return BigInt(Math.max(0, Math.trunc(v)));
  const { low, high } = v as Long;
  if (typeof low === 'number' && typeof high === 'number') return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  return BigInt((v as Long).toString());
}
export const hex = (v: unknown): string =>
  v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') : '';

/** A decoded Span message as an OtlpSpan; a value past the attribute limits makes it a SpanProblem. */
function toSpan(m: Message): OtlpSpan | SpanProblem {
  try {
    const status = (m.status ?? {}) as { code?: number; message?: string };
    return {
      traceId: hex(m.traceId),
      spanId: hex(m.spanId),
      parentSpanId: hex(m.parentSpanId),
      name: (m.name as string | undefined) ?? '',
      kind: (m.kind as number | undefined) ?? 0,
      startNanos: nanos(m.startTimeUnixNano),
      endNanos: nanos(m.endTimeUnixNano),
      attributes: attributeMap(m.attributes as KeyValueMessage[], 'the span'),
      events: ((m.events ?? []) as Message[]).slice(0, 1024).map((e) => ({
        name: (e.name as string | undefined) ?? '',
        timeNanos: nanos(e.timeUnixNano),
        attributes: attributeMap(e.attributes as KeyValueMessage[], `the event "${String(e.name ?? '').slice(0, 100)}"`),
      })),
      status: { code: status.code ?? 0, message: status.message ?? '' },
    };
  } catch (err) {
    if (err instanceof SpanProblem) return err;
    throw err;
  }
}

export function resourceOf(resource: unknown): Attributes {
  try {
    return attributeMap(((resource ?? {}) as Message).attributes as KeyValueMessage[], 'the resource');
  } catch (err) {
    if (err instanceof SpanProblem) throw new OtlpDecodeError(err.message);
    throw err;
  }
}

export function scopeOf(scope: unknown): Scope {
  const s = (scope ?? {}) as { name?: unknown; version?: unknown };
  return { name: typeof s.name === 'string' ? s.name : '', version: typeof s.version === 'string' ? s.version : '' };
}

/** What a protobufjs call threw (a truncated or malformed message; a stack overflow on absurd nesting), as a 400. */
export function decoding<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw err;
    throw new OtlpDecodeError(`${what} does not decode: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * One span's own decoding. The request around it decoded, so the span is delimited: when it alone does not decode
 * (protobufjs's nesting limit, a malformed field inside it), it is rejected and the rest of the request goes on.
 */
export function spanDecoding(where: string, run: () => Message): Message | SpanProblem {
  try {
    return run();
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw err;
    if (err instanceof SpanProblem) return err;
    return new SpanProblem(`${where} does not decode: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A span of the request, not yet read: its resource and scope, already read with the request's outer levels, and
 * a read of the span itself, or why it cannot be read: a span-level problem, so the span is rejected and the request
 * goes on.
 */
export interface PendingSpan {
  resource: Attributes;
  scope: Scope;
  read(): OtlpSpan | SpanProblem;
}

/** Where a span is in the request, for its reasons. */
const spanAt = (r: number, s: number, i: number) => `resourceSpans[${r}].scopeSpans[${s}].spans[${i}]`;

/** traceSpans of a protobuf body, at once (it has no steps to let the event loop run between). */
export function protobufSpans(body: Uint8Array): PendingSpan[] {
  const out: PendingSpan[] = [];
  const request = decoding('The body', () => OTLP.TracesRequestView.decode(body)) as unknown as { resourceSpans: Uint8Array[] };
  for (const [r, rsBytes] of request.resourceSpans.entries()) {
    const rs = decoding(`resourceSpans[${r}]`, () => OTLP.ResourceSpansView.decode(rsBytes)) as unknown as {
      resource?: unknown;
      scopeSpans: Uint8Array[];
    };
    const resource = resourceOf(rs.resource);
    for (const [s, ssBytes] of rs.scopeSpans.entries()) {
      const ss = decoding(`resourceSpans[${r}].scopeSpans[${s}]`, () => OTLP.ScopeSpansView.decode(ssBytes)) as unknown as {
        scope?: unknown;
        spans: Uint8Array[];
      };
      const scope = scopeOf(ss.scope);
      for (const [i, spanBytes] of ss.spans.entries())
        out.push({
          resource,
          scope,
          read() {
            // With a oneof per AnyValue member (proto.ts); a value with two members set is read again exactly.
            const span = spanDecoding(spanAt(r, s, i), () => OTLP.PlainSpan.decode(spanBytes) as unknown as Message);
            if (span instanceof SpanProblem) return span;
            try {
              return toSpan(span);
            } catch (err) {
              if (!(err instanceof TwoMembers)) throw err;
            }
            const exact = spanDecoding(spanAt(r, s, i), () => OTLP.Span.decode(spanBytes) as unknown as Message);
            return exact instanceof SpanProblem ? exact : toSpan(exact);
          },
        });
    }
  }
  return out;
}

const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** An OTLP/JSON id: hex (as OTLP/JSON sends it), or base64 (as proto3's JSON mapping does). */
export function idBytes(value: unknown, bytes: number, where: string): Uint8Array {
  if (value === undefined || value === null || value === '') return new Uint8Array(0);
  if (typeof value !== 'string') throw new SpanProblem(`${where} must be a string of hex digits`);
  if (value.length === bytes * 2 && HEX.test(value)) return Buffer.from(value, 'hex');
  if (BASE64.test(value)) return Buffer.from(value, 'base64');
  if (HEX.test(value) && value.length % 2 === 0) return Buffer.from(value, 'hex');
  throw new SpanProblem(`${where} is neither hex nor base64`);
}

const isObject = (v: unknown): v is Message => v !== null && typeof v === 'object' && !Array.isArray(v);

export function list(v: unknown, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${where} must be an array`);
  return v;
}

export function object(v: unknown, where: string): Message {
  if (!isObject(v)) throw new OtlpDecodeError(`${where} must be an object`);
  return v;
}

export function fromJson(type: protobuf.Type, value: Message, where: string): Message {
  return decoding(where, () => type.fromObject(value) as unknown as Message);
}

/**
 * An OTLP/JSON body as an object, in three steps (check the UTF-8, decode it, parse it) with `between` run after
 * each: each step is a single call that cannot be cut, and for a 512-span request (1.3 MB) each takes a few ms at
 * most (docs/otlp.md), where the three together took twice the longest.
 */
export async function jsonRequest(body: Uint8Array, between: () => Promise<void>): Promise<Message> {
  if (!isUtf8(body)) throw new OtlpDecodeError('The body is not valid UTF-8');
  await between();
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  await between();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new OtlpDecodeError(`The body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  await between();
  return object(parsed, 'The body');
}

async function jsonSpans(body: Uint8Array, between: () => Promise<void>): Promise<PendingSpan[]> {
  const out: PendingSpan[] = [];
  const request = await jsonRequest(body, between);
  for (const [r, rsValue] of list(request.resourceSpans, 'resourceSpans').entries()) {
    const where = `resourceSpans[${r}]`;
    const rs = object(rsValue, where);
    const resource = resourceOf(
      rs.resource === undefined ? undefined : fromJson(OTLP.Resource, object(rs.resource, `${where}.resource`), `${where}.resource`),
    );
    for (const [s, ssValue] of list(rs.scopeSpans, `${where}.scopeSpans`).entries()) {
      const ss = object(ssValue, `${where}.scopeSpans[${s}]`);
      const scope = scopeOf(ss.scope);
      for (const [i, spanValue] of list(ss.spans, `${where}.scopeSpans[${s}].spans`).entries()) {
        const raw = object(spanValue, spanAt(r, s, i));
        out.push({
          resource,
          scope,
          read() {
            const message = spanDecoding(spanAt(r, s, i), () => {
              const span = {
                ...raw,
                traceId: idBytes(raw.traceId, 16, 'traceId'),
                spanId: idBytes(raw.spanId, 8, 'spanId'),
                parentSpanId: idBytes(raw.parentSpanId, 8, 'parentSpanId'),
              };
              return OTLP.Span.fromObject(span) as unknown as Message;
            });
            return message instanceof SpanProblem ? message : toSpan(message);
          },
        });
      }
    }
  }
  return out;
}

/**
 * The spans of an ExportTraceServiceRequest, each still to be read. The request's outer levels are read here, so
 * that a body that does not decode is known (OtlpDecodeError) before any span is stored; each span is read when
 * asked for (PendingSpan.read), so that the caller may store the spans read so far and let the event loop serve
 * others between spans. `between` runs between the steps of a JSON body's parse (jsonRequest).
 */
export function traceSpans(body: Uint8Array, encoding: Encoding, between: () => Promise<void>): Promise<PendingSpan[]> {
  return encoding === 'protobuf' ? Promise.resolve().then(() => protobufSpans(body)) : jsonSpans(body, between);
}
