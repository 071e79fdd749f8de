import type Database from 'better-sqlite3';
import { PRICE_COLUMNS, priceKeyWhere, priceValues } from '../price-rows.ts';
import type { AuditEntry, ModelPriceKey, ModelPriceRow } from '../types.ts';

/**
 * Writes about an org other than its keys, run by the writer thread: its retention (with the audit entry), an audit
 * entry, a custom price set or removed (with its audit entry, if any).
 */
export type OrgWrite =
  | { retention: { orgId: string; days: number | null }; audit: Omit<AuditEntry, 'orgId'> }
  | { audit: AuditEntry }
  | { setPrice: ModelPriceRow; audit: AuditEntry | null }
  | { removePrices: ModelPriceKey; audit: AuditEntry | null };

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
  const upsertPrice = db.prepare(
    `INSERT INTO model_prices (${PRICE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, model, effective_from) DO UPDATE SET ` +
      'input_mtok = excluded.input_mtok, output_mtok = excluded.output_mtok, cache_read_mtok = excluded.cache_read_mtok, ' +
      'cache_write_mtok = excluded.cache_write_mtok, created_at = excluded.created_at',
  );
  const withAudit = (entry: AuditEntry | null, write: () => number) =>
    db.transaction(() => {
      const changes = write();
      if (entry) audit.run(entry.orgId, entry.at, entry.actor, entry.action, entry.details);
      return changes;
    });
  return (w) => {
    if ('retention' in w) return retention.immediate(w);
    if ('setPrice' in w) return withAudit(w.audit, () => upsertPrice.run(...priceValues(w.setPrice)).changes).immediate();
    if ('removePrices' in w) {
      const { where, values } = priceKeyWhere(w.removePrices);
      return withAudit(w.audit, () => db.prepare(`DELETE FROM model_prices WHERE ${where}`).run(...values).changes).immediate();
    }
    const a = w.audit as AuditEntry;
    return audit.run(a.orgId, a.at, a.actor, a.action, a.details).changes;
  };
}
