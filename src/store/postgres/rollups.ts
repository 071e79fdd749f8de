import type pg from 'pg';
import { ROLLUP_TABLES } from '../rollup/tables.ts';
import { ROLLUPS_17, rollupApplySql } from './migrations.ts';

/**
 * Rebuilds an org's rollups of [from, to) (whole UTC days) on a client inside its transaction: both tables locked
 * against writers (EXCLUSIVE: reads go on; an insert's trigger waits for the commit, then adds its records to the
 * rebuilt rows), the range's rows dropped, then the org's records of the range added up again by the triggers' own
 * statements (migration 16). Answers the number of records read.
 */
export async function rebuildRollupsOn(client: pg.PoolClient, orgId: string, from: number, to: number): Promise<number> {
  await client.query(`LOCK TABLE ${ROLLUP_TABLES.map((t) => t.name).join(', ')} IN EXCLUSIVE MODE`);
  for (const t of ROLLUP_TABLES) await client.query(`DELETE FROM ${t.name} WHERE org_id = $1 AND t >= $2 AND t < $3`, [orgId, from, to]);
  const source = 'SELECT * FROM records WHERE org_id = $1 AND ts >= $2 AND ts < $3';
  for (const statement of rollupApplySql(source, 1, 'pairs', ROLLUPS_17)
    .split(';\n')
    .map((s) => s.trim())
    .filter(Boolean))
    await client.query(statement, [orgId, from, to]);
  const counted = await client.query('SELECT count(*)::int AS n FROM records WHERE org_id = $1 AND ts >= $2 AND ts < $3', [
    orgId,
    from,
    to,
  ]);
  return counted.rows[0].n as number;
}

/** Every org with records or rollup rows, and its records' first and last timestamps. */
export const ROLLUP_ORGS_SQL = `SELECT o.org_id, (SELECT min(ts) FROM records WHERE org_id = o.org_id) AS first, (SELECT max(ts) FROM records WHERE org_id = o.org_id) AS last
  FROM (SELECT DISTINCT org_id FROM org_record_counts UNION SELECT DISTINCT org_id FROM rollups_day UNION SELECT DISTINCT org_id FROM rollups_hour
        UNION SELECT DISTINCT org_id FROM rollups_customer_day UNION SELECT DISTINCT org_id FROM rollups_customer_hour) o ORDER BY o.org_id`;
