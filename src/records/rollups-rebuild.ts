import { DAY_US, floorTo } from '../store/rollup/tables.ts';
import type { Store } from '../store/types.ts';

export interface RebuildOutcome {
  orgs: number;
  days: number;
  records: number;
}

/** Beyond every timestamp Tally stores (microseconds). */
const EDGE = Number.MAX_SAFE_INTEGER;

/**
 * `tally rollups rebuild` (docs/analytics.md): recomputes the rollups of every org (or one) from its records, one
 * transaction per org and UTC day, so that no transaction holds the store longer than a day of one org's records
 * takes to add up; rows outside the org's first and last day (and the rows of orgs without records) are dropped.
 * Writes may go on meanwhile: each day is rebuilt whole in its transaction, and a record stored after is added to
 * the rebuilt rows by its own insert. A rebuild of every org then marks the rollups complete, which lets analytics
 * use them on a store that held records before they existed.
 */
export async function rebuildRollups(
  store: Store,
  opts: { orgId?: string; progress?: (line: string) => void } = {},
): Promise<RebuildOutcome> {
  const all = await store.rollupOrgs();
  const orgs = opts.orgId === undefined ? all : all.filter((o) => o.orgId === opts.orgId);
  const outcome: RebuildOutcome = { orgs: 0, days: 0, records: 0 };
  for (const org of orgs) {
    outcome.orgs++;
    if (org.firstTs === null || org.lastTs === null) {
      await store.rebuildRollups(org.orgId, -EDGE, EDGE);
      continue;
    }
    const first = floorTo(org.firstTs, DAY_US);
    const last = floorTo(org.lastTs, DAY_US) + DAY_US;
    outcome.records += await store.rebuildRollups(org.orgId, -EDGE, first);
    for (let day = first; day < last; day += DAY_US) {
      outcome.records += await store.rebuildRollups(org.orgId, day, day + DAY_US);
      outcome.days++;
    }
    // Records stored past the last day since the list of orgs was read are rebuilt here too.
    outcome.records += await store.rebuildRollups(org.orgId, last, EDGE);
    opts.progress?.(`org ${org.orgId}: ${outcome.days} days, ${outcome.records} records so far`);
  }
  if (opts.orgId === undefined) await store.rollupsRebuilt();
  return outcome;
}
