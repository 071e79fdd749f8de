import type { Condition } from '../query/filters.ts';
import type { Sort } from '../query/list-params.ts';
import type { RecordData } from '../model/record.ts';
import type { EncodedRecord, IdempotencyRow } from './encoded-record.ts';
import type { HeldEvent, HeldEventBounds, JoinOutcome, SpanRef } from './span-events.ts';
import type { SummaryData, SummaryQuery, TimeRangeFilter } from './summary-types.ts';
import type { AnalyticsData, AnalyticsQuery, AnalyticsRow, RollupRead } from './analytics-types.ts';
import type { ExportFormat } from '../model/export-text.ts';

export interface ListQuery {
  conditions: Condition[];
  since: number | null;
  sort: Sort;
  offset: number;
  limit: number;
  /** False skips the count (the result's count is null), the costly part of a filtered list. Default true. */
  count?: boolean;
  /**
   * True lets the store answer the page as its wire JSON (ListResult.page) instead of records: SQLite's reader
   * threads make it where they read the page, so that the event loop has nothing left to do but send it.
   */
  wire?: boolean;
  /**
   * An export's format: lets the store answer the page as export text (ListResult.page, one line per record, see
   * model/export-text.ts) instead of records, with ListResult.exported saying how many and the last one's id. SQLite's reader
   * threads make it where they read the page, on a connection of their own with a small page cache (an export reads
   * every record once: it must not fill the cache the lists keep warm).
   */
  text?: ExportFormat;
}

export interface ListResult {
  /** Every matching record, or null when the query asked for no count. */
  count: number | null;
  /** The page's records; empty when `page` holds them. */
  records: RecordData[];
  /** With query.wire or query.text, if the store took it: the page as its wire JSON, or as export text. */
  page?: WirePage;
  /** With query.text, when `page` holds a non-empty page: its records and the id of its last (the next page's keyset). */
  exported?: { records: number; lastId: string };
  /** Whether records follow this page. */
  more: boolean;
  /** The plan step that found the page (store/sql/plan.ts), for tests. */
  step?: string;
}

/** An accepted record the store refused, and why. */
export interface DeadLetter {
  record: EncodedRecord;
  reason: string;
}

/**
 * A list page as the bytes a reply sends: `bytes[start, end)` is the UTF-8 of JSON.stringify(records.map(toApiRecord))
 * followed by the `}` that closes the reply, and `start` bytes before it are free for the reply's head, so that the
 * whole reply is one buffer without a copy. For an export's page (ListQuery.text) it is the page's export text alone.
 */
export interface WirePage {
  bytes: Uint8Array;
  start: number;
  end: number;
  /** Call once the bytes are sent (or never will be): the buffer goes back to be filled again. At most once. */
  release(): void;
}

/** What an API key may call (docs/keys.md): `admin` everything, `read` what reads, `ingest` what writes records. */
export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** An API key as stored, never its secret (only the secret's SHA-256 is kept). Times are ms since the epoch. */
export interface ApiKeyRow {
  id: string;
  orgId: string;
  /** Null for keys made without one (before keys had names, at first start, or by the CLI without --name). */
  name: string | null;
  scope: Scope;
  createdAt: number;
  /** Brought up to date at most once a minute per process (auth/authenticator.ts). */
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** What a valid (known, unrevoked) key resolves to. */
export interface KeyGrant {
  keyId: string;
  orgId: string;
  scope: Scope;
}

/** An entry of the append-only audit log: who (a key id or `cli`) did what, with details as JSON text. */
export interface AuditEntry {
  orgId: string;
  at: number;
  actor: string;
  action: string;
  details: string;
}

/**
 * A price an admin set for a model name or pattern (docs/derived-fields.md#custom-prices), in USD per 1M tokens.
 * orgId null: the whole server's. effectiveFrom: microseconds, null for always. createdAt: ms since the epoch.
 */
export interface ModelPriceRow {
  orgId: string | null;
  model: string;
  effectiveFrom: number | null;
  input: number;
  output: number;
  cacheRead: number | null;
  cacheWrite: number | null;
  createdAt: number;
}

/** Which prices a removal takes: a pattern's in a scope, at one effective-from time or (undefined) all of them. */
export interface ModelPriceKey {
  orgId: string | null;
  model: string;
  effectiveFrom?: number | null;
}

/** How long an InsertStream's transaction may stay open (ms), and how many records it may hold. */
export interface InsertStreamBounds {
  ms: number;
  records: number;
}

/** Store.openInsert. */
export interface InsertStream {
  /** Adds records: posted to the store at once, inserted into the open transaction (one is opened when needed). */
  add(records: readonly EncodedRecord[]): void;
  /**
   * Commits what is open and waits for every transaction: resolves with how many records were inserted and, when a
   * transaction failed (nothing of it stored), its records and every record added after it, not stored, with the
   * first error (null when none failed). Never rejects.
   */
  end(): Promise<{ inserted: number; failed: EncodedRecord[]; error: unknown }>;
  /** Rolls the open transaction back and takes no more records; transactions already committed stay. */
  abort(): void;
}

/** Everything Tally asks of a database. Driver types never leave the implementations. */
export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  /**
   * How many group commits the write queue may hand over at once. SQLite's writer thread takes a second while the
   * first commits (2); on PostgreSQL two concurrent inserts wait on each other's counter rows (so 1: two were
   * slower, docs/performance.md).
   */
  readonly writeFlights: number;
  /**
   * True when expireRecords paces its own deletion (SQLite: slices that ride the writer's group commits, whatever
   * `limit` asks), so that retention asks for RETENTION_PACED_BATCH at a time without pausing; false when each call is
   * one transaction that retention sizes and paces (PostgreSQL).
   */
  readonly expiryPaced: boolean;
  /**
   * Lists and summaries it runs at once: SQLite's reader threads, PostgreSQL's read connections. The read
   * scheduler (fair-reads.ts) admits no more than this, so a read never waits inside the store.
   */
  readonly readConcurrency: number;
  /**
   * Export pages (ListQuery.text) it reads at once apart from readConcurrency, on a lane of their own (PostgreSQL's
   * export thread); absent when export pages are reads like the others.
   */
  readonly exportConcurrency?: number;
  /**
   * Stores the records in one transaction; resolves once the commit is durable. The iterable is consumed at once
   * and synchronously; a store may start writing before it ends (SQLite's writer thread inserts it in chunks as
   * they come). If it throws, nothing is stored and the promise rejects: with AppError store_unavailable when the
   * store cannot be reached or cannot write now (worth a retry), with any other error when it refused the records.
   * Resolves with how many records it inserted: a record whose id the org already holds (an OTLP span sent again)
   * is skipped, and one whose Idempotency-Key claim finds its own outcome committed already is not written again.
   */
  insert(records: Iterable<EncodedRecord>): Promise<number>;
  /**
   * Records that come over time (an OTLP request's, as its spans are read) in one transaction that stays open while
   * they come, committed by end(): one commit where group commits would make several. Bounded: a transaction holds at
   * most bounds.records records (the next ones open another) and is committed once it has been open bounds.ms (what
   * it did not take goes in another). While it is open the store writes nothing else (SQLite's writer holds other
   * writes until it ends). Absent when the store has no such path (PostgreSQL): callers use the write queue.
   */
  openInsert?(bounds: InsertStreamBounds): InsertStream;
  /**
   * Sets aside accepted records the store refused to insert (one transaction): kept in dead_letters as the JSON of
   * their columns, with the reason, so that nothing answered 202 disappears without a trace.
   */
  deadLetter(entries: DeadLetter[]): Promise<void>;
  /** The row of an Idempotency-Key of the org, expired or not; null when there is none. */
  idempotencyKey(orgId: string, key: string): Promise<IdempotencyRow | null>;
  /** Deletes up to `limit` Idempotency-Key rows created before `before` (ms); resolves with how many it deleted. */
  purgeIdempotencyKeys(before: number, limit: number): Promise<number>;
  /**
   * GenAI events from /v1/logs and the records of their spans (span-events.ts): holds the events (one already held
   * is held once), then, for the given spans and the events' spans, fills each record's field_1/field_2 where it is
   * NULL from every event held for that side (ordered by event time, then arrival) and lets go of the span's events
   * once its record is found; then drops held events past the bounds (oldest first) and past their age. Each fill is
   * one transaction; nothing else of a record changes. `now` is the time of the request (ms).
   */
  joinSpanEvents(
    orgId: string,
    events: readonly HeldEvent[],
    spans: readonly SpanRef[],
    bounds: HeldEventBounds,
    now: number,
  ): Promise<JoinOutcome>;
  get(orgId: string, id: string): Promise<RecordData | null>;
  /** Rejects with query_timeout (read-budget.ts) when it runs out of the read budget. */
  list(orgId: string, query: ListQuery): Promise<ListResult>;
  /** Aggregates over the records a list with the same start time and filters would return; budgeted as list. */
  summary(orgId: string, query: SummaryQuery): Promise<SummaryData>;
  /** Measures per bucket and group over the org's records in a range (docs/analytics.md); budgeted as list. */
  analytics(orgId: string, query: AnalyticsQuery): Promise<AnalyticsData>;
  /**
   * The analytics answer from the org's rows of a rollup table in a range (docs/analytics.md, Rollups), added up
   * where they are read; budgeted as list. Null when the rollups do not hold every record (records stored before they
   * existed, and no rebuild since).
   */
  rollupAnalytics(orgId: string, read: RollupRead, query: AnalyticsQuery): Promise<AnalyticsRow[] | null>;
  /**
   * The first and last timestamp of the org's records at or after `since` (two index seeks); null when there are none.
   * With a filter, of the records it selects, found by the hourly rollups (sql/time-range.ts); null also when the
   * rollups are not ready or cannot tell: the caller then scans.
   */
  timeRange(orgId: string, since: number | null, filter?: TimeRangeFilter): Promise<{ first: number; last: number } | null>;
  /** Marks the rollups complete (after a whole rebuild): until then rollups() answers null on a store upgraded with records. */
  rollupsRebuilt(): Promise<void>;
  /**
   * Recomputes the org's rollups of [from, to) (microseconds, whole UTC days) from its records, in one transaction:
   * the rows of that range are dropped and added up again. Resolves with the number of records read.
   */
  rebuildRollups(orgId: string, from: number, to: number): Promise<number>;
  /** Every org that has records or rollup rows, with its records' first and last timestamps (null without records). */
  rollupOrgs(): Promise<{ orgId: string; firstTs: number | null; lastTs: number | null }[]>;
  /** Makes sure the org exists and the key hash belongs to it (an admin key, unnamed); true when the key was new. */
  ensureApiKey(orgId: string, keyHash: string): Promise<boolean>;
  /** The key a hash belongs to, or null when it is unknown or revoked. */
  keyForHash(keyHash: string): Promise<KeyGrant | null>;
  hasAnyApiKey(): Promise<boolean>;
  /** Creates the org when needed, stores the key and appends the audit entry (for the key's org), in one transaction. */
  createApiKey(key: Omit<ApiKeyRow, 'lastUsedAt' | 'revokedAt'> & { keyHash: string }, audit: Omit<AuditEntry, 'orgId'>): Promise<void>;
  /** The org's keys, revoked ones included, oldest first. */
  apiKeys(orgId: string): Promise<ApiKeyRow[]>;
  /** A key by id, whatever its org; null when there is none. */
  apiKey(id: string): Promise<ApiKeyRow | null>;
  /**
   * Revokes the key at `at` and appends the audit entry (for the key's org) in one transaction; false, with nothing
   * changed, when there is no such unrevoked key.
   */
  revokeApiKey(id: string, at: number, audit: Omit<AuditEntry, 'orgId' | 'at'>): Promise<boolean>;
  /** Records that the key was used at `at` (never moves last_used back). */
  touchApiKey(id: string, at: number): Promise<void>;
  /**
   * Deletes every record of the org the conditions match, in one transaction with the audit entry (for the org; its
   * details get the number deleted as `count`), and with every count kept beside the records brought down alike.
   * Resolves with the number deleted.
   */
  eraseRecords(
    orgId: string,
    conditions: Condition[],
    audit: Omit<AuditEntry, 'orgId' | 'details'> & { details: Record<string, unknown> },
  ): Promise<number>;
  /**
   * Deletes up to `limit` of the org's records whose timestamp is before `before` (microseconds), oldest first, in one
   * short transaction (expiryPaced: in short slices of the writer's commits), counts brought down alike; resolves with
   * the number deleted (below `limit`: none are left).
   */
  expireRecords(orgId: string, before: number, limit: number): Promise<number>;
  /** Sets (days) or clears (null) the org's retention, creating the org when needed, with its audit entry, in one transaction. */
  setRetention(orgId: string, days: number | null, audit: Omit<AuditEntry, 'orgId'>): Promise<void>;
  /** Every org with its retention override (null: the default). */
  orgRetention(): Promise<{ orgId: string; days: number | null }[]>;
  /** Every custom price, of every org and the server's (bounded by model-prices.ts's limit per scope). */
  modelPrices(): Promise<ModelPriceRow[]>;
  /** Sets a price (replacing the one of the same scope, model and effective-from) with its audit entry, if any, in one transaction. */
  setModelPrice(row: ModelPriceRow, audit: AuditEntry | null): Promise<void>;
  /** Removes the prices the key names, with the audit entry, if any, in one transaction; resolves with how many. */
  removeModelPrices(key: ModelPriceKey, audit: AuditEntry | null): Promise<number>;
  /** Appends an entry to the audit log. */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** The org's audit log, newest first. */
  auditLog(orgId: string): Promise<AuditEntry[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
