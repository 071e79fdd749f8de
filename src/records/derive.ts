import { FIELDS } from '../fields/registry.ts';
import type { CreateInput } from '../fields/validate.ts';
import { asBodyString, extractField22, extractField23 } from '../model/extract.ts';
import { newRecordId } from '../model/ids.ts';
import { usageDetailsOf } from '../fields/usage-details.ts';
import { NO_CUSTOM_PRICES, type PriceFinder } from './price-book.ts';
import { customCost, isKnownModel, priceCall } from './pricing.ts';
import type { ComputedData, RecordData, SentData } from '../model/record.ts';
import { nowMicros, parseTimestamp } from '../time.ts';
import { estimateTokens } from './tokens.ts';

const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/**
 * Output tokens per second, excluding the time to first token when it is known and smaller. Null when there is
 * none, and when it overflows a float: JSON has no Infinity, and filters must see what the record reads.
 */
function outputRate(completionTokens: number | null, latency: number | null, ttft: number | null): number | null {
  if (completionTokens === null || latency === null) return null;
  const seconds = ttft !== null && ttft < latency ? latency - ttft : latency;
  const rate = seconds > 0 ? completionTokens / seconds : null;
  return rate !== null && Number.isFinite(rate) ? rate : null;
}

/** How one field the record keeps as sent (SentField in record.ts) is copied from the create body. */
interface Copy {
  /** Its name, then its old names: the first one sent with a value wins. */
  names: readonly string[];
  column: string;
  /** A body becomes text (a structure its JSON). */
  body: boolean;
  /** Its default, stored when no value was sent. */
  fallback: string | number | null;
}

const COPIES: readonly Copy[] = FIELDS.flatMap((f) =>
  f.input && 'column' in f.storage && !f.computed
    ? [{ names: [f.name, ...(f.aliases ?? [])], column: f.storage.column, body: f.storage.kind === 'body', fallback: f.default ?? null }]
    : [],
);

/** Every key of a record, null: records start as a copy of it, so that they all share one shape (a fast object in V8). */
const BLANK: Readonly<Record<string, null>> = Object.fromEntries(
  FIELDS.flatMap((f) => ('column' in f.storage ? [f.storage.column] : f.storage.kind === 'derived' ? [f.name] : [])).map((key) => [
    key,
    null,
  ]),
);

/**
 * A new record holding the fields it keeps as sent, copied as the registry declares them; a field sent as null or
 * not at all gets its default, else null. The cast holds because the body was validated against the very schemas
 * the SentData type is read from.
 */
function sentData(input: CreateInput): SentData {
  const body = input as Readonly<Record<string, unknown>>;
  const out: Record<string, unknown> = { ...BLANK };
  for (const copy of COPIES) {
    let value: unknown = null;
    for (let i = 0; i < copy.names.length && value == null; i++) value = body[copy.names[i]];
    out[copy.column] = (copy.body ? asBodyString(value) : value) ?? copy.fallback;
  }
  return out as SentData;
}

/**
 * Turns a validated create body into the record to store, computing every derived field once, at ingest. Its id
 * is a new one, or the one given (an OTLP span's, derived from the span so that a span sent twice is one record).
 */
export function deriveRecord(
  input: CreateInput,
  orgId: string,
  id: string = newRecordId(),
  prices: PriceFinder = NO_CUSTOM_PRICES,
): RecordData {
  const sent = sentData(input);
  const model = sent.field_4;
  const usage = input.field_5;
  let prompt = num(usage?.sub_field_a);
  let completion = num(usage?.sub_field_b);
  const total = num(usage?.sub_field_c);
  const details = usageDetailsOf(usage);
  const ts = typeof input.timestamp === 'string' ? (parseTimestamp(input.timestamp) as number) : nowMicros();
  // A price an admin set beats the catalogue's (docs/derived-fields.md#custom-prices); a client's own field_6 beats both.
  const custom = model === null || input.field_6 != null ? null : prices.find(orgId, model, ts);
  let estimated = false;
  if (model !== null && (custom !== null || isKnownModel(model))) {
    if (prompt === null && input.field_1 != null && total === null) {
      prompt = estimateTokens(model, input.field_1);
      estimated = true;
    }
    // An embedding (type_b) has no output tokens: its field_2 is the vectors, not text a model wrote.
    if (completion === null && input.field_2 != null && total === null && sent.field_3 !== 'type_b') {
      completion = estimateTokens(model, input.field_2);
      estimated = true;
    }
  }
  const computed: ComputedData = {
    id,
    org_id: orgId,
    ts,
    field_6: input.field_6 ?? (custom ? customCost(custom, prompt, completion, details) : priceCall(model, prompt, completion, details)),
    field_22: extractField22(sent.field_3, input.field_1),
    field_23: extractField23(sent.field_3, input.field_2),
    sub_field_a: prompt,
    sub_field_b: completion,
    sub_field_total: total ?? (prompt !== null || completion !== null ? (prompt ?? 0) + (completion ?? 0) : null),
    rate: outputRate(completion, sent.field_7, sent.field_8),
    status: sent.field_18 < 400 ? 'success' : 'error',
    usage_details: details,
    tokens_estimated: estimated,
  };
  return Object.assign(sent, computed);
}
