import { AppError, type ErrorDetail } from '../errors.ts';
import type { ModelPriceKey, ModelPriceRow, Store } from '../store/types.ts';
import { formatTimestamp, parseTimestamp } from '../time.ts';
import { patternProblem } from './price-patterns.ts';

/**
 * Custom prices (docs/derived-fields.md#custom-prices): what the CLI and the prices API set, list and remove. Both
 * hand raw values to the parsers here, so that a bad value is refused with the same message either way.
 */

/** Prices per scope (an org, or the server) at most: every process reads them all every few seconds. */
export const MAX_PRICES_PER_SCOPE = 1000;
/** The highest price taken, USD per 1M tokens. */
const MAX_PRICE = 1e6;

/** The wire form of a price: the prices API's objects, and what the CLI prints. */
export interface ModelPriceJson {
  model: string;
  org_id: string | null;
  input: number;
  output: number;
  cache_read: number | null;
  cache_write: number | null;
  effective_from: string | null;
  created: string;
}

export function toModelPriceJson(row: ModelPriceRow): ModelPriceJson {
  return {
    model: row.model,
    org_id: row.orgId,
    input: row.input,
    output: row.output,
    cache_read: row.cacheRead,
    cache_write: row.cacheWrite,
    effective_from: row.effectiveFrom === null ? null : formatTimestamp(row.effectiveFrom),
    created: new Date(row.createdAt).toISOString(),
  };
}

/** What a set names, as the API's JSON or the CLI's options give it (numbers may come as their text). */
export interface PriceInput {
  model?: unknown;
  input?: unknown;
  output?: unknown;
  cache_read?: unknown;
  cache_write?: unknown;
  effective_from?: unknown;
}

const price = (value: unknown, field: string, required: boolean, problems: ErrorDetail[]): number | null => {
  if (value === undefined || value === null) {
    if (required) problems.push({ field, message: 'is required: USD per 1M tokens' });
    return null;
  }
  const n = typeof value === 'string' && /^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > MAX_PRICE) {
    problems.push({ field, message: `must be a number of USD per 1M tokens from 0 to ${MAX_PRICE}; got ${JSON.stringify(value)}` });
    return null;
  }
  return n;
};

/** An effective-from time: ISO 8601 (microseconds), null or absent for always. */
function effectiveFrom(value: unknown, problems: ErrorDetail[]): number | null {
  if (value === undefined || value === null) return null;
  const micros = typeof value === 'string' ? parseTimestamp(value) : null;
  if (micros === null)
    problems.push({
      field: 'effective_from',
      message: `must be an ISO 8601 time such as 2025-07-01T00:00:00Z; got ${JSON.stringify(value)}`,
    });
  return micros;
}

const refuse = (problems: ErrorDetail[]): never => {
  throw new AppError('validation_error', problems.map((p) => `${p.field} ${p.message}`).join('; '), problems);
};

/** A price to set, checked; throws validation_error naming every problem. */
export function parsePrice(body: PriceInput, orgId: string | null, now = Date.now()): ModelPriceRow {
  const problems: ErrorDetail[] = [];
  const pattern = patternProblem(body.model);
  if (pattern) problems.push({ field: 'model', message: pattern });
  const row: ModelPriceRow = {
    orgId,
    model: body.model as string,
    effectiveFrom: effectiveFrom(body.effective_from, problems),
    input: price(body.input, 'input', true, problems) as number,
    output: price(body.output, 'output', true, problems) as number,
    cacheRead: price(body.cache_read, 'cache_read', false, problems),
    cacheWrite: price(body.cache_write, 'cache_write', false, problems),
    createdAt: now,
  };
  if (problems.length > 0) refuse(problems);
  return row;
}

/** Which prices a removal takes, checked: a pattern, and one effective-from time or all of them. */
export function parsePriceKey(model: unknown, from: unknown, orgId: string | null): ModelPriceKey {
  const problems: ErrorDetail[] = [];
  const pattern = patternProblem(model);
  if (pattern) problems.push({ field: 'model', message: pattern });
  const key: ModelPriceKey = { orgId, model: model as string };
  if (from !== undefined) key.effectiveFrom = from === 'always' ? null : effectiveFrom(from, problems);
  if (problems.length > 0) refuse(problems);
  return key;
}

/** 404 for an org the store does not know (prices of an org nobody can call would never apply). */
async function checkOrg(store: Store, orgId: string | null): Promise<void> {
  if (orgId === null) return;
  if (!(await store.orgRetention()).some((o) => o.orgId === orgId)) throw new AppError('not_found', `No org "${orgId}"`);
}

const auditOf = (orgId: string | null, actor: string, action: string, details: unknown) =>
  orgId === null ? null : { orgId, at: Date.now(), actor, action, details: JSON.stringify(details) };

/** Sets a price (an org's, or the server's for orgId null), with an audit entry for an org's. */
export async function setModelPrice(store: Store, row: ModelPriceRow, actor: string): Promise<ModelPriceRow> {
  await checkOrg(store, row.orgId);
  const scope = (await store.modelPrices()).filter((p) => p.orgId === row.orgId);
  const replaces = scope.some((p) => p.model === row.model && p.effectiveFrom === row.effectiveFrom);
  if (!replaces && scope.length >= MAX_PRICES_PER_SCOPE) {
    throw new AppError(
      'validation_error',
      `${row.orgId === null ? 'The server' : `Org ${row.orgId}`} has ${MAX_PRICES_PER_SCOPE} prices, the most it may have: remove some first`,
    );
  }
  await store.setModelPrice(row, auditOf(row.orgId, actor, 'price_set', toModelPriceJson(row)));
  return row;
}

/** Removes the prices the key names; 404 when there were none. */
export async function removeModelPrices(store: Store, key: ModelPriceKey, actor: string): Promise<number> {
  await checkOrg(store, key.orgId);
  const from = key.effectiveFrom === undefined ? 'all' : key.effectiveFrom === null ? null : formatTimestamp(key.effectiveFrom);
  const removed = await store.removeModelPrices(
    key,
    auditOf(key.orgId, actor, 'price_removed', { model: key.model, effective_from: from }),
  );
  if (removed === 0) {
    throw new AppError(
      'not_found',
      `No price for ${JSON.stringify(key.model)}${key.orgId === null ? ' server-wide' : ` in org ${key.orgId}`}${from === 'all' ? '' : ` effective from ${from ?? 'always'}`}`,
    );
  }
  return removed;
}

/** The prices in effect for an org (its own, then the server's), or every price (orgId undefined); by scope, then pattern, then time. */
export async function listModelPrices(store: Store, orgId?: string): Promise<ModelPriceRow[]> {
  if (orgId !== undefined) await checkOrg(store, orgId);
  const rows = (await store.modelPrices()).filter((p) => orgId === undefined || p.orgId === orgId || p.orgId === null);
  const scope = (p: ModelPriceRow) => (p.orgId === null ? '\uffff' : p.orgId);
  return rows.sort(
    (a, b) =>
      scope(a).localeCompare(scope(b)) ||
      (a.model < b.model ? -1 : a.model > b.model ? 1 : 0) ||
      (a.effectiveFrom ?? -Infinity) - (b.effectiveFrom ?? -Infinity),
  );
}
