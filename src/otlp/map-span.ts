import crypto from 'node:crypto';
import type { RecordType } from '../fields/registry.ts';
import { usageDetailsOf, type UsageDetail } from '../fields/usage-details.ts';
import { derivedRecordId } from '../model/ids.ts';
import { formatTimestamp, isTimestampInRange } from '../time.ts';
import { SpanProblem, type AttrValue, type Attributes } from './attributes.ts';
import { classifySpan, MODEL_ATTRIBUTES } from './classify.ts';
import { STATUS_ERROR, type OtlpSpan } from './decode.ts';
import {
  eventBody,
  eventMessage,
  messagesOf,
  openInferenceMessages,
  structured,
  systemMessage,
  traceloopMessages,
  type Message,
} from './messages.ts';

/** What a span becomes: a create body (validated next, as any create is) under its own id, or nothing. */
export type SpanOutcome = { kind: 'ignored' } | { kind: 'record'; id: string; body: Record<string, unknown> };

/** Content attributes: never copied into field_9 (they are field_1/field_2/field_16's, and large). */
const CONTENT_PREFIXES = [
  'gen_ai.input.',
  'gen_ai.output.',
  'gen_ai.prompt', // gen_ai.prompt.N.* and a bare gen_ai.prompt (older OpenLLMetry), as for the completion
  'gen_ai.completion',
  'gen_ai.system_instructions',
  'gen_ai.tool.definitions',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'llm.input_messages', // the indexed form and a bare attribute of that name
  'llm.output_messages',
  'llm.prompts', // OpenInference's completions API prompts (llm.prompts.N.prompt.text)
  'llm.prompt_template', // its template and variables hold prompt text too
  'input.',
  'output.',
  'traceloop.entity.',
  'llm.invocation_parameters',
  'llm.tools.',
  'llm.request.functions.',
  'embedding.embeddings.',
];
/** One test for all of CONTENT_PREFIXES (a key is tested once, not once per prefix). */
const CONTENT_KEY = new RegExp(`^(?:${CONTENT_PREFIXES.map((p) => p.replace(/\./g, '\\.')).join('|')})`);
/** A metadata value longer than this is left out of field_9. */
const MAX_META_TEXT = 1024;
/** field_9's key length limit (the registry's propertyNames). */
const MAX_META_KEY = 256;

/** Reads a span's attributes, remembering which ones a field took (field_9 gets the rest). */
class Reader {
  readonly taken = new Set<string>();
  constructor(readonly attributes: Attributes) {}
  peek(name: string): AttrValue | undefined {
    return this.attributes.get(name);
  }
  /** The first of the names with a value (null counts as none), taken. */
  take(...names: string[]): AttrValue | undefined {
    for (const name of names) {
      const v = this.attributes.get(name);
      if (v !== undefined && v !== null && v !== '') {
        this.taken.add(name);
        return v;
      }
    }
    return undefined;
  }
  /** The first of the names that holds text (a number or boolean as its text), taken. */
  text(...names: string[]): string | undefined {
    const v = this.take(...names);
    return v === undefined
      ? undefined
      : typeof v === 'string'
        ? v
        : typeof v === 'number' || typeof v === 'boolean'
          ? String(v)
          : JSON.stringify(v);
  }
  /** A token count: a non-negative integer, or its digits as text; anything else rejects the span. */
  count(...names: string[]): number | undefined {
    for (const name of names) {
      const v = this.take(name);
      if (v === undefined) continue;
      const n = typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v;
      if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return n;
      throw new SpanProblem(`${name} must be a non-negative integer, not ${JSON.stringify(v).slice(0, 100)}`);
    }
    return undefined;
  }
  /** A non-negative number (cost, seconds); anything else rejects the span. */
  amount(...names: string[]): number | undefined {
    for (const name of names) {
      const v = this.take(name);
      if (v === undefined) continue;
      const n = typeof v === 'string' && /^\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v) ? Number(v) : v;
      if (typeof n === 'number' && Number.isFinite(n) && n >= 0) return n;
      throw new SpanProblem(`${name} must be a non-negative number, not ${JSON.stringify(v).slice(0, 100)}`);
    }
    return undefined;
  }
}

const isObject = (v: unknown): v is { [key: string]: AttrValue } => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkIds(span: OtlpSpan): void {
  const bad = (name: string, value: string, chars: number) =>
    new SpanProblem(
      `${name} must be ${chars / 2} bytes (${chars} hex digits), not ${value.length / 2} bytes${value ? ` (${value.slice(0, 64)})` : ''}`,
    );
  if (span.traceId.length !== 32) throw bad('traceId', span.traceId, 32);
  if (span.spanId.length !== 16) throw bad('spanId', span.spanId, 16);
  if (span.parentSpanId !== '' && span.parentSpanId.length !== 16) throw bad('parentSpanId', span.parentSpanId, 16);
  if (/^0+$/.test(span.traceId)) throw new SpanProblem('traceId is all zeroes, which OTLP calls invalid');
  if (/^0+$/.test(span.spanId)) throw new SpanProblem('spanId is all zeroes, which OTLP calls invalid');
}

/** The span's start as the record's timestamp (microseconds kept), within the years every record may have. */
function startOf(span: OtlpSpan): { iso: string; ms: number } {
  if (span.startNanos === 0n) throw new SpanProblem('startTimeUnixNano is not set');
  const us = Number(span.startNanos / 1000n);
  if (!isTimestampInRange(us)) throw new SpanProblem(`startTimeUnixNano ${span.startNanos} is not between the years 1700 and 2200`);
  return { iso: formatTimestamp(us), ms: Math.floor(us / 1000) };
}

function durationOf(span: OtlpSpan): number | null {
  if (span.endNanos === 0n) return null;
  if (span.endNanos < span.startNanos) throw new SpanProblem('endTimeUnixNano is before startTimeUnixNano');
  return Number(span.endNanos - span.startNanos) / 1e9;
}

/** Messages from the span's own events (gen_ai.system.message, ..., gen_ai.choice). */
function eventMessages(span: OtlpSpan, side: 'input' | 'output'): Message[] | null {
  const found: Message[] = [];
  for (const event of span.events) {
    const m = eventMessage(event.name, eventBody(event.attributes));
    if (m?.side === side) found.push(m.message);
  }
  return found.length > 0 ? found : null;
}

/** input.value / output.value: messages when it holds a request's or a response's JSON, else the value as sent. */
function valueContent(value: AttrValue | undefined, role: string): unknown {
  if (value === undefined) return undefined;
  const v = structured(value);
  if (isObject(v) && Array.isArray(v.messages)) return messagesOf(v.messages, role) ?? value;
  if (isObject(v) && Array.isArray(v.choices)) {
    const messages = messagesOf(
      v.choices.map((c) => (isObject(c) ? (c.message ?? null) : null)).filter((m) => m !== null),
      role,
    );
    return messages ?? value;
  }
  if (Array.isArray(v) && v.length > 0 && v.every((m) => isObject(m) && 'role' in m)) return messagesOf(v, role) ?? value;
  return value;
}

function inputOf(r: Reader, span: OtlpSpan, type: RecordType): unknown {
  if (type !== 'type_a' && type !== 'type_b') {
    const entity = r.take('traceloop.entity.input');
    if (entity !== undefined) return entity;
    if (type === 'type_f') {
      const args = r.take('gen_ai.tool.call.arguments');
      if (args !== undefined) return args;
    }
  }
  const system = systemMessage(r.take('gen_ai.system_instructions'));
  const messages = messagesOf(r.take('gen_ai.input.messages'), 'user');
  if (system || messages) return [...(system ? [system] : []), ...(messages ?? [])];
  return (
    eventMessages(span, 'input') ??
    traceloopMessages(r.attributes, 'gen_ai.prompt', 'user') ??
    openInferenceMessages(r.attributes, 'llm.input_messages', 'user') ??
    valueContent(r.take('input.value'), 'user')
  );
}

function outputOf(r: Reader, span: OtlpSpan, type: RecordType): unknown {
  if (type !== 'type_a' && type !== 'type_b') {
    const entity = r.take('traceloop.entity.output');
    if (entity !== undefined) return entity;
    if (type === 'type_f') {
      const result = r.take('gen_ai.tool.call.result');
      if (result !== undefined) return result;
    }
  }
  const output =
    messagesOf(r.take('gen_ai.output.messages'), 'assistant') ??
    eventMessages(span, 'output') ??
    traceloopMessages(r.attributes, 'gen_ai.completion', 'assistant') ??
    openInferenceMessages(r.attributes, 'llm.output_messages', 'assistant') ??
    valueContent(r.take('output.value'), 'assistant');
  return withFinishReason(r, output);
}

/**
 * OpenInference sends the finish reason once for the span (llm.finish_reason), not on its output messages: it goes
 * on each assistant message that has none, so that field_2 reads as it does from the other conventions.
 */
function withFinishReason(r: Reader, output: unknown): unknown {
  if (!Array.isArray(output)) return output;
  const messages = output as Message[];
  const lacking = messages.filter((m) => isObject(m) && m.role === 'assistant' && m.finish_reason === undefined);
  if (lacking.length === 0) return output;
  const reason = r.peek('llm.finish_reason');
  if (typeof reason !== 'string' || reason === '') return output;
  r.take('llm.finish_reason');
  for (const m of lacking) m.finish_reason = reason;
  return output;
}

/** A tool definition in any convention's shape, as the registry's {type: "type_a", definition: {name, ...}}. */
function toolDefinition(v: unknown): unknown {
  const item = structured(v as AttrValue);
  if (!isObject(item)) return null;
  const fn = isObject(item.function) ? item.function : item;
  if (typeof fn.name !== 'string' || fn.name === '' || fn.name.length > 256) return null;
  const definition: Record<string, unknown> = { name: fn.name };
  if (typeof fn.description === 'string') definition.description = fn.description;
  const parameters = structured(fn.parameters ?? fn.input_schema);
  if (isObject(parameters)) definition.parameters = parameters;
  return { type: 'type_a', definition };
}

function toolsOf(r: Reader): unknown[] | undefined {
  const given = structured(r.take('gen_ai.tool.definitions'));
  let items: unknown[] = Array.isArray(given) ? given : [];
  if (items.length === 0) {
    const byIndex = (prefix: string, suffix: RegExp) => {
      const found: [string, AttrValue][] = [];
      r.attributes.forEach((v, k) => {
        if (k.startsWith(prefix) && suffix.test(k.slice(prefix.length))) found.push([k, v]);
      });
      return found;
    };
    items = byIndex('llm.tools.', /^\d+\.tool\.json_schema$/).map(([, v]) => v);
    if (items.length === 0) {
      const fns = new Map<string, Record<string, AttrValue>>();
      for (const [k, v] of byIndex('llm.request.functions.', /^\d+\.\w+$/)) {
        const [n, member] = k.slice('llm.request.functions.'.length).split('.');
        fns.set(n, { ...(fns.get(n) ?? {}), [member]: v });
      }
      items = [...fns.values()];
    }
  }
  const tools = items.map(toolDefinition).filter((t) => t !== null);
  return tools.length > 0 ? tools.slice(0, 1000) : undefined;
}

function statusOf(r: Reader, span: OtlpSpan): { code: number; error: string } {
  if (span.status.code !== STATUS_ERROR) return { code: 200, error: '' };
  const http = r.peek('http.response.status_code');
  const code = typeof http === 'number' && Number.isInteger(http) && http >= 400 && http <= 599 ? http : 500;
  if (code === http) r.take('http.response.status_code');
  const exception = span.events.find((e) => e.name === 'exception')?.attributes.get('exception.message');
  const error = span.status.message || (typeof exception === 'string' ? exception : '') || r.text('error.type') || '';
  return { code, error };
}

/** field_9: service.name, the parent span, and the span's other scalar attributes that no field took. */
function metadataOf(r: Reader, span: OtlpSpan, resource: Attributes): Record<string, unknown> | undefined {
  const meta: Record<string, unknown> = {};
  for (const [key, value] of r.attributes) {
    if (r.taken.has(key) || key.length > MAX_META_KEY || CONTENT_KEY.test(key)) continue;
    // Only scalars; a non-finite number (a double NaN or ∞) no record can store is left out, not the span's reason to fail.
    if (
      typeof value === 'string'
        ? value.length > MAX_META_TEXT
        : typeof value === 'number'
          ? !Number.isFinite(value)
          : typeof value !== 'boolean'
    )
      continue;
    meta[key] = value;
  }
  const service = resource.get('service.name');
  if (typeof service === 'string' && service.length <= MAX_META_TEXT) meta['service.name'] = service;
  // An all-zero parent id is OTLP's "invalid": no parent (checkIds refuses an all-zero span or trace id).
  if (span.parentSpanId !== '' && !/^0+$/.test(span.parentSpanId)) meta['otel.parent_span_id'] = span.parentSpanId;
  return Object.keys(meta).length > 0 ? meta : undefined;
}

/**
 * field_5's extension counts (docs/otlp.md): OpenTelemetry's names (cache_write also as cache_creation), OpenLLMetry's
 * Anthropic names, OpenInference's token_count details. Each is part of the input or output count, as they all send it.
 */
const usageDetailAttributes = (r: Reader): Record<UsageDetail, number | undefined> => ({
  cache_read_input_tokens: r.count(
    'gen_ai.usage.cache_read.input_tokens',
    'gen_ai.usage.cache_read_input_tokens',
    'llm.token_count.prompt_details.cache_read',
  ),
  cache_write_input_tokens: r.count(
    'gen_ai.usage.cache_write.input_tokens',
    'gen_ai.usage.cache_creation.input_tokens',
    'gen_ai.usage.cache_creation_input_tokens',
    'llm.token_count.prompt_details.cache_write',
  ),
  audio_input_tokens: r.count('llm.token_count.prompt_details.audio'),
  audio_cache_read_input_tokens: undefined,
  reasoning_output_tokens: r.count(
    'gen_ai.usage.reasoning.output_tokens',
    'gen_ai.usage.reasoning_tokens',
    'llm.token_count.completion_details.reasoning',
  ),
  audio_output_tokens: r.count('llm.token_count.completion_details.audio'),
});

/**
 * A span as a create body, by otlp.md's tables: null fields are left out, so that the record gets what a create
 * without them gets (estimated tokens, a computed cost). The id is the span's own (derivedRecordId of its start
 * and a hash of org, trace id and span id), so that a span sent again is the same record. Throws SpanProblem
 * for a span that cannot be a record.
 */
export function mapSpan(orgId: string, span: OtlpSpan, resource: Attributes): SpanOutcome {
  const classified = classifySpan(span.attributes);
  if (classified === null) return { kind: 'ignored' };
  checkIds(span);
  const start = startOf(span);
  const r = new Reader(span.attributes);
  for (const name of classified.decidedBy) r.taken.add(name);
  const type = classified.type;
  const model = r.text(...MODEL_ATTRIBUTES);
  const prompt = r.count('gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens', 'llm.token_count.prompt');
  const completion = r.count('gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens', 'llm.token_count.completion');
  const total = r.count('gen_ai.usage.total_tokens', 'llm.token_count.total', 'llm.usage.total_tokens');
  const details = usageDetailsOf(usageDetailAttributes(r));
  const status = statusOf(r, span);
  const service = resource.get('service.name');
  // Only the fields with a value are set (none is set and then deleted, which would slow every later read of it).
  const body: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined && value !== null) body[key] = value;
  };
  put('timestamp', start.iso);
  put('field_3', type);
  put('field_4', model);
  if (prompt !== undefined || completion !== undefined || total !== undefined || details !== null)
    body.field_5 = { sub_field_a: prompt ?? null, sub_field_b: completion ?? null, sub_field_c: total ?? null, ...details };
  put('field_6', r.amount('gen_ai.usage.cost', 'llm.cost.total'));
  put('field_1', inputOf(r, span, type));
  put('field_2', outputOf(r, span, type));
  put('field_7', durationOf(span));
  put('field_8', r.amount('gen_ai.response.time_to_first_chunk'));
  put(
    'field_10',
    r.text('user.id', 'enduser.id', 'traceloop.association.properties.customer_id', 'traceloop.association.properties.user_id'),
  );
  put(
    'field_11',
    r.text(
      'gen_ai.conversation.id',
      'session.id',
      'traceloop.association.properties.session_id',
      'traceloop.association.properties.thread_id',
    ),
  );
  put('field_12', span.spanId);
  put('field_13', span.traceId);
  put(
    'field_14',
    r.text('traceloop.workflow.name', 'gen_ai.agent.name') ?? (typeof service === 'string' && service !== '' ? service : undefined),
  );
  put('field_15', span.name);
  put('field_16', toolsOf(r));
  put('field_18', status.code);
  put('field_19', status.error);
  put('field_9', metadataOf(r, span, resource));
  return { kind: 'record', id: derivedRecordId(start.ms, spanSeed(orgId, span.traceId, span.spanId)), body };
}

/** SHA-256 of a text: node's one-shot crypto.hash where it has it (20.12+; a third of the cost), else a Hash. */
const sha256: (text: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'buffer')
    : (text) => crypto.createHash('sha256').update(text).digest();

/** The hash a span's record id is made from: the org, the trace id and the span id. */
const spanSeed = (orgId: string, traceId: string, spanId: string): Buffer => sha256(`${orgId}\u0000${traceId}\u0000${spanId}`);

/** The part of a span's record id that its start time does not give (its last 16 characters), from the span's ids alone. */
export const recordTail = (orgId: string, traceId: string, spanId: string): string =>
  derivedRecordId(0, spanSeed(orgId, traceId, spanId)).slice(-16);
