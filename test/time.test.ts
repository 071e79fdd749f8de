import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { formatTimestamp, parseTimestamp } from '../src/time.ts';

const MIN_US = Date.UTC(1700, 0, 1) * 1000;
const MAX_US = Date.UTC(2200, 11, 31, 23, 59, 59) * 1000 + 999_999;

describe('timestamps', () => {
  test('parseTimestamp reads what formatTimestamp wrote, whether it remembers the text (formatted last) or not', () => {
    fc.assert(
      fc.property(fc.integer({ min: MIN_US, max: MAX_US }), fc.integer({ min: MIN_US, max: MAX_US }), (us, other) => {
        const text = formatTimestamp(us);
        assert.equal(parseTimestamp(text), us); // remembered
        parseTimestamp(formatTimestamp(other === us ? us + 1 : other)); // another text is the last one now
        assert.equal(parseTimestamp(text), us); // read again from the text
      }),
      { numRuns: 2000, seed: 1207 },
    );
  });

  test('a text is read as it reads afresh, also when formatTimestamp was given what parseTimestamp never gives', () => {
    for (const us of [1.5, Date.UTC(2201, 0, 1) * 1000, Date.UTC(1699, 11, 31) * 1000, 0]) {
      const text = formatTimestamp(us);
      const remembered = parseTimestamp(text);
      parseTimestamp('2025-01-01T10:30:00Z'); // another text is the last one now
      assert.equal(remembered, parseTimestamp(text), `${us} (${text})`);
    }
  });
});
