import type { Logger } from 'pino';
import { RETENTION_MAX_DAYS } from '../config.ts';
import { AppError } from '../errors.ts';
import type { Store } from '../store/types.ts';

/**
 * Records per deletion transaction at most, and at least, where retention paces the deletion (PostgreSQL): short,
 * since a create may wait for one. A fixed 100 with a double pause raised SQLite's creates' p99 4× on a calm machine
 * (a create behind one ~15 ms deletion); so the size follows a time budget instead (retentionBatchSize), between
 * RETENTION_MIN_BATCH and RETENTION_BATCH (docs/performance.md). SQLite now paces its own (Store.expiryPaced).
 */
export const RETENTION_BATCH = 100;
export const RETENTION_MIN_BATCH = 10;
/** A transaction should take at most this long: above it the next one is half as big, under half of it twice. */
export const RETENTION_BUDGET_MS = 4;
/**
 * Records asked of a store that paces its own deletion (Store.expiryPaced: SQLite's writer deletes them in slices
 * that ride its commits), per call: `stopped` is asked between calls, so a stop waits for this many at most.
 */
export const RETENTION_PACED_BATCH = 1000;

/**
 * The next transaction's size from the last one's size and time: halved (not under RETENTION_MIN_BATCH) when it
 * took more than RETENTION_BUDGET_MS, doubled (not over RETENTION_BATCH) when it took less than half of that,
 * else the same.
 */
export function retentionBatchSize(size: number, ms: number): number {
  if (ms > RETENTION_BUDGET_MS) return Math.max(RETENTION_MIN_BATCH, Math.floor(size / 2));
  if (ms < RETENTION_BUDGET_MS / 2) return Math.min(RETENTION_BATCH, size * 2);
  return size;
}

/**
 * After each transaction the run pauses PAUSE_FACTOR times as long as the transaction took (at most MAX_PAUSE_MS):
 * the deletion takes at most about a third of the writer's time, and creates at full speed keep the rest.
 */
const PAUSE_FACTOR = 2;
const MAX_PAUSE_MS = 1000;
/** Batches per org per run at most (10M records at the smallest size): a run is bounded; what is left goes at the next. */
const MAX_BATCHES = 1_000_000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The first run after start (the contract: within a minute), then every EVERY_MS (the contract: at least hourly). */
const FIRST_RUN_MS = 10_000;
const EVERY_MS = 15 * 60 * 1000;
/** How often the orgs' retention is looked at: a change (the CLI, beside the server) starts a run within this. */
const POLL_MS = 5_000;

/** A retention as the CLI gives it: a whole number of days, 1 to RETENTION_MAX_DAYS, or 0 to clear the override. */
export function parseRetentionDays(raw: string | undefined): number | null {
  const n = raw === undefined || !/^-?\d+$/.test(raw.trim()) ? Number.NaN : Number(raw);
  if (!Number.isSafeInteger(n) || n < 0 || n > RETENTION_MAX_DAYS) {
    throw new AppError(
      'validation_error',
      `--days must be a whole number of days from 1 to ${RETENTION_MAX_DAYS}, or 0 to clear the org's override; got ${raw === undefined ? 'nothing' : JSON.stringify(raw)}`,
    );
  }
  return n === 0 ? null : n;
}

/** Sets or clears the org's retention override, with its audit entry. */
export async function setOrgRetention(store: Store, orgId: string, days: number | null, actor: string): Promise<void> {
  await store.setRetention(orgId, days, { at: Date.now(), actor, action: 'retention_changed', details: JSON.stringify({ days }) });
}

export interface RetentionRun {
  orgId: string;
  days: number;
  count: number;
}

/**
 * One retention run: for every org with a retention (its override, else `defaultDays`), deletes its records whose
 * timestamp is older than that, and appends one audit entry per org whose records it deleted. Where the store paces
 * its own deletion (Store.expiryPaced), RETENTION_PACED_BATCH at a time, back to back; else in transactions sized by
 * `nextSize` (retentionBatchSize; a test may vary it) with a pause of twice as long as each took between. `stopped`
 * is asked between batches.
 */
export async function runRetention(
  store: Store,
  defaultDays: number | null,
  stopped: () => boolean = () => false,
  now: number = Date.now(),
  nextSize: (size: number, ms: number) => number = retentionBatchSize,
): Promise<RetentionRun[]> {
  const done: RetentionRun[] = [];
  for (const { orgId, days: override } of await store.orgRetention()) {
    const days = override ?? defaultDays;
    if (days === null || stopped()) continue;
    const before = (now - days * DAY_MS) * 1000; // microseconds, as timestamps are stored
    let count = 0;
    const paced = store.expiryPaced;
    let size = paced ? RETENTION_PACED_BATCH : RETENTION_BATCH;
    for (let batch = 0; batch < MAX_BATCHES && !stopped(); batch++) {
      const started = performance.now();
      const n = await store.expireRecords(orgId, before, size);
      const ms = performance.now() - started;
      count += n;
      if (n < size) break; // fewer than asked: none older is left
      if (paced) continue;
      size = nextSize(size, ms);
      await new Promise((resolve) => setTimeout(resolve, Math.min(ms * PAUSE_FACTOR, MAX_PAUSE_MS)));
    }
    if (count === 0) continue;
    await store.appendAudit({
      orgId,
      at: Date.now(),
      actor: 'cli', // the operator's setting carried out (shared/docs/lifecycle.md: an actor is a key id or cli)
      action: 'records_expired',
      details: JSON.stringify({ days, before: new Date(before / 1000).toISOString(), count }),
    });
    done.push({ orgId, days, count });
  }
  return done;
}

export interface Retention {
  /** Runs now (after the run in progress, if any); resolves with what it deleted. */
  runNow(): Promise<RetentionRun[]>;
  /** Stops the timers and waits for the run in progress, which stops at its next batch. */
  stop(): Promise<void>;
}

/**
 * The server's retention: a run FIRST_RUN_MS after start and every EVERY_MS, and one whenever an org's retention
 * changes (looked at every POLL_MS, so that the CLI's change takes effect within seconds). One run at a time.
 */
export function startRetention(store: Store, defaultDays: number | null, log: Logger): Retention {
  let stopped = false;
  let current: Promise<RetentionRun[]> = Promise.resolve([]);
  let seen: string | null = null;
  const run = (): Promise<RetentionRun[]> => {
    current = current.then(async () => {
      if (stopped) return [];
      try {
        const done = await runRetention(store, defaultDays, () => stopped);
        for (const r of done) log.info(r, 'retention: expired records deleted');
        return done;
      } catch (err) {
        log.warn({ err }, 'retention: expired records could not be deleted; trying again later');
        return [];
      }
    });
    return current;
  };
  const poll = async () => {
    try {
      const now = JSON.stringify(await store.orgRetention().then((orgs) => orgs.filter((o) => o.days !== null)));
      if (seen !== null && now !== seen) void run();
      seen = now;
    } catch {
      /* the store is away: the next poll sees it again */
    }
  };
  const first = setTimeout(() => void run(), FIRST_RUN_MS);
  const every = setInterval(() => void run(), EVERY_MS);
  const polling = setInterval(() => void poll(), POLL_MS);
  for (const t of [first, every, polling]) t.unref();
  void poll();
  return {
    runNow: run,
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(every);
      clearInterval(polling);
      await current;
    },
  };
}
