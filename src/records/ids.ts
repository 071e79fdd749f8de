import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** record_<ULID>: unique and time-ordered (monotonic within a millisecond), so sorting by id sorts by arrival. */
export function newRecordId(): string {
  return `record_${nextUlid()}`;
}
