import { renderConversation } from './conversation.js';
import { el, fill } from './dom.js';
import { formatCost, formatInt, formatSeconds, formatTime, prettyJson } from './format.js';
import { rawJsonView } from './json-view.js';
import { typeLabel } from './labels.js';

const isEmpty = (v) =>
  v === null || v === undefined || v === '' || (typeof v === 'object' && !(v instanceof Node) && Object.keys(v).length === 0);
const text = (v) => (v === null || v === undefined || v === '' ? '—' : typeof v === 'string' ? v : prettyJson(v));

/** A <dl> of label → value pairs, skipping empty values unless asked. */
function pairs(entries, { keepEmpty = false } = {}) {
  const kept = entries.filter(([, v]) => keepEmpty || !isEmpty(v));
  return el(
    'dl',
    { class: 'kv' },
    ...kept.flatMap(([label, v]) => [el('dt', null, label), el('dd', null, v instanceof Node ? v : text(v))]),
  );
}

const section = (title, id, ...children) => el('section', { 'aria-labelledby': id }, el('h3', { id }, title), ...children);

function problems(r) {
  const out = [];
  if (r.status === 'error' || !isEmpty(r.field_19)) {
    out.push(
      el(
        'section',
        { class: 'alert error', id: 'record-error', 'aria-labelledby': 'record-error-title' },
        el('h3', { id: 'record-error-title' }, `Error · HTTP ${r.field_18}`),
        el('pre', null, isEmpty(r.field_19) ? '(no error text)' : r.field_19),
      ),
    );
  }
  if (!isEmpty(r.field_20)) {
    out.push(
      el(
        'section',
        { class: 'alert warning', id: 'record-warnings', 'aria-labelledby': 'record-warnings-title' },
        el('h3', { id: 'record-warnings-title' }, 'Warnings'),
        el('pre', null, text(r.field_20)),
      ),
    );
  }
  return out;
}

function conversation(r) {
  const rendered = renderConversation(r.field_22, r.field_23);
  if (rendered) return section('Conversation', 'record-conversation', rendered);
  // Types without extraction (task, tool, function, custom): the input and output as sent.
  return section(
    'Input and output',
    'record-conversation',
    el('h4', null, 'Input'),
    el('pre', null, text(r.field_1)),
    el('h4', null, 'Output'),
    el('pre', null, text(r.field_2)),
  );
}

function tools(r) {
  if (isEmpty(r.field_16) && isEmpty(r.field_17)) return null;
  const defs = Array.isArray(r.field_16) ? r.field_16 : [];
  const choice =
    r.field_17 && typeof r.field_17 === 'object' ? `function ${r.field_17.definition?.name ?? prettyJson(r.field_17)}` : r.field_17;
  return section(
    'Tools',
    'record-tools',
    ...defs.map((t) =>
      el(
        'div',
        { class: 'tool', 'data-tool': t?.definition?.name ?? '' },
        el('span', { class: 'name' }, String(t?.definition?.name ?? '(unnamed)')),
        t?.definition?.description ? el('div', null, String(t.definition.description)) : null,
        t?.definition?.parameters
          ? el('details', null, el('summary', null, 'Parameters (JSON Schema)'), el('pre', null, prettyJson(t.definition.parameters)))
          : null,
      ),
    ),
    pairs([['Tool choice', choice ?? '—']], { keepEmpty: true }),
  );
}

/** Metadata keys and values side by side, a key over its value on a narrow panel. */
function metadata(r) {
  if (isEmpty(r.field_9) || typeof r.field_9 !== 'object') return null;
  return section(
    'Metadata',
    'record-metadata',
    el(
      'dl',
      { class: 'kv meta' },
      ...Object.entries(r.field_9).flatMap(([k, v]) => [
        el('dt', { 'data-key': k }, k),
        el('dd', { 'data-key': k }, typeof v === 'string' ? v : JSON.stringify(v)),
      ]),
    ),
  );
}

/** An id as a link to the table filtered by it (thread, trace, customer), with the text alone without links. */
const linked = (links, field, value, extra = null) =>
  isEmpty(value) || !links ? value : el('span', { class: 'id-links' }, links.filter(field, value), extra);

/**
 * The record's detail: problems first, then what it was, usage and cost, its trace (when it has one), conversation,
 * tools, metadata, raw JSON.
 * @param {any} r
 * @param {HTMLElement | null} [trace] the Trace section (trace-waterfall.js), filled as it loads
 * @param {{ filter: (field: string, value: string) => Node, thread: (id: string) => Node } | null} [links] view links
 */
export function renderRecord(r, trace = null, links = null) {
  return [
    ...problems(r),
    section(
      'Overview',
      'record-overview',
      pairs([
        ['Time (UTC)', formatTime(r.timestamp)],
        ['Type', typeLabel(r.field_3)],
        ['Model', r.field_4],
        ['Status', `${r.status} (HTTP ${r.field_18})`],
        ['Customer', linked(links, 'field_10', r.field_10)],
        ['Thread', linked(links, 'field_11', r.field_11, isEmpty(r.field_11) || !links ? null : links.thread(r.field_11))],
        ['Custom id', r.field_12],
        ['Trace', linked(links, 'field_13', r.field_13)],
        ['Trace names', [r.field_14, r.field_15].filter(Boolean).join(' / ')],
      ]),
    ),
    section(
      'Usage and cost',
      'record-usage',
      pairs(
        [
          ['Prompt tokens', formatInt(r.sub_field_a)],
          ['Completion tokens', formatInt(r.sub_field_b)],
          ['Total tokens', `${formatInt(r.sub_field_total)}${r.tokens_estimated ? ' (estimated)' : ''}`],
          ['Cost', r.field_6 === null ? '— (unknown price)' : formatCost(r.field_6)],
          ['Latency', formatSeconds(r.field_7)],
          ['Time to first token', formatSeconds(r.field_8)],
          ['Output rate', r.rate === null ? '—' : `${Number(r.rate.toFixed(1))} tokens/s`],
        ],
        { keepEmpty: true },
      ),
    ),
    trace,
    conversation(r),
    tools(r),
    metadata(r),
    section('Raw', 'record-raw', rawJsonView(r)),
  ].filter(Boolean);
}

/**
 * The side panel. Opening moves focus into it; Escape or the close button closes it and onClose gets
 * the id, so the caller can put focus back on the row. trace(record, signal, options) gives the record's Trace
 * section or null; its request is cancelled when the panel shows something else or closes.
 */
export function createDetailPanel({ panel, title, body, closeButton, onClose, trace, links = null }) {
  let openId = null;
  let traceRequest = null;
  const cancelTrace = () => {
    traceRequest?.abort();
    traceRequest = null;
  };
  const close = () => {
    if (openId === null) return;
    const id = openId;
    openId = null;
    cancelTrace();
    panel.hidden = true;
    onClose(id);
  };
  closeButton.addEventListener('click', close);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && openId !== null) {
      event.preventDefault();
      close();
    }
  });
  const open = (id, heading, ...content) => {
    openId = id;
    cancelTrace();
    title.textContent = heading;
    fill(body, ...content);
    panel.hidden = false;
    panel.focus();
  };
  return {
    get openId() {
      return openId;
    },
    loading: (id) => open(id, `Record ${id}`, el('p', { class: 'muted' }, 'Loading…')),
    /** @param {any} record @param {{ fromTrace?: boolean }} [options] fromTrace: focus the record's row when its trace shows */
    show: (record, options = {}) => {
      const controller = new AbortController();
      const section = trace ? trace(record, controller.signal, options) : null;
      open(record.id, `Record ${record.id}`, ...renderRecord(record, section, links));
      traceRequest = controller;
    },
    /**
     * Something other than a record (a thread): key is what openId reads while it shows; build gets a signal that is
     * aborted when the panel shows something else or closes.
     * @param {string} key @param {string} heading @param {(signal: AbortSignal) => Node[]} build
     */
    showOther: (key, heading, build) => {
      const controller = new AbortController();
      open(key, heading, ...build(controller.signal));
      traceRequest = controller;
    },
    failed: (id, message) => open(id, `Record ${id}`, el('p', { class: 'error-text' }, message)),
    close,
  };
}
