import { AppError } from '../errors.ts';
import type { Store } from './types.ts';

/**
 * Lists and summaries, taken in turn by org. A store runs a bounded number of reads at once (readConcurrency); one
 * org's costly reads must not make another org's wait behind them. So each org may run at most `perOrg` reads at
 * once, one fewer than the store can (another org always finds a place free, or the next one to free up), and the
 * orgs waiting for a place are served round robin, one read each, whoever asked first. What waits is bounded: at
 * most `queuePerOrg` reads per org, each for at most `maxWaitMs`; past either the read is refused 503 overloaded
 * with Retry-After, before it has cost the store anything.
 */
export interface FairReadsOptions {
  /** Reads running at once over every org: the store's readConcurrency. */
  capacity: number;
  /** Reads of one org running at once. */
  perOrg: number;
  /** Reads of one org waiting at most. */
  queuePerOrg: number;
  /** Longest a read waits for a place. */
  maxWaitMs: number;
}

export interface ReadScheduler {
  /** Runs the read once the org's turn and a place come (at once when both are free). */
  run<T>(orgId: string, read: () => Promise<T>): Promise<T>;
}

interface OrgReads {
  running: number;
  waiting: { go: () => void; timer: NodeJS.Timeout }[];
}

const overloaded = (message: string) => new AppError('overloaded', message, [], { 'retry-after': '1' });

export function createReadScheduler(opts: FairReadsOptions): ReadScheduler {
  const orgs = new Map<string, OrgReads>();
  /** Orgs with reads waiting, the one served longest ago first. */
  const turn: string[] = [];
  let running = 0;

  const stateOf = (orgId: string) => {
    const known = orgs.get(orgId);
    if (known) return known;
    const org: OrgReads = { running: 0, waiting: [] };
    orgs.set(orgId, org);
    return org;
  };
  const forget = (orgId: string, org: OrgReads) => {
    if (org.running === 0 && org.waiting.length === 0) orgs.delete(orgId);
  };
  const leaveTurn = (orgId: string) => {
    const at = turn.indexOf(orgId);
    if (at >= 0) turn.splice(at, 1);
  };

  /** Gives free places to waiting reads, one per org in turn. */
  const admit = () => {
    while (running < opts.capacity) {
      const orgId = turn.find((id) => orgs.get(id)!.running < opts.perOrg);
      if (orgId === undefined) return;
      const org = orgs.get(orgId)!;
      const next = org.waiting.shift()!;
      leaveTurn(orgId);
      if (org.waiting.length > 0) turn.push(orgId); // to the back of the line
      clearTimeout(next.timer);
      running++; // taken here, not when the read resumes: the loop goes on before it does
      org.running++;
      next.go();
    }
  };

  return {
    async run(orgId, read) {
      const org = stateOf(orgId);
      if (running < opts.capacity && org.running < opts.perOrg && org.waiting.length === 0) {
        running++;
        org.running++;
      } else {
        if (org.waiting.length >= opts.queuePerOrg) {
          throw overloaded(`Too many lists and summaries of this org are waiting (${opts.queuePerOrg}); retry shortly`);
        }
        await new Promise<void>((go, fail) => {
          const timer = setTimeout(() => {
            org.waiting.splice(org.waiting.indexOf(entry), 1);
            if (org.waiting.length === 0) leaveTurn(orgId);
            forget(orgId, org);
            fail(overloaded(`No place for this read within ${opts.maxWaitMs} ms: the server is busy with other reads; retry shortly`));
          }, opts.maxWaitMs);
          const entry = { go, timer };
          org.waiting.push(entry);
          if (!turn.includes(orgId)) turn.push(orgId);
        }); // admit() has taken the place
      }
      try {
        return await read();
      } finally {
        running--;
        org.running--;
        forget(orgId, org);
        admit();
      }
    },
  };
}

/**
 * The store with its lists and summaries taken through the scheduler, its export pages through `exports` (a lane of
 * their own, where the store has one); everything else as it was.
 */
export function withFairReads(store: Store, scheduler: ReadScheduler, exports: ReadScheduler = scheduler): Store {
  return {
    ...store,
    list: (orgId, query) => (query.text ? exports : scheduler).run(orgId, () => store.list(orgId, query)),
    summary: (orgId, query) => scheduler.run(orgId, () => store.summary(orgId, query)),
    analytics: (orgId, query) => scheduler.run(orgId, () => store.analytics(orgId, query)),
    rollupAnalytics: (orgId, read, query) => scheduler.run(orgId, () => store.rollupAnalytics(orgId, read, query)),
  };
}
