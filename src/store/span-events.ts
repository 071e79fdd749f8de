/**
 * GenAI events that carry a span's messages (POST /v1/logs) and the join of them to the span's record, whichever
 * arrives first (docs/otlp.md). Events wait in a table of each store (otlp_held_events), so that they survive a
 * restart and are found by any process behind a load balancer; a record's field_1/field_2 is filled from them only
 * where it is still NULL, in one transaction, and nothing else of the record changes.
 */

/** A span whose record may take held events: its ids, and which record is its own. */
export interface SpanRef {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /**
   * The last 16 characters of the span's record id (the hash part of derivedRecordId), so that only the record
   * made from this span takes its events, not a record created with the same field_12 and field_13.
   */
  recordTail: string;
}

/** One event's messages for one side of its span's record. */
export interface HeldEvent extends SpanRef {
  side: 'input' | 'output';
  /** Identifies the event among its span's (a hash of what it holds): an event sent again is held once. */
  key: string;
  /** The event's time in nanoseconds since the epoch (0 when unknown): a span's messages are ordered by it, then by arrival. */
  at: bigint;
  /** The event's messages: a non-empty JSON array. */
  messages: string;
}

/** How much may wait for spans that have not arrived; past a bound the oldest held events are dropped. */
export interface HeldEventBounds {
  perOrgEvents: number;
  perOrgBytes: number;
  events: number;
  bytes: number;
  /** Held events older than this are dropped (ms). */
  maxAgeMs: number;
}

export interface JoinOutcome {
  /** Events whose messages went into their record (a side it filled). */
  joined: number;
  /** Events whose record already had that side (from the span itself or earlier events): dropped. */
  late: number;
  /** Records whose field_1 or field_2 was filled. */
  filled: number;
  /** Held events dropped past the bounds, oldest first (of any request of the org, or of any org). */
  dropped: number;
  /** Held events dropped for their age. */
  expired: number;
}

/** The bytes a held event is counted for: its messages and the row around them. */
export const heldEventBytes = (e: HeldEvent): number => e.messages.length + e.key.length + 96;

/** The messages of several held events (JSON arrays, in order) as one JSON array. */
export function concatMessages(arrays: readonly string[]): string {
  const parts = arrays.map((a) => a.slice(1, -1).trim()).filter((a) => a !== '');
  return `[${parts.join(',')}]`;
}
