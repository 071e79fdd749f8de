import type { Field } from '../fields/registry.ts';
import type { SchemaType } from '../fields/schema-type.ts';

/**
 * The record types are read off the registry's declarations (fields/registry.ts), so that a field added there
 * appears here without another edit. F is one field's declaration; the helpers below say where its value sits in a
 * record and of what type.
 */

/** A field's key in a record: its storage column (id and unique_id share one), or its name when it is rebuilt on read. */
type RecordKey<F> = F extends { storage: { column: infer C extends string } }
  ? C
  : F extends { storage: { kind: 'derived' }; name: infer N extends string }
    ? N
    : never; // no value of its own: composed from other fields' columns (field_5), or not kept (field_21)

/** A field's value in a record: what its output schema allows, but a timestamp is kept as integer microseconds. */
type RecordValue<F> = F extends { scalar: 'timestamp' } ? number : F extends { output: infer S } ? SchemaType<S> : unknown;

/**
 * A record as Tally keeps it, independent of any store: one key per storage column and per field rebuilt on read
 * (e.g. `field_4: string | null`, `ts: number`, `field_9: Record<string, unknown> | null`); JSON columns hold
 * parsed values.
 */
export type RecordData = { [F in Field as RecordKey<F>]: RecordValue<F> };

/** The fields whose record value is what the client sent: stored in a column of their own and not computed. */
export type SentField = Exclude<Extract<Field, { input: object; storage: { column: string } }>, { computed: true }>;

/** The part of a record copied from the create body (records/derive.ts copies it field by field, by the registry). */
export type SentData = { [F in SentField as RecordKey<F>]: RecordValue<F> };

/** The part of a record the server computes (records/derive.ts); a computed field added to the registry appears here. */
export type ComputedData = Omit<RecordData, keyof SentData>;

/** The wire form of a record. */
export type ApiRecord = Record<string, unknown>;
