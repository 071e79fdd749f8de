import { randomBytes } from 'node:crypto';
import { encodeTime, monotonicFactory } from 'ulid';

/**
 * ulid's default generator makes one call for cryptographic randomness per character, 16 per id; the same bytes
 * drawn from a pooled buffer cost far less (docs/performance.md).
 */
const POOL_SIZE = 8192;
let pool = randomBytes(POOL_SIZE);
let offset = 0;
function pooledRandom(): number {
  if (offset >= POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    offset = 0;
  }
  return pool[offset++] / 256; // ulid takes floor(x * 32): one byte per base32 character, uniform
}

const nextUlid = monotonicFactory(pooledRandom);

/** record_<ULID>: unique and time-ordered (monotonic within a millisecond), so sorting by id sorts by arrival. */
export function newRecordId(): string {
  return `record_${nextUlid()}`;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * record_<ULID> made from what a record already has instead of from chance: its time part is `ms` and its 80 random
 * bits are the first ten bytes of `seed`. The same inputs give the same id, which is how a span an exporter sends
 * twice is stored once (docs/otlp.md).
 */
export function derivedRecordId(ms: number, seed: Uint8Array): string {
  let random = '';
  let bits = 0;
  let acc = 0;
  for (let i = 0; i < 10; i++) {
    acc = (acc << 8) | seed[i];
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      random += CROCKFORD[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return `record_${encodeTime(ms, 10)}${random}`;
}
