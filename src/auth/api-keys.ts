import { AppError } from '../errors.ts';
import { generateKeyId } from '../store/key-rows.ts';
import type { ApiKeyRow, AuditEntry, Scope, Store } from '../store/types.ts';
import { generateApiKey, hashApiKey } from './keys.ts';
import { isScope, SCOPE_LIST } from './scopes.ts';

/** Who did it, as the audit log names them: the id of the API key, or `cli`. */
export type Actor = string;

export const NAME_MAX = 100;

/** The wire form of a key (never its secret): the keys API's objects. */
export interface ApiKeyJson {
  id: string;
  name: string | null;
  scope: Scope;
  created: string;
  last_used: string | null;
  revoked: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toApiKeyJson(row: ApiKeyRow): ApiKeyJson {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    created: iso(row.createdAt)!,
    last_used: iso(row.lastUsedAt),
    revoked: iso(row.revokedAt),
  };
}

/** A scope as a client or the CLI gives it; anything but one of the three is a 400 naming them. */
export function parseScope(value: unknown, where = 'scope'): Scope {
  if (!isScope(value)) {
    const given = value === undefined ? 'nothing' : JSON.stringify(value);
    throw new AppError('validation_error', `${where} must be ${SCOPE_LIST}; got ${given}`, [
      { field: 'scope', message: `must be ${SCOPE_LIST}` },
    ]);
  }
  return value;
}

/** A key's name: 1 to NAME_MAX characters, not only spaces, no control characters. */
export function parseName(value: unknown, where = 'name'): string {
  const problem =
    typeof value !== 'string'
      ? `must be a string, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`
      : value.trim() === ''
        ? 'must not be blank'
        : [...value].length > NAME_MAX
          ? `must be at most ${NAME_MAX} characters`
          : // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
            /[\u0000-\u001f\u007f-\u009f]/.test(value)
            ? 'must not contain control characters'
            : null;
  if (problem !== null) throw new AppError('validation_error', `${where} ${problem}`, [{ field: 'name', message: problem }]);
  return value as string;
}

/** Creates a key for the org (and the org when needed); the secret is returned here once and never stored. */
export async function createApiKey(
  store: Store,
  input: { orgId: string; scope: Scope; name: string | null; actor: Actor },
): Promise<{ row: ApiKeyRow; secret: string }> {
  const secret = generateApiKey();
  const row: ApiKeyRow = {
    id: generateKeyId(),
    orgId: input.orgId,
    name: input.name,
    scope: input.scope,
    createdAt: Date.now(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await store.createApiKey(
    { id: row.id, orgId: row.orgId, name: row.name, scope: row.scope, createdAt: row.createdAt, keyHash: hashApiKey(secret) },
    {
      at: row.createdAt,
      actor: input.actor,
      action: 'key_created',
      details: JSON.stringify({ key_id: row.id, name: row.name, scope: row.scope }),
    },
  );
  return { row, secret };
}

/**
 * Revokes a key. With `orgId` (the API) only a key of that org, and never the caller's own (400); another org's id
 * is a 404, as an unknown one. Revoking a revoked key changes nothing and answers it as it is.
 */
export async function revokeApiKey(store: Store, input: { keyId: string; orgId: string | null; actor: Actor }): Promise<ApiKeyRow> {
  const key = await store.apiKey(input.keyId);
  if (key === null || (input.orgId !== null && key.orgId !== input.orgId)) {
    throw new AppError('not_found', `No API key ${JSON.stringify(input.keyId)}${input.orgId === null ? '' : ' in this org'}`);
  }
  if (input.actor === key.id) throw new AppError('bad_request', 'A key cannot revoke itself; revoke it with another admin key or the CLI');
  if (key.revokedAt !== null) return key;
  const at = Date.now();
  const revoked = await store.revokeApiKey(key.id, at, {
    actor: input.actor,
    action: 'key_revoked',
    details: JSON.stringify({ key_id: key.id }),
  });
  return revoked ? { ...key, revokedAt: at } : ((await store.apiKey(key.id)) ?? key); // revoked meanwhile by someone else
}

/** An audit entry's wire form. */
export function toAuditJson(entry: AuditEntry): { at: string; actor: string; action: string; details: unknown } {
  return { at: new Date(entry.at).toISOString(), actor: entry.actor, action: entry.action, details: JSON.parse(entry.details) };
}
