import { AppError } from '../errors.ts';
import { isStorableText } from '../fields/input-guard.ts';
import { validateCreateBody } from '../fields/validate.ts';
import { validateBatchBody } from '../fields/validate-batch.ts';
import { parseFilters } from '../query/filters.ts';
import type { ListParams } from '../query/list-params.ts';
import { encodeRecord, idOf } from '../store/encoded-record.ts';
import type { Store, WirePage } from '../store/types.ts';
import type { WriteQueue } from '../store/write-queue.ts';
import { deriveRecord } from './derive.ts';
import type { ApiRecord } from './record.ts';
import { recordJson } from './record-json.ts';
import { toApiRecord } from './to-api.ts';

export interface RecordsService {
  /** The stored record's wire JSON (as toApiRecord would serialise it). */
  create(orgId: string, body: unknown): Promise<{ durable: boolean; json: string }>;
  /** Validates every item, then stores them all in one transaction; resolves after the commit. */
  createBatch(orgId: string, body: unknown): Promise<{ count: number; ids: string[] }>;
  get(orgId: string, id: string): Promise<ApiRecord>;
  /**
   * count is null when params.count is false; more says whether another page follows; page is the records as their
   * wire JSON (the store may have made it off the event loop).
   */
  list(orgId: string, params: ListParams, filters: unknown): Promise<{ count: number | null; page: WirePage; more: boolean }>;
}

/** A page made here, on the event loop, with no room before it (the reply then copies it once). */
function wirePage(json: string): WirePage {
  const bytes = Buffer.from(`${json}}`);
  return { bytes, start: 0, end: bytes.length, release: () => {} };
}

export function createRecordsService(store: Store, queue: WriteQueue): RecordsService {
  return {
    async create(orgId, body) {
      const input = validateCreateBody(body);
      const data = deriveRecord(input, orgId);
      const record = encodeRecord(data);
      const options = input.field_21 as { option_a?: boolean | null } | null | undefined;
      const durable = options?.option_a !== false;
      if (durable) await queue.write(record);
      else queue.accept(record);
      return { durable, json: recordJson(record, data) };
    },
    async createBatch(orgId, body) {
      const inputs = validateBatchBody(body); // every item, before anything is written
      const ids: string[] = [];
      let encodeError: { err: unknown } | null = null;
      // Derived and encoded lazily: the store's writer inserts the first records while the rest are encoded.
      function* encoded() {
        try {
          for (const input of inputs) {
            const record = encodeRecord(deriveRecord(input, orgId));
            ids.push(idOf(record));
            yield record;
          }
        } catch (err) {
          encodeError = { err };
          throw err;
        }
      }
      try {
        await store.insert(encoded()); // one transaction, durable on return; the items' field_21 is not consulted
      } catch (err) {
        if (encodeError !== null) throw (encodeError as { err: unknown }).err; // our bug, not the store's: nothing was saved either way
        throw new AppError('store_unavailable', 'The store could not commit the batch; nothing was saved');
      }
      return { count: ids.length, ids };
    },
    async get(orgId, id) {
      // No stored id holds a NUL or a lone surrogate, and PostgreSQL refuses them as text: not found, not a 500.
      const record = isStorableText(id) ? await store.get(orgId, id) : null;
      if (!record) throw new AppError('not_found', `No record with id "${id}"`);
      return toApiRecord(record);
    },
    async list(orgId, params, filters) {
      const conditions = parseFilters(filters);
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
