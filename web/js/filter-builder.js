import { el, fill } from './dom.js';
import { formatValue, parseValue } from './filter-values.js';
import { fieldLabel, fieldTitle, typeEntries, typeLabel, typeValue } from './labels.js';

/** Readable names for the API's operators; the operators themselves come from /api/meta/fields. */
export const OPERATOR_LABELS = {
  '': 'equals',
  not: 'does not equal',
  lt: '<',
  lte: '≤',
  gt: '>',
  gte: '≥',
  contains: 'contains',
  icontains: 'contains (any case)',
  startswith: 'starts with',
  endswith: 'ends with',
  in: 'is one of',
  isnull: 'is null',
};

const META_OPTION = '__metadata__';
const PLACEHOLDERS = { timestamp: '2025-01-01T00:00:00Z', float: 'a number, e.g. 0.5', int: 'a whole number', text: 'text', meta: 'value' };

/** A problem in what was typed, with the control to focus. */
export class FilterInputError extends Error {
  constructor(message, control) {
    super(message);
    this.control = control;
  }
}

/** field_3 is typed and shown in words (chat, embedding…); the API gets type_a… (labels.js). */
const TYPE_FIELD = 'field_3';
const toWords = (name, values) => (name === TYPE_FIELD ? values.map((v) => (typeof v === 'string' ? typeLabel(v) : v)) : values);
const toWire = (name, values) => (name === TYPE_FIELD ? values.map((v) => (typeof v === 'string' ? typeValue(v) : v)) : values);

/**
 * The filter builder: one row per filter (field, operator, value), for every filterable field in the
 * registry and every operator, plus metadata keys (field_9__<key>).
 * @param {{ catalogue: any, list: HTMLElement }} options
 */
export function createFilterBuilder({ catalogue, list }) {
  const fields = catalogue.fields.filter((f) => f.filterable);
  const byName = new Map(fields.map((f) => [f.name, f]));
  const prefix = catalogue.metadata_prefix;
  let counter = 0;

  const datalists = fields
    .filter((f) => f.values)
    .map((f) =>
      el(
        'datalist',
        { id: `values-${f.name}` },
        ...(f.name === TYPE_FIELD
          ? typeEntries().map(([wire, word]) => el('option', { value: word }, wire))
          : f.values.map((v) => el('option', { value: v }))),
      ),
    );
  list.after(...datalists);

  const kindOf = (row) => (row.fieldSelect.value === META_OPTION ? 'meta' : (byName.get(row.fieldSelect.value)?.kind ?? 'text'));

  function sync(row) {
    const isMeta = row.fieldSelect.value === META_OPTION;
    row.metaKey.hidden = !isMeta;
    row.metaKeyLabel.hidden = !isMeta;
    const isNull = row.operatorSelect.value === 'isnull';
    row.valueInput.hidden = isNull;
    row.valueLabel.hidden = isNull;
    row.nullSelect.hidden = !isNull;
    row.nullLabel.hidden = !isNull;
    const field = byName.get(row.fieldSelect.value);
    row.fieldSelect.title = isMeta ? `${prefix}<key> · metadata key` : fieldTitle(row.fieldSelect.value);
    if (field?.values) row.valueInput.setAttribute('list', `values-${field.name}`);
    else row.valueInput.removeAttribute('list');
    const kind = kindOf(row);
    row.valueInput.placeholder = row.operatorSelect.value === 'in' ? `${PLACEHOLDERS[kind]}, …` : PLACEHOLDERS[kind];
  }

  /** Adds a row, optionally filled from one API filter. */
  function addRow(name = fields[0].name, spec = { operator: '', value: [''] }) {
    const n = ++counter;
    const isMeta = name.startsWith(prefix);
    const fieldSelect = el(
      'select',
      { id: `filter-field-${n}`, class: 'field' },
      ...fields.map((f) => el('option', { value: f.name, title: fieldTitle(f.name) }, fieldLabel(f.name))),
      el('option', { value: META_OPTION, title: `${prefix}<key> · a metadata key` }, 'Metadata key…'),
    );
    fieldSelect.value = isMeta ? META_OPTION : byName.has(name) ? name : fields[0].name;
    const metaKey = el('input', {
      id: `filter-meta-${n}`,
      class: 'meta-key',
      type: 'text',
      placeholder: 'key',
      spellcheck: 'false',
      value: isMeta ? name.slice(prefix.length) : '',
    });
    const operatorSelect = el(
      'select',
      { id: `filter-op-${n}`, class: 'operator' },
      ...catalogue.operators.map((op) => el('option', { value: op }, OPERATOR_LABELS[op] ?? op)),
    );
    operatorSelect.value = catalogue.operators.includes(spec.operator ?? '') ? (spec.operator ?? '') : '';
    const kind = isMeta ? 'meta' : (byName.get(fieldSelect.value)?.kind ?? 'text');
    const valueInput = el('input', { id: `filter-value-${n}`, class: 'value', type: 'text', spellcheck: 'false', autocomplete: 'off' });
    const shown = Array.isArray(spec.value) ? toWords(name, spec.value) : spec.value;
    valueInput.value = operatorSelect.value === 'isnull' ? '' : formatValue(shown, operatorSelect.value, kind);
    const nullSelect = el(
      'select',
      { id: `filter-null-${n}` },
      el('option', { value: 'true' }, 'true (no value)'),
      el('option', { value: 'false' }, 'false (has a value)'),
    );
    if (operatorSelect.value === 'isnull') nullSelect.value = formatValue(spec.value, 'isnull', kind);
    const metaKeyLabel = el('label', { for: metaKey.id, class: 'visually-hidden' }, `Filter ${n} metadata key`);
    const valueLabel = el('label', { for: valueInput.id, class: 'visually-hidden' }, `Filter ${n} value`);
    const nullLabel = el('label', { for: nullSelect.id, class: 'visually-hidden' }, `Filter ${n} is null`);
    const remove = el('button', { type: 'button', class: 'secondary small', 'aria-label': `Remove filter ${n}` }, 'Remove');
    const item = el(
      'li',
      { class: 'filter-row', 'data-filter-row': String(n) },
      el('label', { for: fieldSelect.id, class: 'visually-hidden' }, `Filter ${n} field`),
      fieldSelect,
      metaKeyLabel,
      metaKey,
      el('label', { for: operatorSelect.id, class: 'visually-hidden' }, `Filter ${n} operator`),
      operatorSelect,
      valueLabel,
      valueInput,
      nullLabel,
      nullSelect,
      remove,
    );
    const row = { item, fieldSelect, metaKey, metaKeyLabel, operatorSelect, valueInput, valueLabel, nullSelect, nullLabel };
    fieldSelect.addEventListener('change', () => sync(row));
    operatorSelect.addEventListener('change', () => sync(row));
    remove.addEventListener('click', () => {
      const next = item.nextElementSibling ?? item.previousElementSibling;
      item.remove();
      rows.delete(item);
      (next?.querySelector('select') ?? document.getElementById('add-filter'))?.focus();
    });
    rows.set(item, row);
    list.append(item);
    sync(row);
    return row;
  }

  /** @type {Map<Element, any>} */
  const rows = new Map();

  return {
    /** Shows the filters of a view (from the URL). */
    show(filters) {
      fill(list);
      rows.clear();
      for (const [name, spec] of Object.entries(filters)) addRow(name, spec && typeof spec === 'object' ? spec : undefined);
    },
    /** Adds an empty row and focuses it. */
    add() {
      addRow().fieldSelect.focus();
    },
    /** The API filters object for what is on screen; throws FilterInputError naming the bad control. */
    read() {
      const filters = {};
      for (const row of list.querySelectorAll('[data-filter-row]')) {
        const r = rows.get(row);
        const isMeta = r.fieldSelect.value === META_OPTION;
        const key = r.metaKey.value.trim();
        if (isMeta && key === '') throw new FilterInputError('Give the metadata key to filter on.', r.metaKey);
        const name = isMeta ? `${prefix}${key}` : r.fieldSelect.value;
        if (name in filters)
          throw new FilterInputError(`${fieldLabel(name)} (${name}) is filtered twice; the API takes one filter per field.`, r.fieldSelect);
        const operator = r.operatorSelect.value;
        const value = parseValue(operator === 'isnull' ? r.nullSelect.value : r.valueInput.value, operator, kindOf(r));
        filters[name] = { operator, value: operator === 'isnull' ? value : toWire(name, value) };
      }
      return filters;
    },
  };
}
