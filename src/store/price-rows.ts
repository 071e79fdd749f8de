import type { ModelPriceKey, ModelPriceRow } from './types.ts';

/**
 * model_prices as both stores keep it (the migrations): the server's prices under org_id '' (no org id is empty), and
 * "always" as the lowest safe integer, so that (org_id, model, effective_from) is a primary key without NULLs.
 */
const SERVER = '';
const ALWAYS = Number.MIN_SAFE_INTEGER;

export const PRICE_COLUMNS = 'org_id, model, effective_from, input_mtok, output_mtok, cache_read_mtok, cache_write_mtok, created_at';

/** The values of a row, in PRICE_COLUMNS order. */
export function priceValues(row: ModelPriceRow): unknown[] {
  return [row.orgId ?? SERVER, row.model, row.effectiveFrom ?? ALWAYS, row.input, row.output, row.cacheRead, row.cacheWrite, row.createdAt];
}

/** A removal's WHERE (with `?` placeholders) and its values. */
export function priceKeyWhere(key: ModelPriceKey): { where: string; values: unknown[] } {
  const values: unknown[] = [key.orgId ?? SERVER, key.model];
  if (key.effectiveFrom === undefined) return { where: 'org_id = ? AND model = ?', values };
  return { where: 'org_id = ? AND model = ? AND effective_from = ?', values: [...values, key.effectiveFrom ?? ALWAYS] };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A stored row (either engine; PostgreSQL's bigints arrive as strings) as the store gives it. */
export function priceRow(row: Record<string, unknown>): ModelPriceRow {
  const from = Number(row.effective_from);
  return {
    orgId: row.org_id === SERVER ? null : (row.org_id as string),
    model: row.model as string,
    effectiveFrom: from === ALWAYS ? null : from,
    input: Number(row.input_mtok),
    output: Number(row.output_mtok),
    cacheRead: num(row.cache_read_mtok),
    cacheWrite: num(row.cache_write_mtok),
    createdAt: Number(row.created_at),
  };
}
