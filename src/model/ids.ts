import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

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
