import { RECORD_COLUMNS } from './columns.ts';
import { idOf, orgOf } from './encoded-record.ts';
import type { DeadLetter } from './types.ts';

/** A dead letter as both stores keep it: the record as the JSON of its columns, so it can be read or replayed by hand. */
export interface DeadLetterRow {
  org_id: string;
  id: string;
  reason: string;
  record: string;
  at: number;
}

/** Reasons are kept to this length: a driver's message can quote the refused value. */
const REASON_MAX = 2000;

export function deadLetterRow(entry: DeadLetter, at = Date.now()): DeadLetterRow {
  const columns = Object.fromEntries(RECORD_COLUMNS.map((c, i) => [c.name, entry.record.values[i]]));
  // JSON escapes what a text column may refuse (NUL, lone surrogates), so even such a record can be set aside.
  return {
    org_id: orgOf(entry.record),
    id: idOf(entry.record),
    reason: entry.reason.slice(0, REASON_MAX),
    record: JSON.stringify(columns),
    at,
  };
}
