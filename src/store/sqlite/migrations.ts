/** Ordered, append-only schema migrations for the SQLite store. Never edit one that has shipped. */
export const SQLITE_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'records, orgs and api keys',
    sql: `
      CREATE TABLE orgs (
        id TEXT PRIMARY KEY,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE api_keys (
        key_hash TEXT PRIMARY KEY,
        org_id TEXT NOT NULL REFERENCES orgs(id),
        created_at INTEGER NOT NULL
      );
      CREATE INDEX api_keys_org ON api_keys(org_id);
      -- Narrow, filterable scalars first; large bodies last so scans over the scalars touch fewer pages.
      CREATE TABLE records (
        seq INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        id TEXT NOT NULL,
        ts INTEGER NOT NULL,
        field_3 TEXT NOT NULL,
        field_4 TEXT,
        status TEXT NOT NULL,
        field_18 INTEGER NOT NULL,
        field_6 REAL,
        field_7 REAL,
        field_8 REAL,
        rate REAL,
        sub_field_a INTEGER,
        sub_field_b INTEGER,
        sub_field_total INTEGER,
        tokens_estimated INTEGER NOT NULL DEFAULT 0,
        field_10 TEXT,
        field_11 TEXT,
        field_12 TEXT,
        field_13 TEXT,
        field_14 TEXT,
        field_15 TEXT,
        field_9 TEXT,
        field_19 TEXT NOT NULL DEFAULT '',
        field_17 TEXT,
        field_20 TEXT,
        field_16 TEXT,
        field_22 TEXT,
        field_23 TEXT,
        field_1 TEXT,
        field_2 TEXT
      );
      CREATE UNIQUE INDEX records_org_id ON records(org_id, id);
      CREATE INDEX records_org_ts ON records(org_id, ts);
      CREATE INDEX records_org_customer ON records(org_id, field_10);
      CREATE INDEX records_org_custom_id ON records(org_id, field_12);
      CREATE INDEX records_org_trace ON records(org_id, field_13);
      -- An index of top-level scalar metadata values, so field_9__<key> equality, in and ranges seek
      -- instead of parsing every record's JSON. t is the JSON type (s string, n number, b boolean,
      -- z null); v keeps SQLite's own type (no affinity), so the string "5" never equals the number 5.
      CREATE TABLE record_meta (
        org_id TEXT NOT NULL,
        k TEXT NOT NULL,
        t TEXT NOT NULL,
        v NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (org_id, k, t, v, seq)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'cost index and per-org record counts',
    sql: `
      -- field_6 (cost) filters and the option_2 sort seek instead of scanning the org.
      CREATE INDEX records_org_cost ON records(org_id, field_6);
      -- The exact count of an unfiltered list, kept by the insert transaction itself (records are append-only).
      CREATE TABLE org_record_counts (
        org_id TEXT PRIMARY KEY,
        n INTEGER NOT NULL
      ) WITHOUT ROWID;
      INSERT INTO org_record_counts (org_id, n) SELECT org_id, count(*) FROM records GROUP BY org_id;
    `,
  },
  {
    version: 3,
    name: 'time index covering the summary',
    sql: `
      -- Replaces (org_id, ts): the same leading columns, so time ranges and time sorts seek as before, plus every
      -- column the explorer's summary reads, so it never reads a record (each ~4 KB) to add up its numbers.
      -- ts grows with arrival, so inserts still land at the right edge of the org's range.
      DROP INDEX records_org_ts;
      CREATE INDEX records_org_ts_cover ON records(org_id, ts, field_6, sub_field_total, status, field_7);
    `,
  },
  {
    version: 4,
    name: 'per-value metadata counts',
    sql: `
      -- How many record_meta rows (= records: one row per top-level key per record) hold each value, kept by
      -- the insert transaction itself (records are append-only), so a lone field_9__<key> equality or "in"
      -- is counted from a few rows instead of a range of the index per match. v has no affinity, as in
      -- record_meta: 1 and 1.0 are one key, the string "5" is not the number 5.
      CREATE TABLE meta_value_counts (
        org_id TEXT NOT NULL,
        k TEXT NOT NULL,
        t TEXT NOT NULL,
        v NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (org_id, k, t, v)
      ) WITHOUT ROWID;
      INSERT INTO meta_value_counts (org_id, k, t, v, n) SELECT org_id, k, t, v, count(*) FROM record_meta GROUP BY org_id, k, t, v;
    `,
  },
  {
    version: 5,
    name: 'per-value counts only for values held twice',
    sql: `
      -- From now on a value gets its counter row once two records hold it (meta-counts.ts), so a key unique per
      -- record no longer adds a row per record. A value without a row is counted from its one record_meta
      -- entry; the rows of values held once are dropped (they would still be exact, only larger).
      DELETE FROM meta_value_counts WHERE n < 2;
    `,
  },
  {
    version: 6,
    name: 'time index covering the output text',
    sql: `
      -- Text filters on field_2 (the output) inside a time range, and their counts, read this index alone:
      -- entries of a few hundred bytes in time order, instead of a seek into the table (each record ~4 KB, with
      -- field_2 stored after the input) for every record in range. A whole-org text count reads it too. ts grows
      -- with arrival, so inserts land at the right edge of the org's range; it costs ~5% of the storage floor.
      -- Partial, so that only a query that says field_2 IS NOT NULL (every text filter on it does) can use it: the
      -- planner cannot tell its entries are a hundred times wider than records_org_ts_cover's, and would otherwise
      -- count a plain time range here too.
      CREATE INDEX records_org_ts_output ON records(org_id, ts, field_2) WHERE field_2 IS NOT NULL;
    `,
  },
  {
    version: 7,
    name: 'a change counter for remembered counts',
    sql: `
      -- Tally only ever inserts records, so a count taken in one snapshot plus the matches among newer records is
      -- the count in a later one (count-memo.ts). Anything else that changes records (a DELETE or UPDATE run by
      -- hand) bumps this counter, and remembered counts are then taken again.
      CREATE TABLE records_changes (n INTEGER NOT NULL);
      INSERT INTO records_changes (n) VALUES (0);
      CREATE TRIGGER records_deleted AFTER DELETE ON records BEGIN UPDATE records_changes SET n = n + 1; END;
      CREATE TRIGGER records_updated AFTER UPDATE ON records BEGIN UPDATE records_changes SET n = n + 1; END;
    `,
  },
  {
    version: 8,
    name: 'customer index ordered by id',
    sql: `
      -- A customer's page (newest first) reads the index in id order and stops after the page, or sorts a few
      -- hundred index entries, instead of reading every one of the customer's records to sort them by id.
      -- Costs ~6% of the storage floor against (org_id, field_10) (bench/index-cost.ts).
      DROP INDEX records_org_customer;
      CREATE INDEX records_org_customer ON records(org_id, field_10, id);
    `,
  },
  {
    version: 9,
    name: 'dead letters',
    sql: `
      -- Accepted (202) records the store refused to insert, set aside by the write queue instead of being retried
      -- forever at the head of the queue (write-queue.ts). record is the JSON of the record's columns.
      CREATE TABLE dead_letters (
        org_id TEXT NOT NULL,
        id TEXT NOT NULL,
        reason TEXT NOT NULL,
        record TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX dead_letters_org_at ON dead_letters(org_id, at);
    `,
  },
  {
    version: 10,
    name: 'idempotency keys',
    sql: `
      -- Idempotency-Key of a create or batch and the outcome it had, inserted in the record's transaction, kept 24 h.
      CREATE TABLE idempotency_keys (
        org_id TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        response TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (org_id, key)
      ) WITHOUT ROWID;
      CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
    `,
  },
  {
    version: 11,
    name: 'scoped api keys and the audit log',
    sql: `
      -- Keys get an id (what the keys API and CLI name them by), a name, a scope, the time they were last used and
      -- the time they were revoked. Keys made before scopes existed are admin (docs/keys.md).
      ALTER TABLE api_keys ADD COLUMN id TEXT;
      ALTER TABLE api_keys ADD COLUMN name TEXT;
      ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'admin' CHECK (scope IN ('ingest', 'read', 'admin'));
      ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
      ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
      UPDATE api_keys SET id = 'key_' || lower(hex(randomblob(12)));
      -- SQLite cannot give an added column a random default: a key inserted without an id gets one here.
      CREATE TRIGGER api_keys_id AFTER INSERT ON api_keys WHEN NEW.id IS NULL BEGIN
        UPDATE api_keys SET id = 'key_' || lower(hex(randomblob(12))) WHERE rowid = NEW.rowid;
      END;
      CREATE UNIQUE INDEX api_keys_id ON api_keys(id);
      -- Append-only: Tally never updates or deletes an entry. details is JSON text.
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL
      );
      CREATE INDEX audit_log_org ON audit_log(org_id, seq);
    `,
  },
  {
    version: 12,
    name: 'GenAI events held for their spans',
    sql: `
      -- Messages that arrived in /v1/logs before their span's record (or with it), held until the join fills the
      -- record's field_1/field_2 (store/span-events.ts). Bounded in rows and bytes per org and overall, and in age.
      -- key identifies the event, so that a resent one is held once; at (the event's time, nanoseconds) orders a
      -- span's messages, then seq (arrival).
      CREATE TABLE otlp_held_events (
        seq INTEGER PRIMARY KEY,
        org_id TEXT NOT NULL,
        trace_id TEXT NOT NULL,
        span_id TEXT NOT NULL,
        key TEXT NOT NULL,
        side TEXT NOT NULL,
        at INTEGER NOT NULL,
        messages TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        received_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX otlp_held_events_span ON otlp_held_events(org_id, trace_id, span_id, key);
      CREATE INDEX otlp_held_events_org_received ON otlp_held_events(org_id, received_at);
      CREATE INDEX otlp_held_events_received ON otlp_held_events(received_at);
    `,
  },
  {
    version: 13,
    name: 'per-org retention',
    sql: `
      -- Days an org's records are kept (docs/lifecycle.md), overriding TALLY_RETENTION_DAYS; NULL: the default.
      ALTER TABLE orgs ADD COLUMN retention_days INTEGER;
    `,
  },
  {
    version: 14,
    name: 'rollups',
    sql: `
      -- Measures pre-added per org, UTC day or hour, type, model and status, and per org, UTC day and customer (docs/analytics.md,
      -- store/rollup/tables.ts), kept by the transaction that inserts or deletes the records (rollups.ts). Dimension
      -- values are encoded ('v' and the text, 'n' for none). lat and ttft are percentile sketches: int32 pairs (bin,
      -- count), little-endian, in bin order (store/rollup/sketch.ts); NULL when empty. Filled by "tally rollups rebuild"
      -- for records stored before this migration.
      CREATE TABLE rollups_hour (
        org_id TEXT NOT NULL, t INTEGER NOT NULL, field_3 TEXT NOT NULL, field_4 TEXT NOT NULL, status TEXT NOT NULL,
        n INTEGER NOT NULL, errors INTEGER NOT NULL, costed INTEGER NOT NULL, cost REAL NOT NULL,
        tp_n INTEGER NOT NULL, tp INTEGER NOT NULL, tc_n INTEGER NOT NULL, tc INTEGER NOT NULL, tt_n INTEGER NOT NULL, tt INTEGER NOT NULL,
        lat_n INTEGER NOT NULL, lat_sum REAL NOT NULL, rate_n INTEGER NOT NULL, rate_sum REAL NOT NULL, lat BLOB, ttft BLOB,
        PRIMARY KEY (org_id, t, field_3, field_4, status)
      ) WITHOUT ROWID;
      CREATE TABLE rollups_day (
        org_id TEXT NOT NULL, t INTEGER NOT NULL, field_3 TEXT NOT NULL, field_4 TEXT NOT NULL, status TEXT NOT NULL,
        n INTEGER NOT NULL, errors INTEGER NOT NULL, costed INTEGER NOT NULL, cost REAL NOT NULL,
        tp_n INTEGER NOT NULL, tp INTEGER NOT NULL, tc_n INTEGER NOT NULL, tc INTEGER NOT NULL, tt_n INTEGER NOT NULL, tt INTEGER NOT NULL,
        lat_n INTEGER NOT NULL, lat_sum REAL NOT NULL, rate_n INTEGER NOT NULL, rate_sum REAL NOT NULL, lat BLOB, ttft BLOB,
        PRIMARY KEY (org_id, t, field_3, field_4, status)
      ) WITHOUT ROWID;
      CREATE TABLE rollups_customer_day (
        org_id TEXT NOT NULL, t INTEGER NOT NULL, field_10 TEXT NOT NULL,
        n INTEGER NOT NULL, errors INTEGER NOT NULL, costed INTEGER NOT NULL, cost REAL NOT NULL,
        tp_n INTEGER NOT NULL, tp INTEGER NOT NULL, tc_n INTEGER NOT NULL, tc INTEGER NOT NULL, tt_n INTEGER NOT NULL, tt INTEGER NOT NULL,
        lat_n INTEGER NOT NULL, lat_sum REAL NOT NULL, rate_n INTEGER NOT NULL, rate_sum REAL NOT NULL,
        PRIMARY KEY (org_id, t, field_10)
      ) WITHOUT ROWID;
      -- Whether the rollups hold every record: not when records were stored before this migration, until a rebuild.
      CREATE TABLE rollups_state (ready INTEGER NOT NULL);
      INSERT INTO rollups_state (ready) SELECT NOT EXISTS (SELECT 1 FROM records);
    `,
  },
  {
    version: 15,
    name: 'usage details and custom model prices',
    sql: `
      -- field_5's extension counts (cache, reasoning, audio) as one JSON object; NULL when none were sent.
      ALTER TABLE records ADD COLUMN usage_details TEXT;
      -- Prices an admin sets per model name or pattern (docs/derived-fields.md#custom-prices). org_id '' is the
      -- whole server's; effective_from is microseconds, -9007199254740991 (-(2^53 - 1)) for "always". Prices are USD per 1M tokens.
      CREATE TABLE model_prices (
        org_id TEXT NOT NULL,
        model TEXT NOT NULL,
        effective_from INTEGER NOT NULL,
        input_mtok REAL NOT NULL,
        output_mtok REAL NOT NULL,
        cache_read_mtok REAL,
        cache_write_mtok REAL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (org_id, model, effective_from)
      );
    `,
  },
  {
    version: 17,
    name: 'hourly rollups by model',
    sql: `
      -- The hours of one model (or a few) without reading every model's (docs/analytics.md, "Rollups"): the rollup
      -- read names this index (INDEXED BY, store/sql/rollups.ts), as the planner, without statistics, keeps to the key.
      CREATE INDEX rollups_hour_model ON rollups_hour (org_id, field_4, t);
    `,
  },
  {
    version: 18,
    name: 'customer rollups by the hour',
    sql: `
      -- Per org, UTC hour, type, model, customer and status, with both sketches (docs/analytics.md, "Rollups"): the
      -- contract's "at the least" for field_10 (by the hour, in a zone, with another dimension, percentiles). Columns
      -- as migration 14's. Kept by the records' transactions from here on; a store that already held records fills
      -- it with "tally rollups rebuild", and until then rollups_state.customer_hour is 0 and such requests are scans.
      CREATE TABLE rollups_customer_hour (
        org_id TEXT NOT NULL, t INTEGER NOT NULL, field_3 TEXT NOT NULL, field_4 TEXT NOT NULL, field_10 TEXT NOT NULL,
        status TEXT NOT NULL,
        n INTEGER NOT NULL, errors INTEGER NOT NULL, costed INTEGER NOT NULL, cost REAL NOT NULL,
        tp_n INTEGER NOT NULL, tp INTEGER NOT NULL, tc_n INTEGER NOT NULL, tc INTEGER NOT NULL, tt_n INTEGER NOT NULL, tt INTEGER NOT NULL,
        lat_n INTEGER NOT NULL, lat_sum REAL NOT NULL, rate_n INTEGER NOT NULL, rate_sum REAL NOT NULL, lat BLOB, ttft BLOB,
        PRIMARY KEY (org_id, t, field_3, field_4, field_10, status)
      ) WITHOUT ROWID;
      ALTER TABLE rollups_state ADD COLUMN customer_hour INTEGER NOT NULL DEFAULT 1;
      UPDATE rollups_state SET customer_hour = NOT EXISTS (SELECT 1 FROM records);
    `,
  },
  {
    version: 19,
    name: 'hourly rollups as a rowid table',
    sql: `
      -- One model's hours are read through rollups_hour_model, which leads to each row by its key. As a WITHOUT ROWID
      -- table whose rows (0.5-2.6 KB with their sketches) spill onto overflow pages, every key comparison of that
      -- lookup read the whole row: 8-16 µs a row, most of the read (docs/performance.md, "Analytics"). As a rowid
      -- table the lookup compares integers; the key stays unique as an index (the upserts' ON CONFLICT target).
      CREATE TABLE rollups_hour_rowid (
        org_id TEXT NOT NULL, t INTEGER NOT NULL, field_3 TEXT NOT NULL, field_4 TEXT NOT NULL, status TEXT NOT NULL,
        n INTEGER NOT NULL, errors INTEGER NOT NULL, costed INTEGER NOT NULL, cost REAL NOT NULL,
        tp_n INTEGER NOT NULL, tp INTEGER NOT NULL, tc_n INTEGER NOT NULL, tc INTEGER NOT NULL, tt_n INTEGER NOT NULL, tt INTEGER NOT NULL,
        lat_n INTEGER NOT NULL, lat_sum REAL NOT NULL, rate_n INTEGER NOT NULL, rate_sum REAL NOT NULL, lat BLOB, ttft BLOB
      );
      INSERT INTO rollups_hour_rowid SELECT * FROM rollups_hour ORDER BY org_id, t, field_3, field_4, status;
      DROP TABLE rollups_hour;
      ALTER TABLE rollups_hour_rowid RENAME TO rollups_hour;
      CREATE UNIQUE INDEX rollups_hour_key ON rollups_hour (org_id, t, field_3, field_4, status);
      CREATE INDEX rollups_hour_model ON rollups_hour (org_id, field_4, t);
    `,
  },
  {
    version: 20,
    name: 'rollups folded from the records',
    sql: `
      -- The rollups hold every record whose seq is at most through_seq; newer records (the tail) are added up by the
      -- writer in memory and folded into the tables now and then (rollup-fold.ts), and a read adds the tail's records
      -- to the rows it reads (docs/analytics.md, "Rollups"). Every record a store holds at this migration is in them.
      ALTER TABLE rollups_state ADD COLUMN through_seq INTEGER NOT NULL DEFAULT 0;
      UPDATE rollups_state SET through_seq = coalesce((SELECT max(seq) FROM records), 0);
    `,
  },
];
