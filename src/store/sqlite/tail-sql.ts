import type { TimeRangeFilter } from '../summary-types.ts';
import { TAIL_COLUMNS } from './rollup-fold.ts';

/**
 * A reader's statements on the rollups' tail (the records after rollups_state.through_seq, rollup-fold.ts): each a
 * range of seq, the org, time and keys only filtered ("+" keeps the planner off their indexes, which would read the
 * org's whole range instead of the few records after through_seq). Parameters: through_seq first.
 */

/**
 * The most tail records a read adds up: past it (folds failing for long: a full disk) a rollup read or a filtered
 * time range answers null and the caller scans, under the read budget, instead of reading the whole tail in one
 * statement. Five times what the writer folds at once by default.
 */
export const TAIL_RECORDS_MAX = 100_000;

/** Whether the tail (every org's) holds more than TAIL_RECORDS_MAX records: TAIL_RECORDS_MAX, through_seq, TAIL_RECORDS_MAX + 1. */
export const TAIL_OVER_SQL = 'SELECT count(*) > ? FROM (SELECT 1 FROM records WHERE seq > ? LIMIT ?)';

/** The org's tail records in [from, to): through_seq, org, from, to. */
export const TAIL_READ_SQL = `SELECT ${TAIL_COLUMNS} FROM records WHERE seq > ? AND +org_id = ? AND +ts >= ? AND +ts < ?`;

/**
 * The first and last timestamp of the org's tail records at or after `since` whose dimensions hold the filter's
 * rollup keys (tables.ts encodeKey: 'v' and the text, or 'n' for none), and its parameters after through_seq.
 */
export function tailTimesSql(orgId: string, since: number | null, filter: TimeRangeFilter): { sql: string; params: unknown[] } {
  const params: unknown[] = [orgId, since ?? -Number.MAX_SAFE_INTEGER];
  const where = ['seq > ?', '+org_id = ?', '+ts >= ?'];
  for (const { dim, keys } of filter.where) {
    where.push(keys.length === 0 ? '1 = 0' : `coalesce('v' || ${dim}, 'n') IN (${keys.map(() => '?').join(', ')})`);
    params.push(...keys);
  }
  return { sql: `SELECT min(ts) AS first, max(ts) AS last FROM records WHERE ${where.join(' AND ')}`, params };
}
