import type Database from 'better-sqlite3';
import type { ApiKeyRow, AuditEntry } from '../types.ts';

/** The API key writes, run by the writer thread so that they never wait for the write lock on the event loop. */
export type KeyWrite =
  | { create: Omit<ApiKeyRow, 'lastUsedAt' | 'revokedAt'> & { keyHash: string }; audit: Omit<AuditEntry, 'orgId'> }
  | { revoke: { id: string; at: number }; audit: Omit<AuditEntry, 'orgId' | 'at'> }
  | { touch: { id: string; at: number } };

/** Returns the function that runs a key write in a transaction of its own; it returns the key rows it changed. */
export function createKeyWriter(db: Database.Database): (write: KeyWrite) => number {
  const ensureOrg = db.prepare('INSERT INTO orgs (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING');
  const insertKey = db.prepare(
    'INSERT INTO api_keys (key_hash, org_id, created_at, id, name, scope) VALUES (@keyHash, @orgId, @createdAt, @id, @name, @scope)',
  );
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING org_id');
  const touch = db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)');
  const audit = db.prepare('INSERT INTO audit_log (org_id, at, actor, action, details) VALUES (?, ?, ?, ?, ?)');

  const create = db.transaction((w: Extract<KeyWrite, { create: unknown }>) => {
    ensureOrg.run(w.create.orgId, w.create.createdAt);
    insertKey.run(w.create);
    audit.run(w.create.orgId, w.audit.at, w.audit.actor, w.audit.action, w.audit.details);
    return 1;
  });
  const revokeKey = db.transaction((w: Extract<KeyWrite, { revoke: unknown }>) => {
    const row = revoke.get(w.revoke.at, w.revoke.id) as { org_id: string } | undefined;
    if (row === undefined) return 0;
    audit.run(row.org_id, w.revoke.at, w.audit.actor, w.audit.action, w.audit.details);
    return 1;
  });
  return (w) => {
    if ('create' in w) return create.immediate(w);
    if ('revoke' in w) return revokeKey.immediate(w);
    return touch.run(w.touch.at, w.touch.id, w.touch.at).changes;
  };
}
