import { AppError, isStoreUnavailable } from '../errors.ts';
import { isStorableText } from '../fields/input-guard.ts';
import type { CreateInput } from '../fields/validate.ts';
import type { Condition } from '../query/filters.ts';
import type { ListParams } from '../query/list-params.ts';
import { encodeRecord, idOf, type IdempotencyRow } from '../store/encoded-record.ts';
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
  get(orgId: string, id: string): Promise<ApiRecord>;
  /**
   * count is null when params.count is false; more says whether another page follows; page is the records as their
   * wire JSON (the store may have made it off the event loop).
   */
  list(orgId: string, params: ListParams, conditions: Condition[]): Promise<{ count: number | null; page: WirePage; more: boolean }>;
}

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
