/**
 * People's words for the API's wire names: the one table the explorer labels fields and record types from. The
 * wire name stays available (tooltips) for those writing API calls. Record types are read from the registry's own
 * description of field_3 (GET /api/meta/fields); a field this table does not know is named by the first clause of
 * its registry description, so a new registry field never shows up unnamed.
 */

/** Short names for fields. The longer text of each is the registry's description (catalogue). */
const FIELD_LABELS = {
  id: 'Record id',
  unique_id: 'Unique id',
  org_id: 'Organisation',
  timestamp: 'Time',
  field_1: 'Input',
  field_2: 'Output',
  field_3: 'Type',
  field_4: 'Model',
  field_5: 'Token usage',
  field_6: 'Cost',
  field_7: 'Latency',
  field_8: 'Time to first token',
  field_9: 'Metadata',
  field_10: 'Customer',
  field_11: 'Thread',
  field_12: 'Custom id',
  field_13: 'Trace',
  field_14: 'Workflow name',
  field_15: 'Span name',
  field_16: 'Tools',
  field_17: 'Tool choice',
  field_18: 'HTTP status',
  field_19: 'Error text',
  field_20: 'Warnings',
  sub_field_a: 'Prompt tokens',
  sub_field_b: 'Completion tokens',
  sub_field_total: 'Total tokens',
  rate: 'Output rate',
  status: 'Status',
  tokens_estimated: 'Tokens estimated',
};

/** Used only if field_3's description cannot be read (it names them: "type_a chat, type_b embedding, …"). */
const FALLBACK_TYPES = {
  type_a: 'chat',
  type_b: 'embedding',
  type_c: 'workflow',
  type_d: 'agent',
  type_e: 'task',
  type_f: 'tool',
  type_g: 'function',
  type_h: 'custom',
};

/**
 * "Record type: type_a chat, type_b embedding, type_c/type_d workflow/agent, …. Default type_a." → {type_a: 'chat',
 * type_b: 'embedding', type_c: 'workflow', type_d: 'agent', …}. Pairs whose names and words do not line up are skipped.
 */
export function typesFromDescription(description) {
  const body = String(description ?? '')
    .replace(/^[^:]*:\s*/, '')
    .split(/\.\s/)[0];
  /** @type {Record<string, string>} */
  const types = {};
  for (const item of body.split(',')) {
    const match = item.trim().match(/^(\S+)\s+(.+)$/);
    if (!match) continue;
    const names = match[1].split('/');
    const words = match[2].trim().split('/');
    if (names.length !== words.length) continue;
    names.forEach((name, i) => {
      if (/^type_[a-z]$/.test(name)) types[name] = words[i].trim();
    });
  }
  return types;
}

/** The first clause of a description, short: the fallback name of a field this table does not know. */
export function shortDescription(text) {
  const first = String(text ?? '')
    .split(/(?<!e\.g)[.:;(,]\s/)[0]
    .trim()
    .replace(/[.:;]$/, '');
  return first.length > 42 ? `${first.slice(0, 40)}…` : first;
}

let descriptions = new Map();
let metadataPrefix = 'field_9__';
let types = { ...FALLBACK_TYPES };

/** Reads the registry's descriptions from the catalogue (GET /api/meta/fields); call once at start. */
export function useCatalogue(catalogue) {
  descriptions = new Map((catalogue?.fields ?? []).map((f) => [f.name, f.description]));
  metadataPrefix = catalogue?.metadata_prefix ?? metadataPrefix;
  const fromRegistry = typesFromDescription(descriptions.get('field_3'));
  types = Object.keys(fromRegistry).length > 0 ? { ...FALLBACK_TYPES, ...fromRegistry } : { ...FALLBACK_TYPES };
}

/** A field's name in people's words ("Cost" for field_6); metadata keys read "Metadata: tier". */
export function fieldLabel(name) {
  if (FIELD_LABELS[name]) return FIELD_LABELS[name];
  if (name.startsWith(metadataPrefix)) return `Metadata: ${name.slice(metadataPrefix.length)}`;
  const description = descriptions.get(name);
  return description ? shortDescription(description) : name;
}

/** The tooltip of a label: the wire name, and the registry's description when there is one. */
export function fieldTitle(name) {
  const description = descriptions.get(name);
  return description ? `${name} · ${description}` : name;
}

/** A record type in people's words ("chat" for type_a); an unknown value as it is. */
export function typeLabel(value) {
  if (value === null || value === undefined) return '—';
  return types[value] ?? String(value);
}

/** The wire value of a type word ("chat" → "type_a"); anything else as it is. */
export function typeValue(word) {
  const text = String(word).trim();
  const found = Object.entries(types).find(([, label]) => label === text.toLowerCase());
  return found ? found[0] : text;
}

/** Every record type: [wire value, word]. */
export function typeEntries() {
  return Object.entries(types);
}
