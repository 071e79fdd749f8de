/**
 * What a call was, in one line: the last thing the user said (else the last message, else the input as sent) and
 * the start of the answer, for the table's preview column. Plain text only; the cell truncates it.
 */

const MAX = 300;
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const squash = (text) => text.replace(/\s+/g, ' ').trim();
const cut = (text) => (text.length > MAX ? `${text.slice(0, MAX - 1)}…` : text);

/** The text of a message's content: a string, or the text parts of a list (tool use named). */
function contentText(content) {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => {
      if (typeof p === 'string') return p;
      if (!isObject(p)) return '';
      if (typeof p.text === 'string') return p.text;
      if (p.type === 'tool_use') return `[tool call ${p.name ?? ''}]`;
      if (p.type === 'tool_result') return `[tool result] ${contentText(p.content)}`;
      return '';
    })
    .filter(Boolean)
    .join(' ');
}

/** A message's text, its tool calls named when it has no text. */
function messageText(message) {
  if (typeof message === 'string') return message;
  if (!isObject(message)) return '';
  const text = contentText(message.content);
  if (text.trim() !== '') return text;
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  const names = calls.map((c) => c?.function?.name ?? c?.name).filter(Boolean);
  return names.length > 0 ? `[tool call ${names.join(', ')}]` : '';
}

function inputText(record) {
  const messages = Array.isArray(record.field_22) ? record.field_22 : [];
  const user = [...messages].reverse().find((m) => isObject(m) && m.role === 'user' && messageText(m).trim() !== '');
  const last = user ?? [...messages].reverse().find((m) => messageText(m).trim() !== '');
  if (last) return messageText(last);
  return typeof record.field_1 === 'string' ? record.field_1 : '';
}

function outputText(record) {
  const output = record.field_23;
  if (isObject(output)) {
    const message = Array.isArray(output.choices) && isObject(output.choices[0]?.message) ? output.choices[0].message : output;
    const text = messageText(message);
    if (text.trim() !== '') return text;
  }
  return typeof record.field_2 === 'string' ? record.field_2 : '';
}

/** @returns {{ input: string, output: string }} both squashed to one line and at most 300 characters */
export function previewOf(record) {
  return { input: cut(squash(inputText(record))), output: cut(squash(outputText(record))) };
}
