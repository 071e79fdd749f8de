import { PALETTE_SIZE } from './charts/theme.js';
import { bucketLabel } from './charts/time-axis.js';
import { el } from './dom.js';
import { formatCost, formatInt } from './format.js';

/**
 * The dashboard's tables: every model and the top customers with their exact numbers. Each name is a button
 * that opens the records table on it; each number carries the API's raw value in data-value.
 */

const cell = (value, text) =>
  el('td', { class: 'num', 'data-value': value === null || value === undefined ? 'null' : String(value) }, text);
const label = (value, fallback) => (value === null ? fallback : value);

/** A colour swatch: series i's colour (--series-i in styles.css), or the "other" colour. */
const swatch = (i) => el('span', { class: `swatch ${i === -1 ? 'series-other' : `series-${i % PALETTE_SIZE}`}`, 'aria-hidden': 'true' });

/** The head of a ranked table: its name column, then cost, records and tokens. */
const rankedHead = (name) =>
  el('thead', null, el('tr', null, el('th', null, name), ...['Cost', 'Records', 'Tokens'].map((h) => el('th', { class: 'num' }, h))));

/** A ranked row's numbers: cost, records, tokens. */
const rankedNumbers = (r) => [
  cell(r.cost, formatCost(r.cost)),
  cell(r.count, formatInt(r.count)),
  cell(r.tokens_total, formatInt(r.tokens_total)),
];

/** A name that opens the records table on it. */
const pick = (text, onClick, attrs = {}) => el('button', { type: 'button', class: 'link', ...attrs, on: { click: onClick } }, text);

/**
 * @param {any[]} rows the analytics rows grouped by field_4 (whole range)
 * @param {(string | null)[]} stacked the models drawn in the chart, bottom first
 * @param {(model: string | null) => void} onPick
 */
export function modelTable(rows, stacked, onPick) {
  return el(
    'table',
    { class: 'data-table dash-table', id: 'dash-models', 'aria-label': 'Cost by model over the range' },
    rankedHead('Model'),
    el(
      'tbody',
      null,
      ...rows.map((r) =>
        r.other
          ? el('tr', { 'data-other': 'true' }, el('td', null, swatch(-1), 'Other models'), ...rankedNumbers(r))
          : el(
              'tr',
              { 'data-model': r.group.field_4 ?? '' },
              el(
                'td',
                null,
                swatch(stacked.indexOf(r.group.field_4)),
                pick(label(r.group.field_4, '(no model)'), () => onPick(r.group.field_4), { title: 'Show these records' }),
              ),
              ...rankedNumbers(r),
            ),
      ),
    ),
  );
}

/**
 * @param {any[]} rows the analytics rows grouped by field_10, top first, an "other" row last
 * @param {(customer: string | null) => void} onPick
 */
export function customerTable(rows, onPick) {
  const details = el(
    'details',
    { class: 'chart-data' },
    el('summary', null, 'Table'),
    el(
      'table',
      { class: 'data-table dash-table', id: 'dash-customer-table', 'aria-label': 'Top customers by cost' },
      rankedHead('Customer'),
      el(
        'tbody',
        null,
        ...rows.map((r) =>
          el(
            'tr',
            r.other ? { 'data-other': 'true' } : { 'data-customer': r.group.field_10 ?? '' },
            el(
              'td',
              null,
              r.other ? 'All other customers' : pick(label(r.group.field_10, '(no customer)'), () => onPick(r.group.field_10)),
            ),
            ...rankedNumbers(r),
          ),
        ),
      ),
    ),
  );
  details.open = true; // beside a short chart there is room for the exact numbers
  return details;
}

/**
 * A chart's numbers per bucket, for reading them exactly (and for screen readers, which cannot read a canvas):
 * one row per bucket that has records.
 * @param {string} id
 * @param {number[]} starts bucket starts (seconds)
 * @param {number} bucketSeconds
 * @param {{ label: string, values: (number | null)[], format: (v: number | null) => string }[]} columns
 * @param {(number | null)[]} counts records per bucket (rows with none are left out)
 * @param {(index: number) => void} onPick opens a bucket's records (its start is a button, for the keyboard)
 */
export function bucketTable(id, starts, bucketSeconds, columns, counts, onPick) {
  return el(
    'details',
    { class: 'chart-data' },
    el('summary', null, 'Data'),
    el(
      'table',
      { class: 'data-table dash-table', id },
      el('thead', null, el('tr', null, el('th', null, 'Bucket start'), ...columns.map((c) => el('th', { class: 'num' }, c.label)))),
      el(
        'tbody',
        null,
        ...starts.flatMap((start, i) =>
          counts[i]
            ? [
                el(
                  'tr',
                  { 'data-bucket': new Date(start * 1000).toISOString().replace('.000Z', 'Z') },
                  el(
                    'td',
                    null,
                    pick(bucketLabel(start, bucketSeconds), () => onPick(i)),
                  ),
                  ...columns.map((c) => cell(c.values[i], c.format(c.values[i]))),
                ),
              ]
            : [],
        ),
      ),
    ),
  );
}
