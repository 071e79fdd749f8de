import { createHash } from 'node:crypto';
import type { ErrorDetail } from '../errors.ts';
import { guardJsonValue } from '../fields/input-guard.ts';
import type { HeldEvent } from '../store/span-events.ts';
import { SpanProblem, type AttrValue } from './attributes.ts';
import type { OtlpLogRecord } from './decode-logs.ts';
import { recordTail } from './map-span.ts';
import { eventBody, eventMessage, messagesOf, structured, systemMessage, type Message } from './messages.ts';

/**
 * What a log record becomes: the messages of a GenAI event for its span's record (one held event per side), or
 * nothing (`ignored`: not a GenAI event, not about a span, or holding no content).
 */
export type EventOutcome = { kind: 'ignored'; why: 'not_genai' | 'no_span' | 'no_content' } | { kind: 'event'; events: HeldEvent[] };

/** The GenAI events that carry messages (shared/docs/otlp.md): the per-message ones and the one per inference. */
const MESSAGE_EVENTS = new Set([
  'gen_ai.system.message',
  'gen_ai.user.message',
  'gen_ai.assistant.message',
  'gen_ai.tool.message',
  'gen_ai.choice',
]);
const DETAILS_EVENT = 'gen_ai.client.inference.operation.details';

const isObject = (v: unknown): v is { [key: string]: AttrValue } => v !== null && typeof v === 'object' && !Array.isArray(v);
const kind = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'a map' : `a ${typeof v}`;

/** A member of an event's body that must be of a type, if it is there at all. */
function expect(fields: { [key: string]: AttrValue }, name: string, ok: (v: AttrValue) => boolean, want: string): void {
  const v = fields[name];
  if (v !== undefined && v !== null && !ok(v)) throw new SpanProblem(`${name} must be ${want}, not ${kind(v)}`);
}

/** The event's name: LogRecord.event_name, or the event.name attribute of older SDKs. */
function nameOf(record: OtlpLogRecord): string {
  if (record.eventName !== '') return record.eventName;
  const old = record.attributes.get('event.name');
  return typeof old === 'string' ? old : '';
}

/** The event's content: the body when it has one, else the attributes (without event.name). */
function contentOf(record: OtlpLogRecord): AttrValue {
  const body = structured(record.body ?? undefined);
  if (body !== undefined && body !== null && body !== '') return body;
  const attributes = new Map(record.attributes);
  attributes.delete('event.name');
  return eventBody(attributes);
}

/** A message that says something: text, a tool call or a tool result. */
const says = (m: Message): boolean => m.content !== '' || (m.tool_calls?.length ?? 0) > 0 || m.tool_call_id !== undefined;

function messageEvent(name: string, value: AttrValue): { side: 'input' | 'output'; messages: Message[] } | null {
  if (!isObject(value) && typeof value !== 'string')
    throw new SpanProblem(`the ${name} event's body must be a map or a string, not ${kind(value)}`);
  if (isObject(value)) {
    const text = (v: AttrValue) => typeof v === 'string';
    const content = (v: AttrValue) => typeof v === 'string' || Array.isArray(v) || isObject(v);
    expect(value, 'role', text, 'a string');
    expect(value, 'content', content, 'a string, a list of parts or a map');
    expect(value, 'tool_calls', Array.isArray, 'a list');
    expect(value, 'id', text, 'a string');
    if (name === 'gen_ai.choice') {
      expect(value, 'message', (v) => isObject(structured(v)), 'a map');
      expect(value, 'finish_reason', text, 'a string');
      expect(value, 'index', (v) => typeof v === 'number' && Number.isInteger(v), 'an integer');
    }
  }
  const found = eventMessage(name, value);
  if (found === null || !says(found.message)) return null;
  return { side: found.side, messages: [found.message] };
}

function detailsEvent(value: AttrValue): { side: 'input' | 'output'; messages: Message[] }[] {
  const fields = isObject(value) ? value : {};
  const list = (v: AttrValue) => Array.isArray(structured(v));
  expect(fields, 'gen_ai.input.messages', list, 'a list of messages (or its JSON)');
  expect(fields, 'gen_ai.output.messages', list, 'a list of messages (or its JSON)');
  const system = systemMessage(fields['gen_ai.system_instructions'] ?? undefined);
  const input = [...(system ? [system] : []), ...(messagesOf(fields['gen_ai.input.messages'] ?? undefined, 'user') ?? [])].filter(says);
  const output = (messagesOf(fields['gen_ai.output.messages'] ?? undefined, 'assistant') ?? []).filter(says);
  return [
    ...(input.length > 0 ? [{ side: 'input' as const, messages: input }] : []),
    ...(output.length > 0 ? [{ side: 'output' as const, messages: output }] : []),
  ];
}

/**
 * A log record as held events for its span's record. Throws SpanProblem for a GenAI event that cannot be read
 * (ids of the wrong length, a value of the wrong type, text that cannot be stored): it is rejected.
 */
export function mapLogRecord(orgId: string, record: OtlpLogRecord): EventOutcome {
  const name = nameOf(record);
  if (!MESSAGE_EVENTS.has(name) && name !== DETAILS_EVENT) return { kind: 'ignored', why: 'not_genai' };
  if (record.traceId === '' && record.spanId === '') return { kind: 'ignored', why: 'no_span' };
  if (record.traceId.length !== 32) throw new SpanProblem(`traceId must be 16 bytes, not ${record.traceId.length / 2}`);
  if (record.spanId.length !== 16) throw new SpanProblem(`spanId must be 8 bytes, not ${record.spanId.length / 2}`);
  if (/^0+$/.test(record.traceId) || /^0+$/.test(record.spanId)) return { kind: 'ignored', why: 'no_span' };
  const value = contentOf(record);
  const sides = name === DETAILS_EVENT ? detailsEvent(value) : [messageEvent(name, value)].filter((s) => s !== null);
  if (sides.length === 0) return { kind: 'ignored', why: 'no_content' };
  const details: ErrorDetail[] = [];
  const time = record.timeNanos !== 0n ? record.timeNanos : record.observedNanos;
  const tail = recordTail(orgId, record.traceId, record.spanId);
  const events = sides.map(({ side, messages }) => {
    if (!guardJsonValue(messages, name, details)) throw new SpanProblem(`${details[0].field} ${details[0].message}`);
    const json = JSON.stringify(messages);
    // The event's identity: a resend of it is held once, two different events of one span are both held.
    const key = createHash('sha256').update(`${name}\u0000${time}\u0000${side}\u0000${json}`).digest('hex').slice(0, 32);
    return { traceId: record.traceId, spanId: record.spanId, recordTail: tail, side, key, at: time, messages: json };
  });
  return { kind: 'event', events };
}
