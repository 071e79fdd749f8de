import { el, fill, svg } from './dom.js';
import { formatCost, formatInt, formatSeconds } from './format.js';

/**
 * The trace of a record: every record of the org with the same field_13, as a waterfall nested by parent span.
 * A record's parent is the record whose field_12 (span id) is its field_9["otel.parent_span_id"] (what OTLP ingest
 * stores); a record whose parent is not in the set is a root. Siblings are ordered by start (timestamp, then id).
 */

/** The most records one trace shows: the list API's page size for the one request it makes. */
export const MAX_TRACE_RECORDS = 1000;
/** Nesting deeper than this is shown at this level (aria-level too), so a runaway chain stays readable. */
export const MAX_TRACE_DEPTH = 32;
/** Indentation stops growing here; aria-level still carries the true level (up to MAX_TRACE_DEPTH). */
const MAX_INDENT = 12;
const PARENT_KEY = 'otel.parent_span_id';

const startMs = (r) => Date.parse(r.timestamp);
const durationMs = (r) => (typeof r.field_7 === 'number' && r.field_7 > 0 ? r.field_7 * 1000 : 0);
const bySpanStart = (a, b) => startMs(a) - startMs(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const parentSpanOf = (r) => {
  const p = r.field_9 && typeof r.field_9 === 'object' ? r.field_9[PARENT_KEY] : undefined;
  return typeof p === 'string' && p !== '' ? p : null;
};

/**
 * The rows of the waterfall in display order (depth first, siblings by start), each with its depth (0 for a
 * root), its position among its siblings and their count. Iterative and cycle-safe: every record appears once,
 * a record caught in a parent loop becomes a root.
 * @param {any[]} records
 * @returns {{ record: any, depth: number, position: number, siblings: number }[]}
 */
export function traceRows(records) {
  const sorted = [...records].sort(bySpanStart);
  /** @type {Map<string, any>} span id → its first record by start */
  const bySpan = new Map();
  for (const r of sorted) if (typeof r.field_12 === 'string' && r.field_12 !== '' && !bySpan.has(r.field_12)) bySpan.set(r.field_12, r);
  /** @type {Map<any, any[]>} */
  const children = new Map();
  const roots = [];
  for (const r of sorted) {
    const parent = bySpan.get(parentSpanOf(r) ?? '');
    if (parent && parent !== r) {
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(r); // stays sorted: sorted is walked in order
    } else roots.push(r);
  }
  const rows = [];
  const seen = new Set();
  const walk = (top) => {
    // An explicit stack of [record, depth, position, siblings]: no recursion however deep the trace is.
    const stack = top.map((r, i) => [r, 0, i + 1, top.length]).reverse();
    while (stack.length > 0) {
      const [record, depth, position, siblings] = stack.pop();
      if (seen.has(record)) continue;
      seen.add(record);
      rows.push({ record, depth: Math.min(depth, MAX_TRACE_DEPTH - 1), position, siblings });
      const kids = (children.get(record) ?? []).filter((k) => !seen.has(k));
      for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1, i + 1, kids.length]);
    }
  };
  walk(roots);
  // Records whose parent chain loops back on itself were never reached from a root: they become roots.
  const orphans = sorted.filter((r) => !seen.has(r));
  if (orphans.length > 0) walk(orphans);
  return rows;
}

/** Start offset and width of each record's bar, as fractions (0..1) of the trace's span from first start to last end. */
export function traceTimeline(records) {
  const starts = records.map(startMs).filter((t) => Number.isFinite(t));
  if (starts.length === 0) return { begin: 0, total: 0, place: () => ({ offset: 0, width: 0 }) };
  const begin = Math.min(...starts);
  const end = Math.max(...records.map((r) => (Number.isFinite(startMs(r)) ? startMs(r) + durationMs(r) : begin)));
  const total = end - begin;
  return {
    begin,
    total,
    place: (r) => {
      const t = startMs(r);
      if (!Number.isFinite(t) || total <= 0) return { offset: 0, width: total <= 0 ? 1 : 0 };
      const offset = (t - begin) / total;
      return { offset, width: Math.min(1 - offset, durationMs(r) / total) };
    },
  };
}

const nameOf = (r) => r.field_15 || r.field_14 || r.field_3 || '(unnamed)';
const tokensOf = (r) => (r.sub_field_total === null || r.sub_field_total === undefined ? '—' : formatInt(r.sub_field_total));

function bar({ offset, width }) {
  const W = 1000;
  const x = Math.round(offset * W);
  return svg(
    'svg',
    { class: 'trace-bar', viewBox: `0 0 ${W} 10`, preserveAspectRatio: 'none', 'aria-hidden': 'true', focusable: 'false' },
    svg('rect', { class: 'track', x: 0, y: 0, width: W, height: 10 }),
    // At least 3 units wide, so an instant record still shows where it happened.
    svg('rect', { class: 'span', x: Math.min(x, W - 3), y: 0, width: Math.max(3, Math.round(width * W)), height: 10 }),
  );
}

/**
 * One row: a tree item that opens its record on click, Enter or Space.
 * @param {{ record: any, depth: number, position: number, siblings: number }} row
 */
function rowItem(row, place, currentId, onOpen) {
  const r = row.record;
  const current = r.id === currentId;
  const cost = r.field_6 === null || r.field_6 === undefined ? '—' : formatCost(r.field_6);
  const label = `${nameOf(r)}${r.field_4 ? `, ${r.field_4}` : ''}, ${tokensOf(r)} tokens, cost ${cost}, ${formatSeconds(r.field_7)}${current ? ' (this record)' : ''}`;
  const indent = Array.from({ length: Math.min(row.depth, MAX_INDENT) }, () => el('span', { class: 'indent', 'aria-hidden': 'true' }));
  return el(
    'li',
    {
      role: 'treeitem',
      class: current ? 'trace-row current' : 'trace-row',
      'aria-level': row.depth + 1,
      'aria-setsize': row.siblings,
      'aria-posinset': row.position,
      'aria-selected': current ? 'true' : 'false',
      'aria-label': label,
      'data-id': r.id,
      tabindex: current ? '0' : '-1',
      on: { click: () => onOpen(r) },
    },
    el(
      'span',
      { class: 'trace-cells' },
      el('span', { class: 'trace-name', 'data-col': 'name', title: nameOf(r) }, ...indent, el('span', { class: 'text' }, nameOf(r))),
      el('span', { class: 'trace-model', 'data-col': 'model', title: r.field_4 ?? '' }, r.field_4 || '—'),
      el('span', { class: 'num', 'data-col': 'tokens' }, tokensOf(r)),
      el('span', { class: 'num', 'data-col': 'cost' }, cost),
      el('span', { class: 'num', 'data-col': 'duration' }, formatSeconds(r.field_7)),
    ),
    bar(place(r)),
  );
}

/** Arrow keys, Home and End move between rows (one tab stop for the whole tree); Enter and Space open. */
function keyboard(tree, onOpen, byId) {
  tree.addEventListener('keydown', (event) => {
    const items = /** @type {HTMLElement[]} */ ([...tree.querySelectorAll('[role="treeitem"]')]);
    const i = items.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    if (i < 0) return;
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onOpen(byId.get(items[i].getAttribute('data-id')));
      return;
    }
    const to = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = items[Math.max(0, Math.min(items.length - 1, to))];
    for (const item of items) item.setAttribute('tabindex', item === next ? '0' : '-1');
    next.focus();
  });
}

/**
 * The waterfall for a page of records of one trace (sorted or not).
 * @param {any[]} records
 * @param {{ currentId: string, more: boolean, onOpen: (record: any) => void }} options
 */
export function renderWaterfall(records, { currentId, more, onOpen }) {
  const rows = traceRows(records);
  const timeline = traceTimeline(records);
  const byId = new Map(records.map((r) => [r.id, r]));
  const tree = el(
    'ul',
    { role: 'tree', class: 'trace-tree', 'aria-label': `Trace: ${formatInt(rows.length)} records`, 'aria-describedby': 'trace-help' },
    ...rows.map((row) => rowItem(row, timeline.place, currentId, onOpen)),
  );
  if (!rows.some((row) => row.record.id === currentId)) tree.querySelector('[role="treeitem"]')?.setAttribute('tabindex', '0');
  keyboard(tree, onOpen, byId);
  return [
    el(
      'p',
      { class: 'muted trace-summary' },
      `${formatInt(rows.length)} record${rows.length === 1 ? '' : 's'} over ${formatSeconds(timeline.total / 1000)}`,
    ),
    more
      ? el(
          'p',
          { class: 'alert warning trace-more', role: 'note' },
          `This trace has more than ${formatInt(MAX_TRACE_RECORDS)} records: the first ${formatInt(MAX_TRACE_RECORDS)} by start time are shown.`,
        )
      : null,
    el(
      'div',
      { class: 'trace-head', 'aria-hidden': 'true' },
      el('span', null, 'Name'),
      el('span', null, 'Model'),
      el('span', { class: 'num' }, 'Tokens'),
      el('span', { class: 'num' }, 'Cost'),
      el('span', { class: 'num' }, 'Duration'),
    ),
    tree,
    el('p', { id: 'trace-help', class: 'hint' }, 'Arrow keys move between the trace’s records; Enter opens one.'),
  ];
}

/**
 * The detail panel's Trace section for a record, filled when the trace arrives; null when the record has no
 * field_13 (no section at all).
 * @param {any} record
 * @param {{ list: (traceId: string, limit: number, signal: AbortSignal) => Promise<{ results: any[], next: string | null }>,
 *   onOpen: (record: any) => void, signal: AbortSignal, focusCurrent?: boolean }} options
 */
export function traceSection(record, { list, onOpen, signal, focusCurrent = false }) {
  const traceId = record.field_13;
  if (typeof traceId !== 'string' || traceId === '') return null;
  const body = el('div', { class: 'trace', 'aria-busy': 'true' }, el('p', { class: 'muted' }, 'Loading the trace…'));
  const section = el(
    'section',
    { 'aria-labelledby': 'record-trace', id: 'trace-section' },
    el('h3', { id: 'record-trace' }, 'Trace'),
    body,
  );
  list(traceId, MAX_TRACE_RECORDS, signal).then(
    (page) => {
      if (signal.aborted) return;
      const records = page.results.slice(0, MAX_TRACE_RECORDS);
      fill(body, ...renderWaterfall(records, { currentId: record.id, more: page.next !== null, onOpen }));
      body.setAttribute('aria-busy', 'false');
      if (focusCurrent) /** @type {HTMLElement | null} */ (body.querySelector('[role="treeitem"][tabindex="0"]'))?.focus();
    },
    (error) => {
      if (signal.aborted) return;
      fill(body, el('p', { class: 'error-text' }, `Could not load the trace: ${error instanceof Error ? error.message : String(error)}`));
      body.setAttribute('aria-busy', 'false');
    },
  );
  return section;
}
