/**
 * The text a person types in a filter's value box ↔ the API's "value" list. Column fields take values
 * of their kind (numbers for numeric fields, strings otherwise); metadata values are read as JSON
 * scalars when they look like one, so that 5, true and null keep their JSON types ("5" means text).
 */

const JSON_SCALAR = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null|"(?:[^"\\]|\\.)*")$/;

/** @param {string} text @param {string} kind text | float | int | timestamp | meta */
function typed(text, kind) {
  if (kind === 'float' || kind === 'int') {
    const n = Number(text);
    return text.trim() !== '' && Number.isFinite(n) ? n : text; // the API names the filter if it is not a number
  }
  if (kind === 'meta' && JSON_SCALAR.test(text.trim())) return JSON.parse(text.trim());
  return text;
}

/** Splits a list: a JSON array as it is, else comma-separated items, trimmed. */
function listItems(text, kind) {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(trimmed);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      /* not JSON after all: read it as a comma-separated list */
    }
  }
  return trimmed === '' ? [] : trimmed.split(',').map((s) => typed(s.trim(), kind));
}

/**
 * @param {string} text what was typed
 * @param {string} operator the API operator
 * @param {string} kind the field's kind, or "meta"
 * @returns {unknown[]}
 */
export function parseValue(text, operator, kind) {
  if (operator === 'isnull') return [text !== 'false'];
  if (operator === 'in') return listItems(text, kind);
  return [typed(text, kind)];
}

/** The inverse of parseValue, for showing a view loaded from the URL. */
export function formatValue(values, operator, kind) {
  const list = Array.isArray(values) ? values : [values];
  if (operator === 'isnull') return list[0] === false ? 'false' : 'true';
  const one = (v) => {
    if (kind === 'meta') return typeof v === 'string' && !JSON_SCALAR.test(v.trim()) ? v : JSON.stringify(v);
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  if (operator === 'in') {
    const needsJson =
      list.some((v) => typeof v === 'string' && (v.includes(',') || v.trim() !== v)) ||
      list.some((v) => typeof v !== 'string' && kind === 'text');
    return needsJson ? JSON.stringify(list) : list.map(one).join(', ');
  }
  return list.length > 0 ? one(list[0]) : '';
}
