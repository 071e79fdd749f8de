import { SCOPES, type Scope } from '../store/types.ts';

/** Whether a key of scope `has` may call a route that needs `needs`: admin may call everything, the others their own. */
export function allows(has: Scope, needs: Scope): boolean {
  return has === needs || has === 'admin';
}

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** The scopes named in messages: `"ingest", "read" or "admin"`. */
export const SCOPE_LIST = SCOPES.map((s) => `"${s}"`)
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1');
