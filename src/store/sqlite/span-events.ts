import type Database from 'better-sqlite3';
import { concatMessages, heldEventBytes, type HeldEvent, type HeldEventBounds, type JoinOutcome, type SpanRef } from '../span-events.ts';

export interface JoinRequest {
  orgId: string;
  events: readonly HeldEvent[];
  spans: readonly SpanRef[];
  bounds: HeldEventBounds;
  now: number;
}

/**
 * The join of held GenAI events to their spans' records (store/span-events.ts), on the writer's connection, as one
 * IMMEDIATE transaction: one writer at a time, so the events a request holds and the record a span makes meet in
 * whichever transaction comes second. The UPDATE of a record bumps records_changes (migration 7), so remembered
 * counts (count-memo.ts) are taken again: a text filter on field_1/field_2 may now match it. The partial index
 * records_org_ts_output gains the record's entry when field_2 goes from NULL to a value (SQLite keeps partial
 * indexes on UPDATE). Nothing the insert counted (org_record_counts, record_meta, meta_value_counts) reads
 * field_1/field_2.
 */
export function createSpanEventJoin(db: Database.Database): (request: JoinRequest) => JoinOutcome {
  const expire = db.prepare('DELETE FROM otlp_held_events WHERE received_at < ?');
  const hold = db.prepare(
    `INSERT INTO otlp_held_events (org_id, trace_id, span_id, key, side, at, messages, bytes, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, trace_id, span_id, key) DO NOTHING`,
  );
  const heldOf = db.prepare(
    'SELECT side, messages FROM otlp_held_events WHERE org_id = ? AND trace_id = ? AND span_id = ? ORDER BY at, seq',
  );
  const recordOf = db.prepare(
    `SELECT id, field_1 IS NULL AS no_input, field_2 IS NULL AS no_output FROM records
     WHERE org_id = ? AND field_13 = ? AND field_12 = ? AND substr(id, -16) = ?`,
  );
  const fillInput = db.prepare('UPDATE records SET field_1 = ? WHERE org_id = ? AND id = ? AND field_1 IS NULL');
  const fillOutput = db.prepare('UPDATE records SET field_2 = ? WHERE org_id = ? AND id = ? AND field_2 IS NULL');
  const release = db.prepare('DELETE FROM otlp_held_events WHERE org_id = ? AND trace_id = ? AND span_id = ?');
  // Newest first, counted and summed: whatever is past a bound is the oldest.
  const trimOrg = db.prepare(
    `DELETE FROM otlp_held_events WHERE seq IN (
       SELECT seq FROM (SELECT seq, count(*) OVER w AS n, sum(bytes) OVER w AS b FROM otlp_held_events WHERE org_id = ?
                        WINDOW w AS (ORDER BY received_at DESC, seq DESC))
       WHERE n > ? OR b > ?)`,
  );
  const trimAll = db.prepare(
    `DELETE FROM otlp_held_events WHERE seq IN (
       SELECT seq FROM (SELECT seq, count(*) OVER w AS n, sum(bytes) OVER w AS b FROM otlp_held_events
                        WINDOW w AS (ORDER BY received_at DESC, seq DESC))
       WHERE n > ? OR b > ?)`,
  );

  const join = (r: JoinRequest): JoinOutcome => {
    const out: JoinOutcome = { joined: 0, late: 0, filled: 0, dropped: 0, expired: 0 };
    out.expired = expire.run(r.now - r.bounds.maxAgeMs).changes;
    for (const e of r.events) hold.run(r.orgId, e.traceId, e.spanId, e.key, e.side, e.at, e.messages, heldEventBytes(e), r.now);
    const seen = new Set<string>();
    for (const span of [...r.spans, ...r.events]) {
      const at = `${span.traceId}/${span.spanId}`;
      if (seen.has(at)) continue;
      seen.add(at);
      const held = heldOf.all(r.orgId, span.traceId, span.spanId) as { side: string; messages: string }[];
      if (held.length === 0) continue;
      const record = recordOf.get(r.orgId, span.traceId, span.spanId, span.recordTail) as
        | { id: string; no_input: number; no_output: number }
        | undefined;
      if (!record) continue; // its span has not arrived: the events wait
      let filled = false;
      for (const [side, open, fill] of [
        ['input', record.no_input, fillInput],
        ['output', record.no_output, fillOutput],
      ] as const) {
        const mine = held.filter((h) => h.side === side);
        if (mine.length === 0) continue;
        if (open && fill.run(concatMessages(mine.map((h) => h.messages)), r.orgId, record.id).changes === 1) {
          out.joined += mine.length;
          filled = true;
        } else out.late += mine.length;
      }
      if (filled) out.filled++;
      release.run(r.orgId, span.traceId, span.spanId);
    }
    // After the join, so that what was just let go of is not counted against the bounds.
    if (r.events.length > 0) {
      out.dropped += trimOrg.run(r.orgId, r.bounds.perOrgEvents, r.bounds.perOrgBytes).changes;
      out.dropped += trimAll.run(r.bounds.events, r.bounds.bytes).changes;
    }
    return out;
  };
  const inTransaction = db.transaction(join);
  return (request) => inTransaction.immediate(request);
}
