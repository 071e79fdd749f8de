import { AppError } from '../errors.ts';
import { IDEMPOTENCY_TTL_MS, type IdempotencyRow } from '../store/encoded-record.ts';
import type { Store } from '../store/types.ts';

/** A request's Idempotency-Key and the fingerprint of what it asks (its route and raw body). */
export interface IdempotencyRequest {
  key: string;
  fingerprint: string;
}

/** A write's answer: its status and JSON body, and whether it repeats the first answer to its Idempotency-Key. */
export interface WriteOutcome {
  status: number;
  json: string;
  replayed: boolean;
}

/** What a first execution returns: its answer, and when its records are committed (or have failed for good). */
export interface Executed {
  status: number;
  json: string;
  settled: Promise<unknown>;
}

/** Makes the row the store keeps beside the records, for the outcome the execution is about to have. */
export type Claim = (status: number, response: string) => IdempotencyRow;

export interface Idempotency {
  /**
   * Runs `execute` unless the org's key was used within IDEMPOTENCY_TTL_MS: then the first outcome is answered again
   * (`replay` rebuilds it from the stored row), or 409 idempotency_conflict when the request differs. `execute`
   * attaches the claimed row to its records, so the key is stored in the same transaction as they are.
   */
  once(
    orgId: string,
    req: IdempotencyRequest,
    execute: (claim: Claim) => Promise<Executed>,
    replay: (row: IdempotencyRow) => Promise<Omit<Executed, 'settled'>>,
  ): Promise<WriteOutcome>;
}

const conflict = (key: string) =>
  new AppError('idempotency_conflict', `Idempotency-Key "${key}" was used with a different request in the last 24 hours; use a new key`, [
    { field: 'Idempotency-Key', message: 'used with a different request' },
  ]);

/**
 * Idempotency-Key for creates and batches. Keys are kept in the store, in the transaction of the records they
 * answer for, so a retry after any failure (a 503 whose commit did reach the database, a lost reply) finds the
 * first outcome instead of writing twice. Within this process, a key whose records are still on their way to the
 * store (an accepted create, a commit in flight) is answered from memory: the store does not know it yet.
 */
export function createIdempotency(store: Store): Idempotency {
  const inFlight = new Map<string, { fingerprint: string; outcome: Promise<Omit<Executed, 'settled'>> }>();

  async function fromFlight(slot: string, req: IdempotencyRequest): Promise<WriteOutcome | null> {
    const flying = inFlight.get(slot);
    if (!flying) return null;
    if (flying.fingerprint !== req.fingerprint) throw conflict(req.key);
    return { ...(await flying.outcome), replayed: true };
  }

  async function fromStore(
    orgId: string,
    req: IdempotencyRequest,
    replay: (row: IdempotencyRow) => Promise<Omit<Executed, 'settled'>>,
  ): Promise<WriteOutcome | null> {
    const held = await store.idempotencyKey(orgId, req.key);
    if (!held || held.created_at < Date.now() - IDEMPOTENCY_TTL_MS) return null;
    if (held.fingerprint !== req.fingerprint) throw conflict(req.key);
    return { ...(await replay(held)), replayed: true };
  }

  return {
    async once(orgId, req, execute, replay) {
      const slot = `${orgId}\u0000${req.key}`;
      const known = (await fromFlight(slot, req)) ?? (await fromStore(orgId, req, replay)) ?? (await fromFlight(slot, req)); // again: one may have started meanwhile
      if (known) return known;
      let settle!: (o: Omit<Executed, 'settled'>) => void;
      let fail!: (err: unknown) => void;
      const outcome = new Promise<Omit<Executed, 'settled'>>((resolve, reject) => {
        settle = resolve;
        fail = reject;
      });
      outcome.catch(() => {}); // only requests that share the key wait on it
      inFlight.set(slot, { fingerprint: req.fingerprint, outcome });
      const claim: Claim = (status, response) => ({
        org_id: orgId,
        key: req.key,
        fingerprint: req.fingerprint,
        status,
        response,
        created_at: Date.now(),
      });
      try {
        const done = await execute(claim);
        settle({ status: done.status, json: done.json });
        void done.settled.catch(() => {}).finally(() => inFlight.delete(slot));
        return { status: done.status, json: done.json, replayed: false };
      } catch (err) {
        inFlight.delete(slot);
        fail(err);
        // Refused by the store: another process may have claimed the key first (the store refuses a second holder).
        if (err instanceof AppError && err.code === 'unstorable_record') {
          const raced = await fromStore(orgId, req, replay);
          if (raced) return raced;
        }
        throw err;
      }
    },
  };
}

/** 1 to 255 visible ASCII characters, as the header arrives; anything else is a 400 naming the header. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (typeof header === 'string' && /^[\x21-\x7e]{1,255}$/.test(header)) return header;
  throw new AppError('validation_error', 'Idempotency-Key must be 1 to 255 visible ASCII characters, sent once', [
    { field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' },
  ]);
}
