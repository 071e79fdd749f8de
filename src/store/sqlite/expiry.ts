import type Database from 'better-sqlite3';
import { createErasure, ERASE_COLUMNS, type EraseRequest } from './erase.ts';

/**
 * Retention's deletion on the writer thread, in slices that ride the group commits: a create never waits behind a
 * deletion transaction of its own, and the deletion adds no fsync. While an expiry is pending, every commit of
 * inserted records deletes a slice of it inside its own transaction, just before COMMIT (in a savepoint: a slice that
 * fails takes back its own changes and fails the expiry, never the insert). When no commit has come for
 * ALONE_AFTER_MS (no creates), a slice runs in a transaction of its own, so the deletion goes on without them.
 *
 * A slice's size follows a time budget measured around the deletion itself, inside the thread (nothing queued
 * ahead of it is counted): halved above the budget (to SLICE_MIN), doubled under half of it (to SLICE_MAX). In a
 * commit the budget is SLICE_SHARE of the time the commit's own inserts took (at most SLICE_BUDGET_MS), so a commit
 * is longer by about half at most and the deletion keeps pace with the writer's work; alone, SLICE_BUDGET_MS.
 */
export interface ExpireRequest {
  orgId: string;
  /** Records whose timestamp (microseconds) is before this go, the oldest first. */
  before: number;
  /** At most this many; the expiry is answered once they are deleted, or once none older is left. */
  limit: number;
}

/** The answer: records deleted, and in how many slices, with commits and alone. */
export interface ExpireOutcome {
  deleted: number;
  withCommits: number;
  alone: number;
}

export const SLICE_MIN = 1;
export const SLICE_MAX = 100;
export const SLICE_BUDGET_MS = 2;
/** A slice in a commit may take this share of the time the commit's inserts took (at most SLICE_BUDGET_MS). */
export const SLICE_SHARE = 0.5;
/** Without a commit for this long, a slice is deleted in a transaction of its own. */
export const ALONE_AFTER_MS = 5;
/** Expiries waiting at most (retention runs one at a time: one is the rule). */
const MAX_PENDING = 8;

/** The next slice's size from the last one's size, its own time (ms) and its budget (ms). */
export function nextSliceSize(size: number, ms: number, budget: number = SLICE_BUDGET_MS): number {
  if (ms > budget) return Math.max(SLICE_MIN, Math.floor(size / 2));
  if (ms < budget / 2) return Math.min(SLICE_MAX, size * 2);
  return size;
}

/** A slice's budget in a commit whose inserts took `insertMs`. */
export const sliceBudget = (insertMs: number): number => Math.min(SLICE_BUDGET_MS, SLICE_SHARE * insertMs);

interface Job {
  id: number;
  request: ExpireRequest;
  outcome: ExpireOutcome;
}

/** A slice deleted inside an open transaction, counted once that transaction has committed. */
export interface Slice {
  job: Job;
  asked: number;
  deleted: number;
}

export interface Expirer {
  /** Takes an expiry; answered (reply) once done. */
  request(id: number, request: ExpireRequest): void;
  /**
   * Inside a commit's open transaction, just before COMMIT: deletes a slice of the pending expiry, if any, within
   * a budget of sliceBudget(insertMs) (the time the commit's inserts took).
   */
  slice(insertMs: number): Slice | null;
  /** After that commit: counts the slice when it committed (its deletions are gone with a rollback). */
  settle(slice: Slice | null, committed: boolean): void;
}

export function createExpirer(
  db: Database.Database,
  reply: (id: number, error: { error: string; code?: string } | null, outcome?: ExpireOutcome) => void,
): Expirer {
  const erase = createErasure(db);
  const jobs: Job[] = [];
  let size = SLICE_MAX / 10;
  let timer: NodeJS.Timeout | null = null;

  const select = (job: Job, asked: number): EraseRequest => ({
    select: {
      // records_org_ts_cover leads with (org_id, ts): the oldest records of the org, a range of the index.
      sql: `SELECT ${ERASE_COLUMNS} FROM records WHERE org_id = ? AND ts < ? ORDER BY ts LIMIT ?`,
      params: [job.request.orgId, job.request.before, asked],
      named: {},
    },
  });

  const fail = (job: Job, err: unknown) => {
    jobs.splice(jobs.indexOf(job), 1);
    const code = (err as { code?: unknown }).code;
    reply(job.id, { error: err instanceof Error ? err.message : String(err), ...(typeof code === 'string' ? { code } : {}) });
  };

  /** Deletes a slice: in a savepoint of the open transaction, or (alone) in an IMMEDIATE transaction of its own. */
  const take = (alone: boolean, budget: number): Slice | null => {
    const job = jobs[0];
    if (!job) return null;
    const asked = Math.min(size, job.request.limit - job.outcome.deleted);
    const started = performance.now();
    try {
      const deleted = alone ? erase.immediate(select(job, asked)) : erase(select(job, asked));
      size = nextSliceSize(size, performance.now() - started, budget);
      return { job, asked, deleted };
    } catch (err) {
      fail(job, err);
      return null;
    }
  };

  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = jobs.length > 0 ? setTimeout(alone, ALONE_AFTER_MS) : null;
  };

  const settle = (slice: Slice | null, committed: boolean, alone = false) => {
    if (slice && committed && jobs.includes(slice.job)) {
      const { job } = slice;
      job.outcome.deleted += slice.deleted;
      if (alone) job.outcome.alone++;
      else job.outcome.withCommits++;
      if (slice.deleted < slice.asked || job.outcome.deleted >= job.request.limit) {
        jobs.shift();
        reply(job.id, null, job.outcome);
      }
    }
    arm();
  };

  function alone(): void {
    timer = null;
    // A chunked insert's transaction is open (its last chunk is on its way): that commit takes the slice.
    if (db.inTransaction) {
      arm();
      return;
    }
    settle(take(true, SLICE_BUDGET_MS), true, true);
  }

  return {
    request(id, request) {
      if (jobs.length >= MAX_PENDING) {
        reply(id, { error: `${MAX_PENDING} expiries are pending already` });
        return;
      }
      jobs.push({ id, request, outcome: { deleted: 0, withCommits: 0, alone: 0 } });
      if (!timer) arm();
    },
    slice: (insertMs) => take(false, sliceBudget(insertMs)),
    settle: (slice, committed) => settle(slice, committed),
  };
}
