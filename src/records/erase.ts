import { AppError } from '../errors.ts';
import { parseFilters, type Condition } from '../query/filters.ts';
import type { Store } from '../store/types.ts';

/** The fields one of whose equality or "in" conditions an erasure must have: a customer, thread, custom id or trace. */
export const NARROWING_FIELDS = ['field_10', 'field_11', 'field_12', 'field_13'] as const;

const BODY_KEYS = new Set(['filters']);

/**
 * An erasure's body, `{"filters": {...}}` in the list's grammar, parsed and checked (docs/lifecycle.md): the filters
 * must hold an equality or "in" on one of NARROWING_FIELDS, so that no erasure deletes an org's records wholesale.
 * Every problem is a 400 naming it, before anything is deleted.
 */
export function parseErasure(body: unknown): { filters: unknown; conditions: Condition[] } {
  if (body === null || body === undefined || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('validation_error', 'The body must be a JSON object: {"filters": {...}}', [
      { field: '(body)', message: 'must be an object' },
    ]);
  }
  const unknown = Object.keys(body).filter((k) => !BODY_KEYS.has(k));
  if (unknown.length > 0) {
    throw new AppError(
      'validation_error',
      `Unknown body field(s): ${unknown.join(', ')}; an erasure takes {"filters": {...}}`,
      unknown.map((field) => ({ field, message: 'unknown field' })),
    );
  }
  const { filters } = body as { filters?: unknown };
  if (filters === undefined || filters === null || typeof filters !== 'object' || Array.isArray(filters)) {
    throw new AppError('validation_error', 'An erasure needs {"filters": {...}}, a JSON object', [
      { field: 'filters', message: 'must be an object' },
    ]);
  }
  const conditions = parseFilters(filters);
  const narrowed = conditions.some(
    (c) =>
      (c.op === 'eq' || c.op === 'in') && c.target.kind === 'column' && (NARROWING_FIELDS as readonly string[]).includes(c.target.column),
  );
  if (!narrowed) {
    throw new AppError(
      'validation_error',
      `An erasure's filters must include an equality or "in" condition on ${NARROWING_FIELDS.join(', ')} (a customer, thread, custom id or trace); nothing was erased`,
      [{ field: 'filters', message: `needs an equality or "in" on one of ${NARROWING_FIELDS.join(', ')}` }],
    );
  }
  return { filters, conditions };
}

/** Erases the org's records the body's filters match, with its audit entry; resolves with how many. */
export async function eraseRecords(store: Store, orgId: string, body: unknown, actor: string): Promise<number> {
  const { filters, conditions } = parseErasure(body);
  return store.eraseRecords(orgId, conditions, { at: Date.now(), actor, action: 'records_erased', details: { filters } });
}
