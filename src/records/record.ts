import type { RecordType } from '../fields/registry.ts';

/**
 * A record as Tally keeps it, independent of any store: keys are the registry's storage column names,
 * JSON columns hold parsed values, the timestamp is integer microseconds.
 */
export interface RecordData {
  id: string;
  org_id: string;
  ts: number;
  field_1: string | null;
  field_2: string | null;
  field_3: RecordType;
  field_4: string | null;
  field_6: number | null;
  field_7: number | null;
  field_8: number | null;
  field_9: Record<string, unknown> | null;
  field_10: string | null;
  field_11: string | null;
  field_12: string | null;
  field_13: string | null;
  field_14: string | null;
  field_15: string | null;
  field_16: unknown[] | null;
  field_17: unknown;
  field_18: number;
  field_19: string;
  field_20: unknown;
  field_22: unknown[] | null;
  field_23: Record<string, unknown> | null;
  sub_field_a: number | null;
  sub_field_b: number | null;
  sub_field_total: number | null;
  rate: number | null;
  status: 'success' | 'error';
  tokens_estimated: boolean;
}

/** The wire form of a record. */
export type ApiRecord = Record<string, unknown>;
