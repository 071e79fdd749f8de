import fc from 'fast-check';
import { FIELDS } from '../../src/fields/registry.ts';
import { OPERATORS } from '../../src/query/filters.ts';

/** Strings aimed at SQL built by concatenation, LIKE/GLOB patterns and JSON paths. */
export const SQL_INJECTIONS = [
  "' OR 1=1 --",
  "'; DROP TABLE records; --",
  '"; DROP TABLE records; --',
  "x') OR ('1'='1",
  '1; DELETE FROM records',
  "' UNION SELECT key_hash, org_id FROM api_keys --",
  'records WHERE 1=1 --',
  '%',
  '_',
  '*',
  '?',
  '[a-z]*',
  '\\',
  '$.a',
  '$[0]',
  '"."',
  "org_id = 'org_other'",
  ') OR org_id IS NOT NULL --',
  '/* comment */',
  '\u0000',
];

export const ODD_STRINGS = [
  '',
  ' ',
  '\uD800',
  'a\uDFFFb',
  '\uDBFF\uDBFF',
  '😀',
  'e\u0301',
  'ß',
  'İ',
  '\u202E',
  '\r\n',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'NaN',
  'Infinity',
  '-0',
  '1e400',
  '0x10',
  'null',
  'true',
  '2025-01-01T00:00:00Z',
  '2025-13-45T99:99:99Z',
  '9999-12-31T23:59:59Z',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 3, arbitrary: fc.constantFrom(...SQL_INJECTIONS, ...ODD_STRINGS) },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 60_000 }).map((n) => 'h'.repeat(n)) },
);

export const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1e308, -1e308, 5e-324, 2 ** 53 + 1, -(2 ** 63), 599, 600, 99, 100),
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
);

const scalar: fc.Arbitrary<unknown> = fc.oneof(hostileString, hostileNumber, fc.boolean(), fc.constant(null));

/** Any JSON value built from hostile leaves, a few levels deep. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(
    fc.oneof(hostileString, fc.constantFrom('__proto__', 'constructor', 'sub_field_a', 'type', 'definition')),
    tie('value'),
    { maxKeys: 4 },
  ),
})).value;

/** An array or object nested `depth` levels. */
export function nested(depth: number, leaf: unknown = 1): unknown {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}

const CREATE_FIELDS = FIELDS.filter((f) => f.input).map((f) => f.name);
export const FILTERABLE = FIELDS.filter((f) => f.filterable).map((f) => f.name);

export const fieldName: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...CREATE_FIELDS, 'field_7_old', 'timestamp') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'field_9__x', 'field_22', 'id', 'org_id', 'field_99', 'FIELD_1'),
  },
  { weight: 1, arbitrary: hostileString },
);

/** A valid create body to mutate. */
export const validCreate: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    field_1: fc.oneof(fc.string(), fc.constant([{ role: 'user', content: 'hi' }])),
    field_2: fc.string(),
    field_3: fc.constantFrom('type_a', 'type_b', 'type_e', 'type_h'),
    field_4: fc.constantFrom('gpt-4o-mini', 'claude-3-5-sonnet', 'no-such-model'),
    field_5: fc.record({ sub_field_a: fc.nat(10_000), sub_field_b: fc.nat(10_000) }),
    field_7: fc.double({ min: 0, max: 100, noNaN: true }),
    field_9: fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), {
      maxKeys: 4,
    }),
    field_10: fc.string({ maxLength: 20 }),
    field_18: fc.integer({ min: 100, max: 599 }),
  },
  { requiredKeys: [] },
);

/** Create bodies: random objects, valid bodies with some fields replaced by hostile values, deep nesting. */
export const createBody: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(validCreate, fc.dictionary(fieldName, hostileJson, { maxKeys: 3 })).map(([base, bad]) => ({ ...base, ...bad })),
  },
  { weight: 2, arbitrary: fc.dictionary(fieldName, hostileJson, { maxKeys: 6 }) },
  { weight: 1, arbitrary: validCreate },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('field_1', 'field_9', 'field_20', 'field_16'), fc.integer({ min: 40, max: 400 }))
      .map(([f, d]) => ({ [f]: nested(d) })),
  },
  { weight: 1, arbitrary: hostileJson },
);

/** Raw body texts JSON.stringify cannot produce. */
export const RAW_BODIES = [
  '{"field_7": NaN}',
  '{"field_7": Infinity}',
  '{"field_7": -Infinity}',
  '{"field_7": 1e400}',
  '{"field_18": 1e400}',
  '{"field_6": -1e400}',
  '{"field_5": {"sub_field_a": 1e400, "sub_field_b": 1e999}}',
  '{"field_9": {"n": 1e400}}',
  '{"field_7": 0x10}',
  '{"field_7": 01}',
  '{"field_7": .5}',
  '{"field_7": +1}',
  '{"__proto__": {"field_3": "type_b"}}',
  '{"field_9": {"__proto__": {"polluted": true}}}',
  '{"constructor": {"prototype": {"polluted": true}}}',
  '{"field_1": "\\ud800"}',
  '{"field_1": "\\u0000"}',
  '{"field_9": {"\\udfff": 1}}',
  '{"field_1": "a", "field_1": "b"}',
  '\uFEFF{}',
  '{}garbage',
  '{',
  '',
  '   ',
  'null',
  'true',
  '[]',
  '"a string"',
  '123',
  "{'single': 'quotes'}",
  '{"field_1": "unterminated',
  '['.repeat(20_000) + ']'.repeat(20_000),
  `{"field_9": ${'{"a":'.repeat(3_000)}1${'}'.repeat(3_001)}`,
];

export const rawBody: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...RAW_BODIES) },
  {
    weight: 3,
    // A valid body's text with a few characters deleted, replaced or inserted.
    arbitrary: fc
      .tuple(
        validCreate,
        fc.array(fc.tuple(fc.nat(), fc.nat(2), fc.constantFrom('{', '}', '"', ',', ':', '\\', 'NaN', '1e999', '\u0000', '\uD800')), {
          minLength: 1,
          maxLength: 3,
        }),
      )
      .map(([body, edits]) => {
        let text = JSON.stringify(body);
        for (const [at, kind, s] of edits) {
          const i = at % (text.length + 1);
          text =
            kind === 0
              ? text.slice(0, i) + text.slice(i + 1)
              : kind === 1
                ? text.slice(0, i) + s + text.slice(i + 1)
                : text.slice(0, i) + s + text.slice(i);
        }
        return text;
      }),
  },
);

export const operator: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...OPERATORS) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: hostileJson },
);

export const filterField: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...FILTERABLE) },
  { weight: 3, arbitrary: hostileString.map((k) => `field_9__${k}`) },
  { weight: 1, arbitrary: fc.tuple(hostileString, hostileString).map(([a, b]) => `field_9__${a}__${b}`) },
  { weight: 2, arbitrary: fieldName },
);

export const filterValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.array(hostileString, { minLength: 1, maxLength: 3 }) },
  {
    weight: 2,
    arbitrary: fc.array(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), { minLength: 1, maxLength: 3 }),
  },
  { weight: 1, arbitrary: fc.constantFrom(['2025-01-01T00:00:00Z'], ['type_a', 'type_b'], ['success'], [true], [false], [null], []) },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: hostileJson },
);

export const filters: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(filterField, fc.record({ operator, value: filterValue }, { requiredKeys: [] }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(filterField, hostileJson, { maxKeys: 3 }) },
  { weight: 1, arbitrary: hostileJson },
);

const SORTS = ['-id', 'id', 'option_1', '-option_2', 'option_3', '-option_4', 'field_6', '-field_7', 'timestamp', '-field_10'];

const mostly = <T>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: hostile });

/** param_a..param_d values: each present half the time, mostly valid, sometimes hostile. */
export const listParams: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    param_a: mostly(
      fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      hostileString,
    ),
    param_b: mostly(fc.integer({ min: 1, max: 5 }).map(String), fc.oneof(hostileString, fc.constantFrom('0', '-1', '1.5', '1e3'))),
    param_c: mostly(fc.integer({ min: 1, max: 1000 }).map(String), fc.oneof(hostileString, fc.constantFrom('0', '1001', '-1'))),
    param_d: mostly(fc.constantFrom(...SORTS), hostileString),
  },
  { requiredKeys: [] },
);
