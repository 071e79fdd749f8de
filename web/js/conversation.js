import { el } from './dom.js';
import { prettyJson } from './format.js';

/**
 * The conversation of a record: field_22 (messages, from field_1) then field_23 (the output, from
 * field_2). Understands OpenAI-style messages (content strings or parts, tool_calls, tool results) and
 * Anthropic-style parts (tool_use, tool_result); anything else is shown as JSON. All of it as text.
 */

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Tool-call arguments arrive as a JSON string or an object; show them pretty either way. */
function argumentsText(args) {
  if (typeof args === 'string') {
    try {
      return prettyJson(JSON.parse(args));
    } catch {
      return args;
    }
  }
  return args === undefined ? '' : prettyJson(args);
}

function toolCall(name, args, id) {
  return el(
    'div',
    { class: 'tool-call', 'data-tool-call': name ?? '' },
    el(
      'div',
      null,
      'Tool call ',
      el('span', { class: 'name' }, String(name ?? '(unnamed)')),
      id ? el('span', { class: 'muted' }, ` · ${id}`) : null,
    ),
    el('pre', null, argumentsText(args)),
  );
}

/** One content part of a message. */
function part(p) {
  if (typeof p === 'string') return el('div', { class: 'content' }, p);
  if (!isObject(p)) return el('pre', { class: 'content' }, prettyJson(p));
  if ((p.type === 'text' || p.type === 'input_text' || p.type === 'output_text') && typeof p.text === 'string')
    return el('div', { class: 'content' }, p.text);
  if (p.type === 'tool_use') return toolCall(p.name, p.input, p.id);
  if (p.type === 'tool_result')
    return el(
      'div',
      { class: 'content' },
      el('div', { class: 'muted' }, `Result of ${p.tool_use_id ?? 'a tool call'}`),
      contentNode(p.content),
    );
  if (p.type === 'image_url')
    return el('div', { class: 'content muted' }, `[image: ${isObject(p.image_url) ? p.image_url.url : p.image_url}]`);
  return el('pre', { class: 'content' }, prettyJson(p));
}

function contentNode(content) {
  if (content === null || content === undefined) return null;
  if (typeof content === 'string') return el('div', { class: 'content' }, content);
  if (Array.isArray(content)) return el('div', null, ...content.map(part));
  return el('pre', { class: 'content' }, prettyJson(content));
}

/** One message (an object with a role), or any other item as JSON. */
export function messageNode(message, { output = false } = {}) {
  if (!isObject(message) || typeof message.role !== 'string') {
    return el(
      'div',
      { class: `message${output ? ' output' : ''}` },
      el('span', { class: 'role' }, output ? 'output' : 'item'),
      el('pre', { class: 'content' }, typeof message === 'string' ? message : prettyJson(message)),
    );
  }
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  const legacy = isObject(message.function_call) ? [message.function_call] : [];
  return el(
    'div',
    { class: `message${output ? ' output' : ''}`, 'data-role': message.role },
    el(
      'span',
      { class: 'role' },
      message.role,
      message.name ? ` · ${message.name}` : '',
      message.tool_call_id ? ` · result of ${message.tool_call_id}` : '',
      output ? ' · output' : '',
    ),
    contentNode(message.content),
    ...calls.map((c) => toolCall(c?.function?.name ?? c?.name, c?.function?.arguments ?? c?.arguments, c?.id)),
    ...legacy.map((c) => toolCall(c.name, c.arguments)),
  );
}

/** The output object: a message, an API response with choices, or anything else as JSON. */
function outputNode(output) {
  if (isObject(output) && Array.isArray(output.choices) && isObject(output.choices[0]?.message))
    return messageNode(output.choices[0].message, { output: true });
  return messageNode(output, { output: true });
}

/**
 * @param {unknown[] | null} messages field_22
 * @param {Record<string, unknown> | null} output field_23
 * @returns {HTMLElement | null}
 */
export function renderConversation(messages, output) {
  const items = Array.isArray(messages) ? messages : [];
  if (items.length === 0 && !output) return null;
  return el('div', { class: 'conversation' }, ...items.map((m) => messageNode(m)), output ? outputNode(output) : null);
}
