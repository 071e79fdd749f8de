import { anyValue, attributeMap, SpanProblem, type AttrValue, type Attributes, type KeyValueMessage } from './attributes.ts';
import {
  decoding,
  fromJson,
  hex,
  idBytes,
  jsonRequest,
  list,
  nanos,
  object,
  resourceOf,
  spanDecoding,
  type Encoding,
  type Message,
} from './decode.ts';
import { OTLP } from './proto.ts';

/** One log record as the event mapping reads it: ids in lowercase hex ('' when absent), times in nanoseconds. */
export interface OtlpLogRecord {
  traceId: string;
  spanId: string;
  timeNanos: bigint;
  observedNanos: bigint;
  /** LogRecord.event_name ('' when not set). */
  eventName: string;
  body: AttrValue;
  attributes: Attributes;
}

/** A log record of the request, or why it cannot be read (it is rejected; the request goes on). */
export type LogItem = OtlpLogRecord | SpanProblem;

function toLogRecord(m: Message): LogItem {
  try {
    return {
      traceId: hex(m.traceId),
      spanId: hex(m.spanId),
      timeNanos: nanos(m.timeUnixNano),
      observedNanos: nanos(m.observedTimeUnixNano),
      eventName: typeof m.eventName === 'string' ? m.eventName : '',
      body: anyValue(m.body as Parameters<typeof anyValue>[0], 'the body'),
      attributes: attributeMap(m.attributes as KeyValueMessage[], 'the log record'),
    };
  } catch (err) {
    if (err instanceof SpanProblem) return err;
    throw err;
  }
}

function* protobufLogs(body: Uint8Array): Generator<LogItem> {
  const request = decoding('The body', () => OTLP.LogsRequestView.decode(body)) as unknown as { resourceLogs: Uint8Array[] };
  for (const [r, rlBytes] of request.resourceLogs.entries()) {
    const rl = decoding(`resourceLogs[${r}]`, () => OTLP.ResourceLogsView.decode(rlBytes)) as unknown as {
      resource?: unknown;
      scopeLogs: Uint8Array[];
    };
    resourceOf(rl.resource); // decoded so that a resource past the limits is a 400, as on /v1/traces; not used
    for (const [s, slBytes] of rl.scopeLogs.entries()) {
      const sl = decoding(`resourceLogs[${r}].scopeLogs[${s}]`, () => OTLP.ScopeLogsView.decode(slBytes)) as unknown as {
        logRecords: Uint8Array[];
      };
      for (const [i, recordBytes] of sl.logRecords.entries()) {
        const m = spanDecoding(
          `resourceLogs[${r}].scopeLogs[${s}].logRecords[${i}]`,
          () => OTLP.LogRecord.decode(recordBytes) as unknown as Message,
        );
        yield m instanceof SpanProblem ? m : toLogRecord(m);
      }
    }
  }
}

function* jsonLogs(request: Message): Generator<LogItem> {
  for (const [r, rlValue] of list(request.resourceLogs, 'resourceLogs').entries()) {
    const where = `resourceLogs[${r}]`;
    const rl = object(rlValue, where);
    resourceOf(
      rl.resource === undefined ? undefined : fromJson(OTLP.Resource, object(rl.resource, `${where}.resource`), `${where}.resource`),
    );
    for (const [s, slValue] of list(rl.scopeLogs, `${where}.scopeLogs`).entries()) {
      const sl = object(slValue, `${where}.scopeLogs[${s}]`);
      for (const [i, recordValue] of list(sl.logRecords, `${where}.scopeLogs[${s}].logRecords`).entries()) {
        const at = `${where}.scopeLogs[${s}].logRecords[${i}]`;
        const raw = object(recordValue, at);
        const m = spanDecoding(
          at,
          () =>
            OTLP.LogRecord.fromObject({
              ...raw,
              traceId: idBytes(raw.traceId, 16, 'traceId'),
              spanId: idBytes(raw.spanId, 8, 'spanId'),
            }) as unknown as Message,
        );
        yield m instanceof SpanProblem ? m : toLogRecord(m);
      }
    }
  }
}

/**
 * The log records of an ExportLogsServiceRequest, one at a time. Throws OtlpDecodeError while iterating when the
 * body does not decode; the caller reads every record before storing any. `between` runs between the steps of a
 * JSON body's parse (jsonRequest).
 */
export async function logRecords(body: Uint8Array, encoding: Encoding, between: () => Promise<void>): Promise<Iterable<LogItem>> {
  return encoding === 'protobuf' ? protobufLogs(body) : jsonLogs(await jsonRequest(body, between));
}
