import { BODY_INPUT, IDENTIFIER, TOOL_CHOICE, TOOL_DEFINITION, USAGE_DETAILS_OUTPUT, USAGE_INPUT, nullable } from './value-schemas.ts';

/**
 * The one field registry: every name of the wire API is declared here once. It drives
 * - validation: the create request's JSON Schema, aliases included (fields/schema.ts, fields/validate.ts), and the
 *   CreateInput type;
 * - the record: the RecordData type (model/record.ts), and at ingest each field the client sends is copied into
 *   it by its storage kind, with its default (records/derive.ts);
 * - storage: the records table's columns and how each is encoded (store/columns.ts), the metadata column both SQL
 *   dialects query (METADATA_COLUMN);
 * - filters and sorting: which fields filter and sort, and how their values are typed (isFilterable, isSortable:
 *   query/filters.ts, query/list-params.ts; param_d's named options, SORT_OPTIONS);
 * - serialisation: the wire record, in this order (model/to-api.ts, records/record-json.ts);
 * - documentation: the OpenAPI document (http/openapi.ts) and the explorer's catalogue (records/catalogue.ts,
 *   GET /api/meta/fields).
 * Adding a field is one edit here, plus its column in both stores' migrations when it is stored; a computed field
 * also needs its computation in records/derive.ts (the compiler asks for it), and one rebuilt on read its rebuild in
 * store/row-to-record.ts. The indexes are the migrations'; `indexed` says which the list planners may lean on, and a
 * test holds the two together. docs/fields.md walks through it.
 */

/** How a scalar is compared, sorted and stored. */
export type ScalarKind = 'text' | 'float' | 'int' | 'timestamp';

/** How a field is kept in the store. */
export type Storage =
  | { kind: 'scalar'; column: string } // a narrow, indexable column of its ScalarKind
  | { kind: 'body'; column: string } // a large text column (prompts, outputs), filterable but not sortable
  | { kind: 'json'; column: string } // a JSON document kept as text, returned parsed
  | { kind: 'bool'; column: string } // 0/1
  // An object of other fields' columns (wire member → column); `extra`: a JSON column whose object's members follow
  // (when it holds one), as field_5's extension counts do.
  | { kind: 'composed'; members: Readonly<Record<string, string>>; extra?: string }
  | { kind: 'derived' } // not stored: rebuilt from other columns whenever a record is read (store/row-to-record.ts)
  | { kind: 'none' }; // not stored at all (write options)

type JsonSchema = Readonly<Record<string, unknown>>;

export interface FieldDef {
  name: string;
  description: string;
  /** JSON Schema accepted on create; absent when the server generates the field. */
  input?: JsonSchema;
  /** Old names still accepted on create; the field's own name wins when both are sent. */
  aliases?: readonly string[];
  /** Stored when the client sends no value (or null); without one, null is stored. */
  default?: string | number;
  /**
   * The server computes the stored value (records/derive.ts), from what was sent if anything; otherwise the record
   * keeps what the client sent.
   */
  computed?: boolean;
  /** JSON Schema of the value in responses; absent when the field is never returned. */
  output?: JsonSchema;
  scalar?: ScalarKind;
  storage: Storage;
  filterable?: boolean;
  sortable?: boolean;
  /** The metadata field (exactly one): its keys are filterable as `<name>__<key>`. */
  metadata?: boolean;
  /**
   * Both stores keep an index that leads with (org_id, this column) (test/indexes.test.ts holds the migrations to it),
   * and the list planners lean on it. 'lookup': an identifier, whose equality or "in" finds few records directly;
   * 'range': a measure, whose index mostly serves comparisons and windows.
   */
  indexed?: 'lookup' | 'range';
}

export const RECORD_TYPES = ['type_a', 'type_b', 'type_c', 'type_d', 'type_e', 'type_f', 'type_g', 'type_h'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

const scalarText = <const N extends string>(name: N, description: string) =>
  ({
    name,
    description,
    input: nullable(IDENTIFIER),
    output: { type: ['string', 'null'] },
    scalar: 'text',
    storage: { kind: 'scalar', column: name },
    filterable: true,
    sortable: true,
  }) as const;

const seconds = <const N extends string>(name: N, description: string) =>
  ({
    name,
    description,
    input: nullable({ type: 'number', minimum: 0, maximum: 1e9 }),
    output: { type: ['number', 'null'] },
    scalar: 'float',
    storage: { kind: 'scalar', column: name },
    filterable: true,
    sortable: true,
  }) as const;

const derivedInt = <const N extends string>(name: N, description: string) =>
  ({
    name,
    description,
    computed: true,
    output: { type: ['integer', 'null'] },
    scalar: 'int',
    storage: { kind: 'scalar', column: name },
    filterable: true,
    sortable: true,
  }) as const;

/** The registry, with every literal kept (`as const`) so that types can be derived from it; code iterates FIELDS. */
const DECLARED = [
  {
    name: 'id',
    description: 'Unique, time-ordered identifier (record_<ULID>); sorting by id is sorting by arrival.',
    computed: true,
    output: { type: 'string' },
    scalar: 'text',
    storage: { kind: 'scalar', column: 'id' },
    filterable: true,
    sortable: true,
    indexed: 'lookup',
  },
  {
    name: 'unique_id',
    description: 'The same identifier as id.',
    computed: true,
    output: { type: 'string' },
    scalar: 'text',
    storage: { kind: 'scalar', column: 'id' },
    filterable: true,
    sortable: true,
  },
  {
    name: 'org_id',
    description: 'The organisation that owns the record, decided by the API key.',
    computed: true,
    output: { type: 'string' },
    scalar: 'text',
    storage: { kind: 'scalar', column: 'org_id' },
    filterable: true,
    sortable: false,
  },
  {
    name: 'timestamp',
    description: 'When the call happened, ISO 8601 UTC. Arrival time unless the client sends one.',
    input: nullable({ type: 'string', format: 'tally-timestamp' }),
    computed: true, // integer microseconds, now when absent
    output: { type: 'string', format: 'date-time' },
    scalar: 'timestamp',
    storage: { kind: 'scalar', column: 'ts' },
    filterable: true,
    sortable: true,
    indexed: 'range',
  },
  {
    name: 'field_1',
    description: 'Input of the call (prompt, messages, workflow input). Returned as a string; JSON-serialised when sent as structure.',
    input: BODY_INPUT,
    output: { type: ['string', 'null'] },
    scalar: 'text',
    storage: { kind: 'body', column: 'field_1' },
    filterable: true,
  },
  {
    name: 'field_2',
    description: 'Output of the call (completion, message, result). Returned as a string.',
    input: BODY_INPUT,
    output: { type: ['string', 'null'] },
    scalar: 'text',
    storage: { kind: 'body', column: 'field_2' },
    filterable: true,
  },
  {
    ...scalarText(
      'field_3',
      'Record type: type_a chat, type_b embedding, type_c/type_d workflow/agent, type_e/type_f task/tool, type_g function, type_h custom. Default type_a.',
    ),
    input: { anyOf: [{ enum: RECORD_TYPES }, { type: 'null' }] },
    default: 'type_a',
    output: { enum: RECORD_TYPES },
  },
  scalarText('field_4', 'Model name, e.g. gpt-4o-mini; used to price the call and estimate tokens.'),
  {
    name: 'field_5',
    description:
      'Token usage: sub_field_a prompt tokens, sub_field_b completion tokens, sub_field_c total; extension: the cache, reasoning and audio parts of those counts, returned when sent (docs/derived-fields.md).',
    input: USAGE_INPUT,
    output: {
      type: 'object',
      properties: {
        sub_field_a: { type: ['integer', 'null'] },
        sub_field_b: { type: ['integer', 'null'] },
        sub_field_c: { type: ['integer', 'null'] },
        ...USAGE_DETAILS_OUTPUT,
      },
    },
    // Kept as the flattened counts, which filter and sort, and the extension counts in usage_details; the input is read
    // by records/derive.ts.
    storage: {
      kind: 'composed',
      members: { sub_field_a: 'sub_field_a', sub_field_b: 'sub_field_b', sub_field_c: 'sub_field_total' },
      extra: 'usage_details',
    },
  },
  {
    ...seconds(
      'field_6',
      'Cost in US dollars. Computed from field_4 and the token counts when absent; null for an unknown model, never a silent 0.',
    ),
    input: nullable({ type: 'number', minimum: 0, maximum: 1e12 }),
    computed: true,
    indexed: 'range',
  },
  { ...seconds('field_7', 'Latency of the whole call, in seconds.'), aliases: ['field_7_old'] },
  seconds('field_8', 'Time to first token, in seconds.'),
  {
    name: 'field_9',
    description: 'Metadata: free key/value properties, filterable as field_9__<key>.',
    input: { type: ['object', 'null'], propertyNames: { maxLength: 256 } },
    output: { type: ['object', 'null'] },
    storage: { kind: 'json', column: 'field_9' },
    metadata: true,
  },
  { ...scalarText('field_10', 'Customer identifier.'), indexed: 'lookup' },
  scalarText('field_11', 'Thread identifier (multi-turn conversation).'),
  { ...scalarText('field_12', 'Custom identifier, indexed for fast equality queries.'), indexed: 'lookup' },
  { ...scalarText('field_13', 'Trace id linking several records.'), indexed: 'lookup' },
  scalarText('field_14', 'Name inside the trace (e.g. workflow name).'),
  scalarText('field_15', 'Name inside the trace (e.g. span name).'),
  {
    name: 'field_16',
    description: 'Tool definitions offered to the model.',
    input: { anyOf: [{ type: 'array', maxItems: 1000, items: TOOL_DEFINITION }, { type: 'null' }] },
    output: { type: ['array', 'null'] },
    storage: { kind: 'json', column: 'field_16' },
  },
  {
    name: 'field_17',
    description: 'Tool choice: "none", "auto" or {type: "type_a", definition: {name}}.',
    input: TOOL_CHOICE,
    output: { type: ['string', 'object', 'null'] },
    storage: { kind: 'json', column: 'field_17' },
  },
  {
    name: 'field_18',
    description: 'HTTP status code of the call (100-599), default 200.',
    input: nullable({ type: 'integer', minimum: 100, maximum: 599 }),
    default: 200,
    output: { type: 'integer' },
    scalar: 'int',
    storage: { kind: 'scalar', column: 'field_18' },
    filterable: true,
    sortable: true,
  },
  {
    name: 'field_19',
    description: 'Error text of a failed call, default "".',
    input: nullable({ type: 'string' }),
    default: '',
    output: { type: 'string' },
    scalar: 'text',
    storage: { kind: 'body', column: 'field_19' },
    filterable: true,
  },
  {
    name: 'field_20',
    description: 'Warnings raised during the call (string or object).',
    input: { type: ['string', 'object', 'null'] },
    output: { type: ['string', 'object', 'null'] },
    storage: { kind: 'json', column: 'field_20' },
  },
  {
    name: 'field_21',
    description: 'Write options. option_a (default true): false replies 202 at once and writes within milliseconds.',
    input: {
      type: ['object', 'null'],
      additionalProperties: false,
      properties: { option_a: { type: ['boolean', 'null'] } },
    },
    storage: { kind: 'none' },
  },
  {
    name: 'field_22',
    description: 'Array extracted from field_1 (type_a..type_d; null for other types). See docs/derived-fields.md.',
    computed: true,
    output: { type: ['array', 'null'] },
    storage: { kind: 'derived' }, // from field_3 and field_1: storing it would write the conversation twice
  },
  {
    name: 'field_23',
    description: 'Object extracted from field_2 (type_a..type_d; null for other types). See docs/derived-fields.md.',
    computed: true,
    output: { type: ['object', 'null'] },
    storage: { kind: 'derived' }, // from field_3 and field_2
  },
  derivedInt('sub_field_a', 'Prompt tokens, flattened from field_5 (or estimated, see tokens_estimated).'),
  derivedInt('sub_field_b', 'Completion tokens, flattened from field_5 (or estimated).'),
  derivedInt('sub_field_total', 'Total tokens: sub_field_c, else sub_field_a + sub_field_b.'),
  {
    name: 'rate',
    description: 'Output tokens per second: sub_field_b / (field_7 - field_8) when field_8 < field_7, else sub_field_b / field_7.',
    computed: true,
    output: { type: ['number', 'null'] },
    scalar: 'float',
    storage: { kind: 'scalar', column: 'rate' },
    filterable: true,
    sortable: true,
  },
  {
    name: 'status',
    description: '"success" when field_18 < 400, else "error".',
    computed: true,
    output: { enum: ['success', 'error'] },
    scalar: 'text',
    storage: { kind: 'scalar', column: 'status' },
    filterable: true,
    sortable: true,
  },
  {
    name: 'usage_details',
    description: "field_5's extension counts as one JSON object (null when none were sent); returned inside field_5.",
    computed: true,
    storage: { kind: 'json', column: 'usage_details' },
  },
  {
    name: 'tokens_estimated',
    description: 'True when sub_field_a/sub_field_b were estimated with a tokenizer because the client sent no counts.',
    computed: true,
    output: { type: 'boolean' },
    storage: { kind: 'bool', column: 'tokens_estimated' },
  },
] as const satisfies readonly FieldDef[];

/** One field's exact declaration (its literal name, schemas and storage), for the types derived from the registry. */
export type Field = (typeof DECLARED)[number];

/** Every field, in the order of the wire record. */
export const FIELDS: readonly FieldDef[] = DECLARED;

export const FIELD_BY_NAME: ReadonlyMap<string, FieldDef> = new Map(FIELDS.map((f) => [f.name, f]));

/** param_d's named options. */
export const SORT_OPTIONS: Readonly<Record<string, string>> = {
  option_1: 'id',
  option_2: 'field_6',
  option_3: 'field_7',
  option_4: 'timestamp',
};

/** A field filters may name: a scalar with a column of its own (a body's included). */
export type FilterableField = FieldDef & { scalar: ScalarKind; storage: { kind: 'scalar' | 'body'; column: string } };
/** A field param_d may name: a scalar in a narrow column. */
export type SortableField = FieldDef & { scalar: ScalarKind; storage: { kind: 'scalar'; column: string } };

const canFilter = (f: FieldDef): f is FilterableField =>
  f.scalar !== undefined && (f.storage.kind === 'scalar' || f.storage.kind === 'body');
const canSort = (f: FieldDef): f is SortableField => f.scalar !== undefined && f.storage.kind === 'scalar';

/** Whether filters may name this field (the filter parser, the catalogue and the OpenAPI document all ask here). */
export function isFilterable(field: FieldDef): field is FilterableField {
  return field.filterable === true && canFilter(field);
}

/** Whether param_d may sort by this field (the sort parser, the catalogue and the OpenAPI document all ask here). */
export function isSortable(field: FieldDef): field is SortableField {
  return field.sortable === true && canSort(field);
}

/** Whether a JSON Schema accepts null (at its top level: `type`, `enum`, `const`, `anyOf`). */
function allowsNull(schema: JsonSchema | undefined): boolean {
  if (!schema) return true;
  const { type, anyOf } = schema as { type?: unknown; anyOf?: JsonSchema[] };
  if (type === 'null' || (Array.isArray(type) && type.includes('null'))) return true;
  if (Array.isArray(schema.enum)) return schema.enum.includes(null);
  if ('const' in schema) return schema.const === null;
  return Array.isArray(anyOf) && anyOf.some(allowsNull);
}

/**
 * The declarations' consistency, which the types alone cannot hold: a flag that a field cannot honour (a JSON
 * field marked filterable) would have the documents list what the parsers refuse. Returns every problem found.
 */
export function registryProblems(fields: readonly FieldDef[], sortOptions: Readonly<Record<string, string>>): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const columns = new Set<string>();
  for (const f of fields) {
    for (const name of [f.name, ...(f.aliases ?? [])]) {
      if (names.has(name)) problems.push(`${name}: declared twice`);
      names.add(name);
    }
    if ('column' in f.storage) columns.add(f.storage.column);
  }
  for (const f of fields) {
    const s = f.storage;
    if (f.filterable && !canFilter(f))
      problems.push(`${f.name}: filterable, but only a scalar with a column of its own (scalar or body storage) can be filtered`);
    if (f.sortable && !canSort(f))
      problems.push(`${f.name}: sortable, but only a scalar in a narrow column (scalar storage) can be sorted`);
    if (f.indexed && s.kind !== 'scalar')
      problems.push(`${f.name}: indexed, but only a scalar in a narrow column (scalar storage) is indexed`);
    if (f.metadata && s.kind !== 'json') problems.push(`${f.name}: the metadata field must be stored as json`);
    if (s.kind === 'composed') {
      for (const [member, column] of Object.entries(s.members)) {
        if (!columns.has(column)) problems.push(`${f.name}.${member}: composed from ${column}, which no field stores`);
      }
      if (s.extra !== undefined && fields.find((g) => 'column' in g.storage && g.storage.column === s.extra)?.storage.kind !== 'json')
        problems.push(`${f.name}: its extra members come from ${s.extra}, which no field stores as json`);
    }
    if (f.default !== undefined && (!f.input || f.computed))
      problems.push(`${f.name}: a default is for a field the client sends and the server does not compute`);
    if ('column' in s && !f.input && !f.computed) problems.push(`${f.name}: stored, but neither sent nor computed`);
    if ('column' in s && f.input && !f.computed && f.default === undefined && !allowsNull(f.output)) {
      problems.push(`${f.name}: its output is never null, so it needs a default for when the client sends none`);
    }
  }
  const metadata = fields.filter((f) => f.metadata);
  if (metadata.length !== 1) problems.push(`exactly one field is the metadata field (found ${metadata.length})`);
  for (const [option, name] of Object.entries(sortOptions)) {
    const field = fields.find((f) => f.name === name);
    if (!field || !isSortable(field)) problems.push(`param_d's ${option}: ${name} is not a sortable field`);
  }
  return problems;
}

const problems = registryProblems(FIELDS, SORT_OPTIONS);
if (problems.length > 0) throw new Error(`The field registry is inconsistent:\n- ${problems.join('\n- ')}`);

const metadataField = FIELDS.find((f) => f.metadata)!;

/** The metadata field, whose keys are filterable as `<name>__<key>`. */
export const METADATA_FIELD = metadataField.name;
export const METADATA_PREFIX = `${METADATA_FIELD}__`;
/** The column that holds the metadata (a JSON document; jsonb on PostgreSQL). */
export const METADATA_COLUMN = (metadataField.storage as { column: string }).column;

/** The columns with an index after org_id (FieldDef.indexed), and what it serves. */
export const INDEXED_COLUMNS: ReadonlyMap<string, 'lookup' | 'range'> = new Map(
  FIELDS.flatMap((f) => (f.indexed && f.storage.kind === 'scalar' ? [[f.storage.column, f.indexed] as const] : [])),
);
