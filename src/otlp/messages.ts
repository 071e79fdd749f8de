import type { AttrValue, Attributes } from './attributes.ts';

/**
 * The one shape messages are stored in (field_1, field_2): {role, content} with content the concatenated text,
 * and tool calls and tool results kept beside it. Every form the three conventions send is read into it: JSON
 * strings or structured values, OpenTelemetry's "parts" form, the flat {role, content} form (content a string or
 * OpenAI's content parts), indexed attributes (gen_ai.prompt.N.*, llm.input_messages.N.message.*) and events.
 */
export interface Message {
  role: string;
  content: string;
  tool_calls?: ToolCall[];
  /** A tool result: the call it answers. */
  tool_call_id?: string;
  finish_reason?: string;
}

export interface ToolCall {
  id?: string;
  name: string;
  arguments?: unknown;
}

type Obj = { [key: string]: AttrValue };
const isObject = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** A string that holds JSON is that JSON; anything else is itself. */
export function structured(v: AttrValue | undefined): AttrValue | undefined {
  if (typeof v !== 'string') return v;
  const t = v.trimStart();
  if (t[0] !== '[' && t[0] !== '{') return v;
  try {
    return JSON.parse(v) as AttrValue;
  } catch {
    return v;
  }
}

function toolCall(v: unknown): ToolCall | null {
  if (!isObject(v)) return null;
  const fn = isObject(v.function) ? v.function : v; // OpenAI's {id, type, function: {name, arguments}} or flat {id, name, arguments}
  const name = str(fn.name);
  if (name === undefined) return null;
  const call: ToolCall = { name };
  const id = str(v.id);
  if (id !== undefined) call.id = id;
  if (fn.arguments != null) call.arguments = fn.arguments;
  return call;
}

/** Content as text: a string as it is, text parts (OpenAI's {type: "text", text} or OpenTelemetry's {type: "text", content}) concatenated. */
function contentText(v: unknown): { text: string; calls: ToolCall[]; answers?: string } {
  if (!Array.isArray(v)) return { text: text(v), calls: [] };
  let out = '';
  const calls: ToolCall[] = [];
  let answers: string | undefined;
  for (const part of v) {
    if (typeof part === 'string') out += part;
    else if (isObject(part)) {
      const type = str(part.type);
      if (type === 'tool_call') {
        const call = toolCall(part);
        if (call) calls.push(call);
      } else if (type === 'tool_call_response') {
        answers ??= str(part.id);
        out += text(part.response ?? part.result);
      } else if (type === undefined || type === 'text' || type === 'input_text' || type === 'output_text') {
        out += text(part.content ?? part.text);
      }
    }
  }
  return { text: out, calls, answers };
}

/** The content part types of OpenAI's and OpenTelemetry's messages. */
const PART_TYPES = new Set(['text', 'input_text', 'output_text', 'image_url', 'input_image', 'image', 'input_audio', 'file', 'refusal']);

/**
 * Traceloop's gen_ai.prompt.N.content holds a message's content parts as JSON text when they are not one string
 * (OpenAI's [{type: "text", text}, {type: "image_url", ...}]): those parts, so that the content is their text; any
 * other text (a prompt that is itself JSON included) is undefined, and kept as sent.
 */
function contentParts(v: AttrValue | undefined): AttrValue | undefined {
  if (typeof v !== 'string') return undefined;
  const parts = structured(v);
  const isPart = (p: AttrValue) => isObject(p) && typeof p.type === 'string' && PART_TYPES.has(p.type);
  return Array.isArray(parts) && parts.some((p) => isObject(p) && (p.type === 'text' || p.type === 'input_text')) && parts.every(isPart)
    ? parts
    : undefined;
}

/** One message in the parts form or the flat one; null for a value that is no message. */
function message(v: unknown, defaultRole: string): Message | null {
  if (typeof v === 'string') return { role: defaultRole, content: v };
  if (!isObject(v)) return null;
  const { text: content, calls, answers } = contentText(v.parts ?? v.content ?? v.message);
  const m: Message = { role: str(v.role) ?? defaultRole, content };
  const flatCalls = Array.isArray(v.tool_calls) ? v.tool_calls.map(toolCall).filter((c): c is ToolCall => c !== null) : [];
  if (calls.length + flatCalls.length > 0) m.tool_calls = [...calls, ...flatCalls];
  const answered = str(v.tool_call_id) ?? answers ?? (m.role === 'tool' ? str(v.id) : undefined);
  if (answered !== undefined) m.tool_call_id = answered;
  const finish = str(v.finish_reason);
  if (finish !== undefined) m.finish_reason = finish;
  return m;
}

/**
 * Messages from one attribute (gen_ai.input.messages, gen_ai.output.messages, ...): a JSON string or a structured
 * array of messages in either form, or a single message. Null when it holds none.
 */
export function messagesOf(value: AttrValue | undefined, defaultRole: string): Message[] | null {
  const v = structured(value);
  if (v === undefined || v === null || v === '') return null;
  if (isObject(v) && Array.isArray(v.messages)) return messagesOf(v.messages, defaultRole);
  const list = Array.isArray(v) ? v : [v];
  const messages = list.map((item) => message(item, defaultRole)).filter((m): m is Message => m !== null);
  return messages.length > 0 ? messages : null;
}

/** gen_ai.system_instructions: a plain string, or text parts, as one system message. */
export function systemMessage(value: AttrValue | undefined): Message | null {
  const v = structured(value);
  if (v === undefined || v === null || v === '') return null;
  const content = Array.isArray(v) || typeof v === 'string' ? contentText(v).text : text(v);
  return { role: 'system', content };
}

/** The roles of the GenAI message events (span events now, log records in a later slice). */
const EVENT_ROLES: Readonly<Record<string, string>> = {
  'gen_ai.system.message': 'system',
  'gen_ai.user.message': 'user',
  'gen_ai.assistant.message': 'assistant',
  'gen_ai.tool.message': 'tool',
};

/**
 * The message a GenAI event carries, from its name and its body (a span event's attributes, or a log record's
 * body): input events give input messages, gen_ai.choice the output. Null for any other event.
 */
export function eventMessage(name: string, body: AttrValue): { side: 'input' | 'output'; message: Message } | null {
  const role = EVENT_ROLES[name];
  const fields: Obj = isObject(body) ? body : { content: body };
  if (role !== undefined) {
    const m = message(fields, role);
    return m && { side: 'input', message: m };
  }
  if (name === 'gen_ai.choice') {
    const inner = structured(fields.message);
    const m = message(isObject(inner) ? { finish_reason: fields.finish_reason ?? null, ...inner } : fields, 'assistant');
    return m && { side: 'output', message: m };
  }
  return null;
}

/** A span event's attributes as the body of its event (JSON strings read as structure). */
export function eventBody(attributes: Attributes): AttrValue {
  const out: Obj = {};
  for (const [k, v] of attributes) out[k] = structured(v) ?? null;
  return out;
}

/** Attributes under `prefix.N.` grouped by N, in order of N: each group's keys without the prefix. */
function indexed(attributes: Attributes, prefix: string): Obj[] {
  const groups = new Map<number, Obj>();
  const start = `${prefix}.`;
  for (const [key, value] of attributes) {
    if (!key.startsWith(start)) continue;
    const m = /^(\d{1,6})\.(.+)$/.exec(key.slice(start.length));
    if (!m) continue;
    const n = Number(m[1]);
    const group = groups.get(n) ?? {};
    group[m[2]] = value;
    groups.set(n, group);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, group]) => group);
}

/** Traceloop's older indexed form: gen_ai.prompt.N.role/content/tool_call_id, .tool_calls.M.id/name/arguments. */
export function traceloopMessages(
  attributes: Attributes,
  prefix: 'gen_ai.prompt' | 'gen_ai.completion',
  defaultRole: string,
): Message[] | null {
  const messages = indexed(attributes, prefix).map((g) => {
    const calls = indexed(new Map(Object.entries(g)), 'tool_calls')
      .map(toolCall)
      .filter((c): c is ToolCall => c !== null);
    return message(
      {
        ...g,
        content: contentParts(g.content) ?? g.content ?? null,
        tool_calls: null,
        ...(calls.length > 0 ? { tool_calls: calls as unknown as AttrValue } : {}),
      },
      defaultRole,
    );
  });
  const found = messages.filter((m): m is Message => m !== null);
  return found.length > 0 ? found : null;
}

/** OpenInference's indexed form: llm.input_messages.N.message.role/content/contents.M.message_content.text/tool_calls.M.tool_call.*. */
export function openInferenceMessages(
  attributes: Attributes,
  prefix: 'llm.input_messages' | 'llm.output_messages',
  defaultRole: string,
): Message[] | null {
  const messages = indexed(attributes, prefix).map((g) => {
    const at = (k: string) => g[`message.${k}`];
    const group = new Map(Object.entries(g));
    const parts = indexed(group, 'message.contents').map((p) => ({
      type: p['message_content.type'] ?? 'text',
      text: p['message_content.text'] ?? null,
    }));
    const calls = indexed(group, 'message.tool_calls').map((c) =>
      toolCall({
        id: c['tool_call.id'] ?? null,
        name: c['tool_call.function.name'] ?? null,
        arguments: structured(c['tool_call.function.arguments']) ?? null,
      }),
    );
    const m: Obj = { role: at('role') ?? null, content: at('content') ?? (parts.length > 0 ? parts : null) };
    const id = at('tool_call_id');
    if (id !== undefined) m.tool_call_id = id;
    const found = calls.filter((c): c is ToolCall => c !== null);
    if (found.length > 0) m.tool_calls = found as unknown as AttrValue;
    return message(m, defaultRole);
  });
  const found = messages.filter((m): m is Message => m !== null);
  return found.length > 0 ? found : null;
}
