import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { jsonSketch, ZERO_BIN } from '../src/store/rollup/sketch.ts';
import { POSTGRES_AVAILABLE, TEST_PG_URL, withClient } from './helpers/stores.ts';

/** Pairs as a sorted list of [bin, count], whatever their order. */
const sorted = (p: Int32Array) => Array.from({ length: p.length / 2 }, (_, i) => [p[2 * i], p[2 * i + 1]]).sort((a, b) => a[0] - b[0]);

const binsArb = fc.dictionary(
  fc.oneof(fc.integer({ min: -3000, max: 3000 }), fc.constant(ZERO_BIN)).map(String),
  fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }),
  { maxKeys: 60 },
);

test("a sketch's jsonb text read unsorted (the one-pass scan) holds the pairs JSON.parse finds", () => {
  fc.assert(
    fc.property(binsArb, fc.constantFrom(', ', ','), fc.constantFrom(': ', ':'), (bins, comma, colon) => {
      const text = `{${Object.entries(bins)
        .map(([k, v]) => `"${k}"${colon}${v}`)
        .join(comma)}}`;
      assert.deepEqual(sorted(jsonSketch(text, true)), sorted(jsonSketch(text, false)));
    }),
    { numRuns: 300 },
  );
  // Anything else is parsed by JSON.parse, so odd but valid JSON still reads right.
  for (const text of ['{"1": 2.0}', '{ "1" : 2 }', '{"1": 2, "2": 3e0}', '{"01": 2}', '{}', ' {"-4": 7} '])
    assert.deepEqual(sorted(jsonSketch(text, true)), sorted(jsonSketch(text, false)), text);
});

test('PostgreSQL text of jsonb sketches reads the same both ways', { skip: POSTGRES_AVAILABLE ? false : 'no PostgreSQL' }, async () => {
  const texts = await withClient(TEST_PG_URL, async (c) => {
    const { rows } = await c.query(`SELECT jsonb_build_object('-2147483648', 3, '-12', 1, '7', 2000000000, '12345', 5)::text AS t`);
    return rows.map((r) => String(r.t));
  });
  for (const text of texts)
    assert.deepEqual(sorted(jsonSketch(text, true)), [
      [-2147483648, 3],
      [-12, 1],
      [7, 2000000000],
      [12345, 5],
    ]);
});
