import { OPERATOR_LABELS } from './filter-builder.js';
import { fieldLabel, typeLabel } from './labels.js';

/**
 * A view's filters in one line of people's words, for the folded filters card: "Model equals gpt-4o · Metadata: tier
 * is one of gold, silver · since 2025-03-01 09:20". The wire form stays in the URL and the unfolded form.
 */

const valueText = (name, v) => {
  if (name === 'field_3' && typeof v === 'string') return typeLabel(v);
  return typeof v === 'string' ? v : JSON.stringify(v);
};

/** @param {import('./view-state.js').View} view */
export function describeFilters(view) {
  const parts = Object.entries(view.filters).map(([name, spec]) => {
    const operator = spec?.operator ?? '';
    const values = Array.isArray(spec?.value) ? spec.value : [spec?.value];
    if (operator === 'isnull') return `${fieldLabel(name)} ${values[0] === false ? 'has a value' : 'has no value'}`;
    return `${fieldLabel(name)} ${OPERATOR_LABELS[operator] ?? operator} ${values.map((v) => valueText(name, v)).join(', ')}`;
  });
  if (view.since) parts.push(`since ${view.since.replace('T', ' ').replace(/(:00)?(\.\d+)?Z$/, '')} UTC`);
  return parts.length === 0 ? 'None: every record' : parts.join(' · ');
}
