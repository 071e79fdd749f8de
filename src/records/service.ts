import { AppError, isStoreUnavailable } from '../errors.ts';
import { isStorableText } from '../fields/input-guard.ts';
import type { CreateInput } from '../fields/validate.ts';
import type { Condition } from '../query/filters.ts';
import type { ListParams } from '../query/list-params.ts';
import { encodeRecord, idOf, type EncodedRecord, type IdempotencyRow } from '../store/encoded-record.ts';
import type { Store, WirePage } from '../store/types.ts';
import type { WriteQueue } from '../store/write-queue.ts';
import { deriveRecord } from './derive.ts';
import { NO_CUSTOM_PRICES, type PriceFinder } from './price-book.ts';
import { createIdempotency, type Claim, type Executed, type IdempotencyRequest, type WriteOutcome } from './idempotency.ts';
import type { ApiRecord } from '../model/record.ts';
import { recordJson } from './record-json.ts';
import { toApiRecord } from '../model/to-api.ts';

export interface RecordsService {
  /**
   * Stores one record: 201 once committed, or 202 at once when its field_21 asks for an async write; the JSON is the
   * stored record's wire JSON (as toApiRecord would serialise it). With an Idempotency-Key, a repeat of the request
   * within 24 h answers the first outcome again instead (replayed).
   */
  create(orgId: string, input: CreateInput, idempotency?: IdempotencyRequest): Promise<WriteOutcome>;
  /** Stores the validated items in one transaction; 201 {count, ids} after the commit. */
  createBatch(orgId: string, inputs: readonly CreateInput[], idempotency?: IdempotencyRequest): Promise<WriteOutcome>;
  /**
   * Stores one record under the given id through the write queue, as a create does (group commit, sync): resolves
   * once committed. A record whose id the org already holds is left as it is and this resolves all the same: what
   * gives the id decides what is the same record (OTLP: the span). Throws 503 overloaded at once when the queue is
   * full; rejects with store_unavailable or unstorable_record as a create does.
   */
  write(orgId: string, input: CreateInput, id: string): Promise<void>;
  /**
   * A request's records, each under the id given (as write), added as they are made: on a store with
   * Store.openInsert in one transaction that stays open while they come (OPEN_WRITE bounds it), else through the
   * write queue, HANDOVER_RECORDS at a time. Records of a transaction that failed are written again through the write
   * queue one by one (group commits), so that a record the store refuses costs only itself.
   */
  openWrites(orgId: string): RecordWrites;
  get(orgId: string, id: string): Promise<ApiRecord>;
  /**
   * count is null when params.count is false; more says whether another page follows; page is the records as their
   * wire JSON (the store may have made it off the event loop).
   */
  list(orgId: string, params: ListParams, conditions: Condition[]): Promise<{ count: number | null; page: WirePage; more: boolean }>;
}

/** RecordsService.openWrites. */
export interface RecordWrites {
  /**
   * Derives and encodes the records (pricing, estimates, as a create) and hands them to the store. False once the
   * write queue refused one (it is full: 503 overloaded, thrown by end()): add no more.
   */
  add(items: readonly { input: CreateInput; id: string }[]): boolean;
  /**
   * Resolves once every record added is committed or refused, with the ids of those refused and why (unstorable_record,
   * store_unavailable); throws the write queue's refusal (overloaded) once what it took is committed.
   */
  end(): Promise<Map<string, unknown>>;
  /** Abandons the records not committed yet (the open transaction is rolled back). */
  abort(): void;
}

/**
 * Bounds on the transaction of RecordsService.openWrites: while it is open the SQLite writer writes nothing else, so
 * a create waits at most about `ms` behind a request's records (an OTLP request of 512 spans is read in 20-60 ms).
 */
export const OPEN_WRITE = { ms: 200, records: 1000 };
/** Records handed to the write queue together by openWrites on a store without Store.openInsert. */
export const HANDOVER_RECORDS = 128;

/** A page made here, on the event loop, with no room before it (the reply then copies it once). */
function wirePage(json: string): WirePage {
  const bytes = Buffer.from(`${json}}`);
  return { bytes, start: 0, end: bytes.length, release: () => {} };
}

export interface RecordsServiceOptions {
  /** After a batch commits: its record count, how long the transaction took, and how many records it inserted. */
  onBatchCommit?: (records: number, seconds: number, inserted: number) => void;
  /** The custom prices an admin set (price-book.ts); none by default. */
  prices?: PriceFinder;
}

export function createRecordsService(store: Store, queue: WriteQueue, opts: RecordsServiceOptions = {}): RecordsService {
  const idempotency = createIdempotency(store);
  const prices = opts.prices ?? NO_CUSTOM_PRICES;

  async function create(orgId: string, input: CreateInput, claim?: Claim): Promise<Executed> {
    const data = deriveRecord(input, orgId, undefined, prices);
    const record = encodeRecord(data);
    const options = input.field_21 as { option_a?: boolean | null } | null | undefined;
    const durable = options?.option_a !== false;
    if (claim) record.idempotency = claim(durable ? 201 : 202, JSON.stringify({ id: data.id }));
    const settled = durable ? queue.write(record) : queue.accept(record);
    if (durable) await settled;
    return { status: durable ? 201 : 202, json: recordJson(record, data), settled };
  }

  /** The first answer to a create, again: the record as stored (it is immutable), with the first status. */
  async function replayCreate(orgId: string, row: IdempotencyRow): Promise<Omit<Executed, 'settled'>> {
    const { id } = JSON.parse(row.response) as { id: string };
    const record = await store.get(orgId, id);
    if (!record)
      throw new AppError('store_unavailable', 'The first outcome of this Idempotency-Key cannot be read right now; retry shortly', [], {
        'retry-after': '1',
      });
    return { status: row.status, json: JSON.stringify(toApiRecord(record)) };
  }

  async function createBatch(orgId: string, inputs: readonly CreateInput[], claim?: Claim): Promise<Executed> {
    const ids: string[] = [];
    let encodeError: { err: unknown } | null = null;
    // Derived and encoded lazily: the store's writer inserts the first records while the rest are encoded.
    function* encoded() {
      try {
        for (const input of inputs) {
          const record = encodeRecord(deriveRecord(input, orgId, undefined, prices));
          ids.push(idOf(record));
          // The key goes with the last record, when every id of the answer is known: one transaction holds them all.
          if (claim && ids.length === inputs.length) record.idempotency = claim(201, JSON.stringify({ count: ids.length, ids }));
          yield record;
        }
      } catch (err) {
        encodeError = { err };
        throw err;
      }
    }
    const started = performance.now();
    let inserted: number;
    try {
      inserted = await store.insert(encoded()); // one transaction, durable on return; the items' field_21 is not consulted
    } catch (err) {
      if (encodeError !== null) throw (encodeError as { err: unknown }).err; // our bug, not the store's: nothing was saved either way
      if (isStoreUnavailable(err))
        throw new AppError('store_unavailable', 'The store could not commit the batch; nothing was saved', [], { 'retry-after': '1' });
      const reason = err instanceof Error ? err.message : String(err);
      throw new AppError('unstorable_record', `The store refused a record of this batch; nothing was saved (${reason.slice(0, 200)})`);
    }
    opts.onBatchCommit?.(ids.length, (performance.now() - started) / 1000, inserted);
    return { status: 201, json: JSON.stringify({ count: ids.length, ids }), settled: Promise.resolve() };
  }

  return {
    async create(orgId, input, key) {
      if (!key) return { ...(await create(orgId, input)), replayed: false };
      return idempotency.once(
        orgId,
        key,
        (claim) => create(orgId, input, claim),
        (row) => replayCreate(orgId, row),
      );
    },
    async createBatch(orgId, inputs, key) {
      if (!key) return { ...(await createBatch(orgId, inputs)), replayed: false };
      return idempotency.once(
        orgId,
        key,
        (claim) => createBatch(orgId, inputs, claim),
        async (row) => ({ status: row.status, json: row.response }),
      );
    },
    write(orgId, input, id) {
      return queue.write(encodeRecord(deriveRecord(input, orgId, id, prices)));
    },
    openWrites(orgId) {
      const encode = (items: readonly { input: CreateInput; id: string }[]) =>
        items.map(({ input, id }) => encodeRecord(deriveRecord(input, orgId, id, prices)));
      const failures = new Map<string, unknown>();
      const written: Promise<void>[] = [];
      let refusal: unknown = null;
      /** Through the write queue, each record's outcome taken at once; false once the queue refused one. */
      const toQueue = (records: EncodedRecord[]): boolean => {
        for (const record of records) {
          try {
            written.push(queue.write(record).catch((err: unknown) => void failures.set(idOf(record), err)));
          } catch (err) {
            refusal = err; // the queue is full: what it took is committed, and the caller's client retries the rest
            return false;
          }
        }
        return true;
      };
      const drained = async (): Promise<Map<string, unknown>> => {
        await Promise.all(written);
        if (refusal !== null) throw refusal;
        return failures;
      };

      const stream = store.openInsert?.(OPEN_WRITE);
      if (!stream) {
        let ready: EncodedRecord[] = [];
        return {
          add(items) {
            if (refusal !== null) return false;
            ready.push(...encode(items));
            if (ready.length < HANDOVER_RECORDS) return true;
            const records = ready;
            ready = [];
            return toQueue(records);
          },
          async end() {
            if (refusal === null) toQueue(ready);
            ready = [];
            return drained();
          },
          abort() {
            ready = [];
          },
        };
      }
      let added = 0;
      const started = performance.now();
      return {
        add(items) {
          stream.add(encode(items));
          added += items.length;
          return true;
        },
        async end() {
          const { inserted, failed } = await stream.end();
          if (added > failed.length) opts.onBatchCommit?.(added - failed.length, (performance.now() - started) / 1000, inserted);
          toQueue(failed); // one by one through the group commits: one unstorable record costs only itself
          return drained();
        },
        abort: () => stream.abort(),
      };
    },
    async get(orgId, id) {
      // No stored id holds a NUL or a lone surrogate, and PostgreSQL refuses them as text: not found, not a 500.
      const record = isStorableText(id) ? await store.get(orgId, id) : null;
      if (!record) throw new AppError('not_found', `No record with id "${id}"`);
      return toApiRecord(record);
    },
    async list(orgId, params, conditions) {
      const { count, records, page, more } = await store.list(orgId, {
        conditions,
        since: params.since,
        sort: params.sort,
        offset: (params.page - 1) * params.pageSize,
        limit: params.pageSize,
        count: params.count,
        wire: true,
      });
      return { count, page: page ?? wirePage(JSON.stringify(records.map(toApiRecord))), more };
    },
  };
}
