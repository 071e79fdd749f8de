import { renderConversation } from './conversation.js';
import { el, fill } from './dom.js';
import { formatCost, formatInt, formatTime } from './format.js';
import { typeLabel } from './labels.js';

/**
 * A thread (field_11) read as one conversation: every record of the thread by time, each turn showing what it added.
 * A chat call usually resends the whole conversation so far, so a record's messages that repeat what the thread has
 * already shown (its earlier messages and outputs, in order) are left out; a call that sends only its new turn shows
 * all of it. Records without messages (tasks, tools, custom) show their input and output as sent.
 */

export const MAX_THREAD_RECORDS = 1000;

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The output as a message: the first choice of an API response, else the object itself. */
const outputMessage = (output) =>
  isObject(output) && Array.isArray(output.choices) && isObject(output.choices[0]?.message) ? output.choices[0].message : output;

/** Two messages are the same turn when role, text and tool calls match (other keys, such as refusal: null, aside). */
function messageKey(m) {
  if (!isObject(m)) return JSON.stringify(m);
  const content =
    Array.isArray(m.content) && m.content.length === 1 && isObject(m.content[0]) && typeof m.content[0].text === 'string'
      ? m.content[0].text
      : (m.content ?? null);
  const calls = Array.isArray(m.tool_calls)
    ? m.tool_calls.map((c) => [c?.id ?? null, c?.function?.name ?? c?.name ?? null, c?.function?.arguments ?? c?.arguments ?? null])
    : [];
  return JSON.stringify([m.role ?? null, content, calls, m.tool_call_id ?? null]);
}

/**
 * Each record with the messages it adds to the thread (the rest already shown above it).
 * @param {any[]} records by time
 * @returns {{ record: any, messages: unknown[] | null, skipped: number }[]}
 */
export function threadTurns(records) {
  /** @type {string[]} */
  const shown = [];
  return records.map((record) => {
    if (!Array.isArray(record.field_22)) return { record, messages: null, skipped: 0 };
    const keys = record.field_22.map(messageKey);
    let skipped = 0; // what this record repeats of the thread so far, from its start
    while (skipped < keys.length && skipped < shown.length && keys[skipped] === shown[skipped]) skipped++;
    shown.length = 0;
    shown.push(...keys);
    if (record.field_23) shown.push(messageKey(outputMessage(record.field_23)));
    return { record, messages: record.field_22.slice(skipped), skipped };
  });
}

function turnNode({ record, messages, skipped }, onOpen) {
  const head = el(
    'div',
    { class: 'turn-head' },
    el('span', { class: 'turn-time' }, formatTime(record.timestamp)),
    el('span', { class: 'muted' }, [typeLabel(record.field_3), record.field_4].filter(Boolean).join(' · ')),
    record.field_6 === null ? el('span', { class: 'muted' }, 'no price') : el('span', { class: 'muted' }, formatCost(record.field_6)),
    record.status === 'error' ? el('span', { class: 'badge error' }, `error · HTTP ${record.field_18}`) : null,
    el('button', { type: 'button', class: 'secondary small', on: { click: () => onOpen(record) } }, 'Open record'),
  );
  const body =
    messages === null
      ? el(
          'div',
          { class: 'conversation' },
          el('div', { class: 'message' }, el('span', { class: 'role' }, 'input'), el('pre', { class: 'content' }, record.field_1 ?? '—')),
          el(
            'div',
            { class: 'message output' },
            el('span', { class: 'role' }, 'output'),
            el('pre', { class: 'content' }, record.field_2 ?? '—'),
          ),
        )
      : renderConversation(messages, record.field_23);
  return el(
    'li',
    { class: 'thread-turn', 'data-id': record.id },
    head,
    skipped > 0 ? el('p', { class: 'hint' }, `Resends the ${formatInt(skipped)} message${skipped === 1 ? '' : 's'} above, then:`) : null,
    body ?? el('p', { class: 'muted' }, '(no messages)'),
  );
}

/**
 * The thread's content for the panel, filled when its records arrive.
 * @param {string} threadId
 * @param {{ list: (threadId: string, limit: number, signal: AbortSignal) => Promise<{ results: any[], next: string | null }>,
 *   onOpen: (record: any) => void, signal: AbortSignal }} options
 */
export function threadSection(threadId, { list, onOpen, signal }) {
  const body = el('div', { class: 'thread', id: 'thread-view', 'aria-busy': 'true' }, el('p', { class: 'muted' }, 'Loading the thread…'));
  list(threadId, MAX_THREAD_RECORDS, signal).then(
    (page) => {
      if (signal.aborted) return;
      const records = page.results.slice(0, MAX_THREAD_RECORDS);
      const first = records[0];
      const last = records[records.length - 1];
      fill(
        body,
        el(
          'p',
          { class: 'muted thread-summary' },
          records.length === 0
            ? 'No records in this thread.'
            : `${formatInt(records.length)} record${records.length === 1 ? '' : 's'}, ${formatTime(first.timestamp)} to ${formatTime(last.timestamp)} (UTC)`,
        ),
        page.next !== null
          ? el(
              'p',
              { class: 'alert warning', role: 'note' },
              `This thread has more than ${formatInt(MAX_THREAD_RECORDS)} records: the first ${formatInt(MAX_THREAD_RECORDS)} by time are shown.`,
            )
          : null,
        el('ol', { class: 'thread-turns' }, ...threadTurns(records).map((turn) => turnNode(turn, onOpen))),
      );
      body.setAttribute('aria-busy', 'false');
    },
    (error) => {
      if (signal.aborted) return;
      fill(body, el('p', { class: 'error-text' }, `Could not load the thread: ${error instanceof Error ? error.message : String(error)}`));
      body.setAttribute('aria-busy', 'false');
    },
  );
  return body;
}
