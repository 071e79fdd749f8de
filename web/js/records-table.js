import { el, fill } from './dom.js';
import { formatCost, formatInt, formatSeconds, formatTime } from './format.js';
import { fieldLabel, fieldTitle, typeLabel } from './labels.js';
import { previewOf } from './preview.js';

/** The table's columns: the record field each shows and how; headings are labels.js's words unless given. */
const COLUMNS = [
  { field: 'timestamp', label: 'Time (UTC)', format: formatTime },
  { field: 'field_3', format: typeLabel, wire: true },
  { field: 'field_4' },
  { field: 'preview', label: 'Call', preview: true },
  { field: 'field_10' },
  { field: 'status', badge: true },
  { field: 'sub_field_total', label: 'Tokens', format: formatInt, numeric: true },
  { field: 'field_6', format: formatCost, numeric: true },
  { field: 'field_7', format: formatSeconds, numeric: true },
];
const labelOf = (column) => column.label ?? fieldLabel(column.field);
const titleOf = (column) =>
  column.preview ? 'The last user message → the start of the output (field_1 → field_2)' : fieldTitle(column.field);

/** "-field_6" → {field: "field_6", descending: true}, with option_1..option_4 resolved. */
export function parseSort(sort, sortOptions) {
  const descending = sort.startsWith('-');
  const name = descending ? sort.slice(1) : sort;
  return { field: sortOptions[name] ?? name, descending };
}

/**
 * The records table: sortable headers (the registry decides which), focusable rows, arrow keys to move,
 * Enter or a click to open.
 * @param {{ catalogue: any, header: HTMLElement, body: HTMLElement, onSort: (sort: string) => void, onOpen: (record: any, row: HTMLElement) => void }} options
 */
export function createRecordsTable({ catalogue, header, body, onSort, onOpen }) {
  const sortable = new Set(catalogue.fields.filter((f) => f.sortable).map((f) => f.name));
  /** @type {Map<Element, any>} */
  const recordOf = new Map();
  /** @returns {HTMLElement[]} */
  const rowElements = () => [...body.querySelectorAll('tr[data-id]')].filter((r) => r instanceof HTMLElement);

  /** The row an event happened in, if any. @returns {HTMLElement | null} */
  const rowOf = (event) => (event.target instanceof HTMLElement ? event.target.closest('tr[data-id]') : null);

  body.addEventListener('keydown', (event) => {
    const row = rowOf(event);
    if (!row) return;
    const rows = rowElements();
    const i = rows.indexOf(row);
    const moveTo = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: rows.length - 1 }[event.key];
    if (moveTo !== undefined) {
      event.preventDefault();
      rows[Math.max(0, Math.min(rows.length - 1, moveTo))]?.focus();
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      onOpen(recordOf.get(row), row);
    }
  });
  body.addEventListener('click', (event) => {
    const row = rowOf(event);
    if (row) onOpen(recordOf.get(row), row);
  });

  function renderHeader(sort) {
    const current = parseSort(sort, catalogue.sort_options);
    fill(
      header,
      ...COLUMNS.map((c) => {
        const active = current.field === c.field;
        const ariaSort = active ? (current.descending ? 'descending' : 'ascending') : null;
        const cls = c.numeric ? 'num' : c.preview ? 'preview' : null;
        if (!sortable.has(c.field)) return el('th', { scope: 'col', class: cls, title: titleOf(c), 'data-field': c.field }, labelOf(c));
        const next = active && !current.descending ? `-${c.field}` : c.field;
        const label = `${labelOf(c)}: sort ${next.startsWith('-') ? 'descending' : 'ascending'}`;
        return el(
          'th',
          { scope: 'col', class: cls, 'aria-sort': ariaSort, 'data-field': c.field, title: titleOf(c) },
          el(
            'button',
            { type: 'button', class: 'sort', 'aria-label': label, on: { click: () => onSort(next) } },
            labelOf(c),
            el('span', { class: 'arrow', 'aria-hidden': 'true' }, active ? (current.descending ? '▼' : '▲') : ''),
          ),
        );
      }),
    );
  }

  function cell(column, record) {
    if (column.preview) {
      const { input, output } = previewOf(record);
      return el(
        'td',
        { class: 'preview', title: `${input}\n→ ${output}` },
        el('span', { class: 'preview-in' }, input || '—'),
        output ? el('span', { class: 'preview-out' }, ` → ${output}`) : null,
      );
    }
    const value = record[column.field];
    if (column.badge) return el('td', null, el('span', { class: `badge ${value === 'error' ? 'error' : 'success'}` }, String(value ?? '')));
    const text = column.format ? column.format(value) : value === null || value === undefined ? '—' : String(value);
    const title = column.field === 'timestamp' || column.wire ? value : text;
    return el('td', { class: column.numeric ? 'num' : null, title, 'data-field': column.field }, text);
  }

  return {
    /** @param {any[]} records @param {string} sort @param {{ fresh?: Set<string>, openId?: string | null }} [marks] */
    render(records, sort, marks = {}) {
      renderHeader(sort);
      recordOf.clear();
      if (records.length === 0) {
        fill(body, el('tr', null, el('td', { colspan: String(COLUMNS.length), class: 'empty' }, 'No records match this view.')));
        return;
      }
      fill(
        body,
        ...records.map((record) => {
          const classes = [marks.fresh?.has(record.id) ? 'fresh' : '', marks.openId === record.id ? 'open' : ''].filter(Boolean).join(' ');
          const row = el(
            'tr',
            {
              tabindex: '0',
              'data-id': record.id,
              class: classes || null,
              'aria-label': `${formatTime(record.timestamp)}, ${record.field_4 ?? 'no model'}, ${record.status}. Press Enter to open.`,
            },
            ...COLUMNS.map((c) => cell(c, record)),
          );
          recordOf.set(row, record);
          return row;
        }),
      );
    },
    /** Focuses the row of a record, if it is on this page. */
    focus(id) {
      const row = rowElements().find((r) => r.getAttribute('data-id') === id);
      row?.focus();
      return Boolean(row);
    },
    markOpen(id) {
      for (const r of body.querySelectorAll('tr[data-id]')) r.classList.toggle('open', r.getAttribute('data-id') === id);
    },
  };
}
