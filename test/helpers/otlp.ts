import zlib from 'node:zlib';
import protobuf from 'protobufjs';
import { OTLP } from '../../src/otlp/proto.ts';
import type { TestApp } from './app.ts';

/** An attribute in OTLP/JSON's shape, from a plain value. */
export function attr(key: string, value: unknown): { key: string; value: unknown } {
  return { key, value: anyValue(value) };
}

function anyValue(value: unknown): unknown {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return Number.isInteger(value) ? { intValue: value } : { doubleValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (value !== null && typeof value === 'object') return { kvlistValue: { values: Object.entries(value).map(([k, v]) => attr(k, v)) } };
  return {};
}

export interface SpanSpec {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name?: string;
  start?: bigint;
  end?: bigint;
  attributes?: Record<string, unknown>;
  events?: { name: string; attributes: Record<string, unknown> }[];
  status?: { code: number; message?: string };
}

let spanCounter = 0;
export const START = 1_767_225_600_000_000_000n; // 2026-01-01T00:00:00Z

/** A span in OTLP/JSON's shape (ids hex, times as strings). */
export function span(spec: SpanSpec = {}): Record<string, unknown> {
  spanCounter++;
  return {
    traceId: spec.traceId ?? 'a'.repeat(24) + spanCounter.toString(16).padStart(8, '0'),
    spanId: spec.spanId ?? spanCounter.toString(16).padStart(16, '0'),
    ...(spec.parentSpanId ? { parentSpanId: spec.parentSpanId } : {}),
    name: spec.name ?? 'chat gpt-4o-mini',
    kind: 3,
    startTimeUnixNano: String(spec.start ?? START),
    endTimeUnixNano: String(spec.end ?? (spec.start ?? START) + 1_500_000_000n),
    attributes: Object.entries(spec.attributes ?? {}).map(([k, v]) => attr(k, v)),
    events: (spec.events ?? []).map((e) => ({
      name: e.name,
      timeUnixNano: String(START),
      attributes: Object.entries(e.attributes).map(([k, v]) => attr(k, v)),
    })),
    status: spec.status ?? { code: 0 },
  };
}

/** An ExportTraceServiceRequest in OTLP/JSON's shape, one resource and scope holding the spans. */
export function request(spans: Record<string, unknown>[], service = 'test-service'): Record<string, unknown> {
  return {
    resourceSpans: [
      { resource: { attributes: [attr('service.name', service)] }, scopeSpans: [{ scope: { name: 'test-scope', version: '1.0' }, spans }] },
    ],
  };
}

/** The same request as binary protobuf, encoded by the library Tally decodes with. */
export function toProtobuf(req: Record<string, unknown>): Buffer {
  const idsAsBytes = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(idsAsBytes);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        (k === 'traceId' || k === 'spanId' || k === 'parentSpanId') && typeof x === 'string' ? Buffer.from(x, 'hex') : idsAsBytes(x),
      ]),
    );
  };
  // Tests may build values nested deeper than protobufjs converts by default (its limit is what Tally's decoding
  // meets): the limit is raised while the test's request is encoded, and restored.
  const limit = protobuf.util.recursionLimit;
  protobuf.util.recursionLimit = 10_000;
  try {
    const message = OTLP.ExportTraceServiceRequest.fromObject(idsAsBytes(req) as Record<string, unknown>);
    return Buffer.from(OTLP.ExportTraceServiceRequest.encode(message).finish());
  } finally {
    protobuf.util.recursionLimit = limit;
  }
}

export type Encoding = 'protobuf' | 'json';

type OtlpSendOptions = { gzip?: boolean; headers?: Record<string, string> };

/**
 * POSTs an OTLP request to `url` in the encoding (a request object is encoded by `toProtobuf` or as JSON; bytes and
 * strings go as they are), gzipped when asked; the reply's body is its raw bytes.
 */
async function sendOtlp(
  t: TestApp,
  url: string,
  toProtobuf: (req: Record<string, unknown>) => Buffer,
  req: Record<string, unknown> | Buffer | string,
  encoding: Encoding,
  opts: OtlpSendOptions,
) {
  let payload: Buffer = Buffer.isBuffer(req)
    ? req
    : typeof req === 'string'
      ? Buffer.from(req)
      : encoding === 'protobuf'
        ? toProtobuf(req)
        : Buffer.from(JSON.stringify(req));
  if (opts.gzip) payload = zlib.gzipSync(payload);
  const res = await t.app.http.inject({
    method: 'POST',
    url,
    headers: {
      authorization: `Bearer ${t.key}`,
      'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
      ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}),
      ...opts.headers,
    },
    payload,
  });
  return { status: res.statusCode, headers: res.headers, raw: res.rawPayload };
}

/** POSTs a request to /v1/traces in the encoding, gzipped when asked; the reply's body is its raw bytes. */
export function sendTraces(t: TestApp, req: Record<string, unknown> | Buffer | string, encoding: Encoding, opts: OtlpSendOptions = {}) {
  return sendOtlp(t, '/v1/traces', toProtobuf, req, encoding, opts);
}

/** An ExportTraceServiceResponse in either encoding, as {rejectedSpans, errorMessage}. */
export function decodeTraceResponse(raw: Buffer, encoding: Encoding): { rejectedSpans: number; errorMessage: string } {
  const value =
    encoding === 'protobuf'
      ? (OTLP.ExportTraceServiceResponse.toObject(OTLP.ExportTraceServiceResponse.decode(raw), { longs: Number }) as any)
      : JSON.parse(raw.toString('utf8'));
  return { rejectedSpans: Number(value.partialSuccess?.rejectedSpans ?? 0), errorMessage: value.partialSuccess?.errorMessage ?? '' };
}

/** A google.rpc.Status in either encoding. */
export function decodeStatus(raw: Buffer, encoding: Encoding): { code: number; message: string } {
  const value = encoding === 'protobuf' ? (OTLP.Status.toObject(OTLP.Status.decode(raw)) as any) : JSON.parse(raw.toString('utf8'));
  return { code: value.code ?? 0, message: value.message ?? '' };
}

export interface LogSpec {
  traceId?: string;
  spanId?: string;
  /** LogRecord.event_name; with eventNameAttribute, the older event.name attribute instead. */
  eventName?: string;
  eventNameAttribute?: boolean;
  time?: bigint;
  body?: unknown;
  attributes?: Record<string, unknown>;
}

/** A log record in OTLP/JSON's shape (ids hex, times as strings); body and attributes from plain values. */
export function logRecord(spec: LogSpec = {}): Record<string, unknown> {
  const attributes = { ...(spec.attributes ?? {}) };
  if (spec.eventName && spec.eventNameAttribute) attributes['event.name'] = spec.eventName;
  return {
    timeUnixNano: String(spec.time ?? START),
    observedTimeUnixNano: String(spec.time ?? START),
    severityNumber: 9,
    ...(spec.eventName && !spec.eventNameAttribute ? { eventName: spec.eventName } : {}),
    ...(spec.body !== undefined ? { body: anyValue(spec.body) } : {}),
    attributes: Object.entries(attributes).map(([k, v]) => attr(k, v)),
    ...(spec.traceId !== undefined ? { traceId: spec.traceId } : {}),
    ...(spec.spanId !== undefined ? { spanId: spec.spanId } : {}),
  };
}

/** An ExportLogsServiceRequest in OTLP/JSON's shape, one resource and scope holding the log records. */
export function logsRequest(records: Record<string, unknown>[], service = 'test-service'): Record<string, unknown> {
  return {
    resourceLogs: [
      {
        resource: { attributes: [attr('service.name', service)] },
        scopeLogs: [{ scope: { name: 'test-scope', version: '1.0' }, logRecords: records }],
      },
    ],
  };
}

/** A logs request as binary protobuf, encoded by the library Tally decodes with. */
export function logsToProtobuf(req: Record<string, unknown>): Buffer {
  const idsAsBytes = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(idsAsBytes);
    if (v === null || typeof v !== 'object') return v;
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        (k === 'traceId' || k === 'spanId') && typeof x === 'string' ? Buffer.from(x, 'hex') : idsAsBytes(x),
      ]),
    );
  };
  const message = OTLP.ExportLogsServiceRequest.fromObject(idsAsBytes(req) as Record<string, unknown>);
  return Buffer.from(OTLP.ExportLogsServiceRequest.encode(message).finish());
}

/** POSTs a request to /v1/logs in the encoding, gzipped when asked; the reply's body is its raw bytes. */
export function sendLogs(t: TestApp, req: Record<string, unknown> | Buffer | string, encoding: Encoding, opts: OtlpSendOptions = {}) {
  return sendOtlp(t, '/v1/logs', logsToProtobuf, req, encoding, opts);
}

/** An ExportLogsServiceResponse in either encoding, as {rejectedLogRecords, errorMessage}. */
export function decodeLogsResponse(raw: Buffer, encoding: Encoding): { rejectedLogRecords: number; errorMessage: string } {
  const value =
    encoding === 'protobuf'
      ? (OTLP.ExportLogsServiceResponse.toObject(OTLP.ExportLogsServiceResponse.decode(raw), { longs: Number }) as any)
      : JSON.parse(raw.toString('utf8'));
  return {
    rejectedLogRecords: Number(value.partialSuccess?.rejectedLogRecords ?? 0),
    errorMessage: value.partialSuccess?.errorMessage ?? '',
  };
}
