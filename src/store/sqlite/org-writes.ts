import type Database from 'better-sqlite3';
import type { AuditEntry } from '../types.ts';

/** Writes about an org other than its keys, run by the writer thread: its retention (with the audit entry), an audit entry. */
export type OrgWrite = { retention: { orgId: string; days: number | null }; audit: Omit<AuditEntry, 'orgId'> } | { audit: AuditEntry };

export function createOrgWriter(db: Database.Database): (write: OrgWrite) => number {
  const ensureOrg = db.prepare('INSERT INTO orgs (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING');
  const setRetention = db.prepare('UPDATE orgs SET retention_days = ? WHERE id = ?');
  const audit = db.prepare('INSERT INTO audit_log (org_id, at, actor, action, details) VALUES (?, ?, ?, ?, ?)');
  const retention = db.transaction((w: Extract<OrgWrite, { retention: unknown }>) => {
    ensureOrg.run(w.retention.orgId, w.audit.at);
    setRetention.run(w.retention.days, w.retention.orgId);
    audit.run(w.retention.orgId, w.audit.at, w.audit.actor, w.audit.action, w.audit.details);
    return 1;
  });
  return (w) => {
    if ('retention' in w) return retention.immediate(w);
    const a = w.audit as AuditEntry;
    return audit.run(a.orgId, a.at, a.actor, a.action, a.details).changes;
  };
}
