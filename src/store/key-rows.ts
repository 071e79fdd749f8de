import { randomBytes } from 'node:crypto';
import { SCOPES, type ApiKeyRow, type AuditEntry, type Scope } from './types.ts';

/** A new key id: `key_` and 24 hex digits (96 random bits), as the migrations give the keys made before ids. */
export function generateKeyId(): string {
  return `key_${randomBytes(12).toString('hex')}`;
}

/** A row of api_keys (either engine; PostgreSQL's bigints arrive as strings) as the store gives it. */
export function apiKeyRow(row: Record<string, unknown>): ApiKeyRow {
  const scope = row.scope as Scope;
  if (!SCOPES.includes(scope)) throw new Error(`api_keys holds an unknown scope: ${String(row.scope)}`); // the CHECK forbids it
  return {
    id: row.id as string,
    orgId: row.org_id as string,
    name: (row.name as string | null) ?? null,
    scope,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at == null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at == null ? null : Number(row.revoked_at),
  };
}

export function auditEntry(row: Record<string, unknown>): AuditEntry {
  return {
    orgId: row.org_id as string,
    at: Number(row.at),
    actor: row.actor as string,
    action: row.action as string,
    details: row.details as string,
  };
}
