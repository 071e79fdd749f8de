import type pg from 'pg';
import { concatMessages, heldEventBytes, type HeldEvent, type HeldEventBounds, type JoinOutcome, type SpanRef } from '../span-events.ts';
import { inTransaction } from './idempotency.ts';

const HOLD = `INSERT INTO otlp_held_events (org_id, trace_id, span_id, key, side, at, messages, bytes, received_at)
  SELECT $1, u.*, $9 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::integer[]) AS u
  ON CONFLICT (org_id, trace_id, span_id, key) DO NOTHING`;
const HELD = `SELECT h.seq, h.trace_id, h.span_id, h.side, h.messages FROM otlp_held_events h
  JOIN unnest($2::text[], $3::text[]) AS s(t, sp) ON h.trace_id = s.t AND h.span_id = s.sp
  WHERE h.org_id = $1 ORDER BY h.trace_id, h.span_id, h.at, h.seq`;
const RECORDS = `SELECT r.id, r.field_13, r.field_12, r.field_1 IS NULL AS no_input, r.field_2 IS NULL AS no_output FROM records r
  JOIN unnest($2::text[], $3::text[], $4::text[]) AS s(t, sp, tail) ON r.field_13 = s.t AND r.field_12 = s.sp AND right(r.id, 16) = s.tail
  WHERE r.org_id = $1`;
const fill = (column: 'field_1' | 'field_2') => `UPDATE records r SET ${column} = u.v FROM unnest($2::text[], $3::text[]) AS u(id, v)
  WHERE r.org_id = $1 AND r.id = u.id AND r.${column} IS NULL RETURNING r.id`;
// Newest first, counted and summed: whatever is past a bound is the oldest.
const TRIM_ORG = `DELETE FROM otlp_held_events WHERE seq IN (
  SELECT seq FROM (SELECT seq, count(*) OVER w AS n, sum(bytes) OVER w AS b FROM otlp_held_events WHERE org_id = $1
                   WINDOW w AS (ORDER BY received_at DESC, seq DESC)) x
  WHERE n > $2 OR b > $3)`;
const TRIM_ALL = `DELETE FROM otlp_held_events WHERE seq IN (
  SELECT seq FROM (SELECT seq, count(*) OVER w AS n, sum(bytes) OVER w AS b FROM otlp_held_events
                   WINDOW w AS (ORDER BY received_at DESC, seq DESC)) x
  WHERE n > $1 OR b > $2)`;

/**
 * The join of held GenAI events to their spans' records (store/span-events.ts) on PostgreSQL, where several
 * processes may write at once. The events are held and committed first; the join is a second transaction. So a
 * span's record and its events always meet: a trace request joins after its records commit, a logs request after
 * its events commit, and whichever of the two joins later sees what the other committed (READ COMMITTED: each
 * statement sees every commit before it). The fill says `IS NULL`, so two joins of one record fill a side once
 * (the second waits for the first's row lock, then finds the side filled); only the held rows a join read are let
 * go of, so events committed meanwhile wait for the next join. Nothing PostgreSQL counts (org_record_counts,
 * meta_value_counts: insert triggers over field_9) reads field_1/field_2.
 */
export async function joinSpanEventsOn(
  pool: pg.Pool,
  orgId: string,
  events: readonly HeldEvent[],
  spans: readonly SpanRef[],
  bounds: HeldEventBounds,
  now: number,
): Promise<JoinOutcome> {
  const out: JoinOutcome = { joined: 0, late: 0, filled: 0, dropped: 0, expired: 0 };
  const expired = await pool.query('DELETE FROM otlp_held_events WHERE received_at < $1', [now - bounds.maxAgeMs]);
  out.expired = expired.rowCount ?? 0;
  if (events.length > 0) {
    const col = <K extends keyof HeldEvent>(k: K) => events.map((e) => e[k]);
    await pool.query(HOLD, [
      orgId,
      col('traceId'),
      col('spanId'),
      col('key'),
      col('side'),
      events.map((e) => e.at.toString()),
      col('messages'),
      events.map(heldEventBytes),
      now,
    ]);
  }
  const bySpan = new Map<string, SpanRef>();
  for (const s of [...spans, ...events]) bySpan.set(`${s.traceId}/${s.spanId}`, s);
  const refs = [...bySpan.values()];
  await inTransaction(pool, async (client) => {
    if (refs.length > 0) {
      const held = (await client.query(HELD, [orgId, refs.map((s) => s.traceId), refs.map((s) => s.spanId)])).rows as {
        seq: string;
        trace_id: string;
        span_id: string;
        side: string;
        messages: string;
      }[];
      if (held.length > 0) {
        const heldSpans = refs.filter((s) => held.some((h) => h.trace_id === s.traceId && h.span_id === s.spanId));
        const records = (
          await client.query(RECORDS, [
            orgId,
            heldSpans.map((s) => s.traceId),
            heldSpans.map((s) => s.spanId),
            heldSpans.map((s) => s.recordTail),
          ])
        ).rows as { id: string; field_13: string; field_12: string; no_input: boolean; no_output: boolean }[];
        const fills = {
          field_1: { ids: [] as string[], values: [] as string[] },
          field_2: { ids: [] as string[], values: [] as string[] },
        };
        const counted: { id: string; column: 'field_1' | 'field_2'; events: number }[] = [];
        const release: string[] = [];
        for (const r of records) {
          const mine = held.filter((h) => h.trace_id === r.field_13 && h.span_id === r.field_12);
          for (const [side, column, open] of [
            ['input', 'field_1', r.no_input],
            ['output', 'field_2', r.no_output],
          ] as const) {
            const rows = mine.filter((h) => h.side === side);
            if (rows.length === 0) continue;
            if (open) {
              fills[column].ids.push(r.id);
              fills[column].values.push(concatMessages(rows.map((h) => h.messages)));
              counted.push({ id: r.id, column, events: rows.length });
            } else out.late += rows.length;
          }
          release.push(...mine.map((h) => h.seq));
        }
        const filledIds = new Set<string>();
        for (const column of ['field_1', 'field_2'] as const) {
          if (fills[column].ids.length === 0) continue;
          const done = await client.query(fill(column), [orgId, fills[column].ids, fills[column].values]);
          const ids = new Set((done.rows as { id: string }[]).map((row) => row.id));
          for (const c of counted.filter((c) => c.column === column)) {
            if (ids.has(c.id)) {
              out.joined += c.events;
              filledIds.add(c.id);
            } else out.late += c.events; // another join filled it first
          }
        }
        out.filled = filledIds.size;
        if (release.length > 0) await client.query('DELETE FROM otlp_held_events WHERE seq = ANY($1::bigint[])', [release]);
      }
    }
    // After the join, so that what was just let go of is not counted against the bounds.
    if (events.length > 0) {
      out.dropped += (await client.query(TRIM_ORG, [orgId, bounds.perOrgEvents, bounds.perOrgBytes])).rowCount ?? 0;
      out.dropped += (await client.query(TRIM_ALL, [bounds.events, bounds.bytes])).rowCount ?? 0;
    }
  });
  return out;
}
