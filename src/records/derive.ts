import type { CreateInput } from '../fields/validate.ts';
import type { RecordType } from '../fields/registry.ts';
import { asBodyString, extractField22, extractField23 } from './extract.ts';
import { newRecordId } from './ids.ts';
import { isKnownModel, priceCall } from './pricing.ts';
import type { RecordData } from './record.ts';
import { nowMicros, parseTimestamp } from './time.ts';
import { estimateTokens } from './tokens.ts';

type Usage = { sub_field_a?: number | null; sub_field_b?: number | null; sub_field_c?: number | null } | null | undefined;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/**
 * Output tokens per second, excluding the time to first token when it is known and smaller. Null when there is
 * none, and when it overflows a float (2^53 tokens in 1e-300 s): JSON has no Infinity, so the record would read
 * null while both engines stored Infinity and matched it in filters (`rate gt 1e300`).
 */
export function outputRate(completionTokens: number | null, latency: number | null, ttft: number | null): number | null {
  if (completionTokens === null || latency === null) return null;
  const seconds = ttft !== null && ttft < latency ? latency - ttft : latency;
  const rate = seconds > 0 ? completionTokens / seconds : null;
  return rate !== null && Number.isFinite(rate) ? rate : null;
}

/** Turns a validated create body into the record to store, computing every derived field once, at ingest. */
export function deriveRecord(input: CreateInput, orgId: string): RecordData {
  const type = (str(input.field_3) ?? 'type_a') as RecordType;
  const model = str(input.field_4);
  const usage = input.field_5 as Usage;
  let prompt = num(usage?.sub_field_a);
  let completion = num(usage?.sub_field_b);
  const total = num(usage?.sub_field_c);
  let estimated = false;
  if (model !== null && isKnownModel(model)) {
    if (prompt === null && input.field_1 != null && total === null) {
      prompt = estimateTokens(model, input.field_1);
      estimated = true;
    }
    if (completion === null && input.field_2 != null && total === null) {
      completion = estimateTokens(model, input.field_2);
      estimated = true;
    }
  }
  const latency = num(input.field_7) ?? num(input.field_7_old);
  const ttft = num(input.field_8);
  const httpCode = num(input.field_18) ?? 200;
  const clientCost = num(input.field_6);
  const ts = typeof input.timestamp === 'string' ? (parseTimestamp(input.timestamp) as number) : nowMicros();
  const id = newRecordId();
  return {
    id,
    org_id: orgId,
    ts,
    field_1: asBodyString(input.field_1),
    field_2: asBodyString(input.field_2),
    field_3: type,
    field_4: model,
    field_6: clientCost ?? priceCall(model, prompt, completion),
    field_7: latency,
    field_8: ttft,
    field_9: (input.field_9 as Record<string, unknown> | null | undefined) ?? null,
    field_10: str(input.field_10),
    field_11: str(input.field_11),
    field_12: str(input.field_12),
    field_13: str(input.field_13),
    field_14: str(input.field_14),
    field_15: str(input.field_15),
    field_16: (input.field_16 as unknown[] | null | undefined) ?? null,
    field_17: input.field_17 ?? null,
    field_18: httpCode,
    field_19: str(input.field_19) ?? '',
    field_20: input.field_20 ?? null,
    field_22: extractField22(type, input.field_1),
    field_23: extractField23(type, input.field_2),
    sub_field_a: prompt,
    sub_field_b: completion,
    sub_field_total: total ?? (prompt !== null || completion !== null ? (prompt ?? 0) + (completion ?? 0) : null),
    rate: outputRate(completion, latency, ttft),
    status: httpCode < 400 ? 'success' : 'error',
    tokens_estimated: estimated,
  };
}
