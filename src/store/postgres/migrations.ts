/** The sum and sketch columns of a rollup table (migration 12). */
const ROLLUP_SUM_COLUMNS = `n bigint NOT NULL, errors bigint NOT NULL, costed bigint NOT NULL, cost double precision NOT NULL,
        tp_n bigint NOT NULL, tp bigint NOT NULL, tc_n bigint NOT NULL, tc bigint NOT NULL, tt_n bigint NOT NULL, tt bigint NOT NULL,
        lat_n bigint NOT NULL, lat_sum double precision NOT NULL, rate_n bigint NOT NULL, rate_sum double precision NOT NULL,
        lat jsonb, ttft jsonb`;
/** The same without the sketches (rollups_customer_day). */
const ROLLUP_SUMS_ONLY = ROLLUP_SUM_COLUMNS.replace(',\n        lat jsonb, ttft jsonb', '');

/** ln γ of the sketch (store/rollup/sketch.ts LN_GAMMA, for α = 0.005), as migration 12 bins values. */
const LN_GAMMA_SQL = '0.010000083334583179';

/**
 * Ordered, append-only schema migrations for the PostgreSQL store. Never edit one that has shipped.
 *
 * The same logical columns as the SQLite store, with these choices:
 * - Every text column that can be filtered or sorted is COLLATE "C": comparisons and ORDER BY go by code
 *   point as on SQLite, and the btree indexes carry the collation the queries use.
 * - ts is bigint microseconds since the epoch: exact to the microsecond and range-partitionable.
 * - field_9 (metadata) is jsonb with a GIN jsonb_path_ops index for field_9__<key> equality and "in"; the other
 *   JSON columns are never queried and stay text, returned byte for byte as written.
 * - The primary key and every btree index lead with org_id, so records can be distributed by org_id (Citus).
 *   orgs and api_keys are small lookup tables (reference tables under Citus).
 * - tally_case is the collation icontains upper-cases under: libc's C.UTF-8 maps every code point, where the
 *   columns' "C" would map ASCII only.
 */
export const POSTGRES_MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'records, orgs and api keys',
    sql: `
      CREATE COLLATION tally_case (provider = libc, locale = 'C.UTF-8');
      CREATE TABLE orgs (
        id text COLLATE "C" PRIMARY KEY,
        created_at bigint NOT NULL
      );
      CREATE TABLE api_keys (
        key_hash text COLLATE "C" PRIMARY KEY,
        org_id text COLLATE "C" NOT NULL REFERENCES orgs(id),
        created_at bigint NOT NULL
      );
      CREATE INDEX api_keys_org ON api_keys(org_id);
      -- Narrow, filterable scalars first; large bodies last (and TOASTed) so scans over the scalars stay small.
      CREATE TABLE records (
        org_id text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        ts bigint NOT NULL,
        field_3 text COLLATE "C" NOT NULL,
        field_4 text COLLATE "C",
        status text COLLATE "C" NOT NULL,
        field_18 integer NOT NULL,
        field_6 double precision,
        field_7 double precision,
        field_8 double precision,
        rate double precision,
        sub_field_a bigint,
        sub_field_b bigint,
        sub_field_total bigint,
        tokens_estimated boolean NOT NULL DEFAULT false,
        field_10 text COLLATE "C",
        field_11 text COLLATE "C",
        field_12 text COLLATE "C",
        field_13 text COLLATE "C",
        field_14 text COLLATE "C",
        field_15 text COLLATE "C",
        field_9 jsonb,
        field_19 text COLLATE "C" NOT NULL DEFAULT '',
        field_17 text,
        field_20 text,
        field_16 text,
        field_22 text,
        field_23 text,
        field_1 text COLLATE "C",
        field_2 text COLLATE "C",
        PRIMARY KEY (org_id, id)
      );
      CREATE INDEX records_org_ts ON records (org_id, ts);
      CREATE INDEX records_org_customer ON records (org_id, field_10);
      CREATE INDEX records_org_custom_id ON records (org_id, field_12);
      CREATE INDEX records_org_trace ON records (org_id, field_13);
      CREATE INDEX records_metadata ON records USING gin (field_9 jsonb_path_ops);
    `,
  },
  {
    version: 2,
    name: 'time index covering the summary',
    sql: `
      -- Replaces (org_id, ts), as SQLite's migration 3 does: the same key, plus the summary's columns as
      -- payload, so the summary can run on index-only scans (once VACUUM has marked the pages all-visible).
      CREATE INDEX records_org_ts_cover ON records (org_id, ts) INCLUDE (field_6, sub_field_total, status, field_7);
      DROP INDEX records_org_ts;
    `,
  },
  {
    version: 3,
    name: 'cost index',
    sql: `
      -- As SQLite's migration 2: field_6 (cost) filters and the sort by cost seek instead of scanning the org
      -- (at 1M records the bench's "field_6 gt, sorted -field_6" took ~1 s without it).
      CREATE INDEX records_org_cost ON records (org_id, field_6);
    `,
  },
  {
    version: 4,
    name: 'per-org record counts',
    sql: `
      -- The exact count of an unfiltered list without counting the org's rows (count(*) over 900k index entries
      -- took ~0.5 s). One row per org would serialise every insert of that org across Tally processes until
      -- commit, so each org has up to 16 slots and an insert statement adds to one picked at random; the count is
      -- their sum. A statement-level trigger keeps it, so every writer (any Tally version, psql) counts exactly
      -- the rows it inserted: the transition table holds no row that ON CONFLICT DO NOTHING skipped. Slots are
      -- updated in org order, so two statements never wait for each other's slots in opposite orders.
      CREATE TABLE org_record_counts (
        org_id text COLLATE "C" NOT NULL,
        slot smallint NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (org_id, slot)
      );
      CREATE FUNCTION tally_count_records() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO org_record_counts (org_id, slot, n)
          SELECT org_id, floor(random() * 16)::smallint, count(*) FROM new_rows GROUP BY org_id ORDER BY org_id
          ON CONFLICT (org_id, slot) DO UPDATE SET n = org_record_counts.n + excluded.n;
        RETURN NULL;
      END;
      $$;
      -- Writes wait while the backfill counts, so no row is counted twice or missed.
      LOCK TABLE records IN SHARE MODE;
      CREATE TRIGGER records_count AFTER INSERT ON records REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION tally_count_records();
      INSERT INTO org_record_counts (org_id, slot, n) SELECT org_id, 0, count(*) FROM records GROUP BY org_id;
    `,
  },
  {
    version: 5,
    name: 'per-value metadata counts',
    sql: `
      -- As SQLite's migration 4: how many records hold each top-level scalar metadata value, so a lone
      -- field_9__<key> equality or "in" is counted from a few rows. A value is keyed by the SHA-256 of a
      -- canonical text that is equal exactly when the filter's containment test says the values are equal:
      -- numbers by value (1, 1.0, 1e0 and -0 vs 0 alike: trim_scale of the numeric), strings, booleans and null
      -- by their jsonb text, which differs between types. A hash, not the value, because a btree key holds at
      -- most ~2.7 kB and metadata strings can be longer. Slotted like org_record_counts, one slot per
      -- statement, rows taken in key order.
      CREATE FUNCTION tally_meta_value_key(v jsonb) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
        SELECT sha256(convert_to(CASE WHEN jsonb_typeof(v) = 'number' THEN 'n' || trim_scale(v::numeric)::text ELSE v::text END, 'UTF8'))
      $$;
      CREATE TABLE meta_value_counts (
        org_id text COLLATE "C" NOT NULL,
        k text COLLATE "C" NOT NULL,
        v bytea NOT NULL,
        slot smallint NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (org_id, k, v, slot)
      );
      CREATE OR REPLACE FUNCTION tally_count_records() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        INSERT INTO org_record_counts (org_id, slot, n)
          SELECT org_id, floor(random() * 16)::smallint, count(*) FROM new_rows GROUP BY org_id ORDER BY org_id
          ON CONFLICT (org_id, slot) DO UPDATE SET n = org_record_counts.n + excluded.n;
        -- Grouped by the jsonb value first (the same equality), so only each distinct value is hashed.
        INSERT INTO meta_value_counts (org_id, k, v, slot, n)
          SELECT g.org_id, g.key, tally_meta_value_key(g.value), s.slot, sum(g.n)
          FROM (
            SELECT r.org_id, e.key, e.value, count(*) AS n
            FROM new_rows r
            CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(r.field_9) = 'object' THEN r.field_9 END) e
            WHERE jsonb_typeof(e.value) NOT IN ('object', 'array')
            GROUP BY 1, 2, 3
          ) g
          CROSS JOIN (SELECT floor(random() * 16)::smallint AS slot) s
          GROUP BY 1, 2, 3, 4
          ORDER BY 1, 2, 3
          ON CONFLICT (org_id, k, v, slot) DO UPDATE SET n = meta_value_counts.n + excluded.n;
        RETURN NULL;
      END;
      $f$;
      LOCK TABLE records IN SHARE MODE;
      INSERT INTO meta_value_counts (org_id, k, v, slot, n)
        SELECT g.org_id, g.key, tally_meta_value_key(g.value), 0, sum(g.n)
        FROM (
          SELECT r.org_id, e.key, e.value, count(*) AS n
          FROM records r CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(r.field_9) = 'object' THEN r.field_9 END) e
          WHERE jsonb_typeof(e.value) NOT IN ('object', 'array')
          GROUP BY 1, 2, 3
        ) g
        GROUP BY 1, 2, 3;
    `,
  },
  {
    version: 6,
    name: 'dead letters',
    sql: `
      -- As SQLite's migration 9: accepted records the store refused, set aside instead of retried forever.
      CREATE TABLE dead_letters (
        org_id text NOT NULL,
        id text NOT NULL,
        reason text NOT NULL,
        record text NOT NULL,
        at bigint NOT NULL
      );
      CREATE INDEX dead_letters_org_at ON dead_letters (org_id, at);
    `,
  },
  {
    version: 7,
    name: 'idempotency keys',
    sql: `
      -- As SQLite's migration 10.
      CREATE TABLE idempotency_keys (
        org_id text NOT NULL,
        key text NOT NULL,
        fingerprint text NOT NULL,
        status integer NOT NULL,
        response text NOT NULL,
        created_at bigint NOT NULL,
        PRIMARY KEY (org_id, key)
      );
      CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
    `,
  },
  {
    version: 8,
    name: 'scoped api keys and the audit log',
    sql: `
      -- As SQLite's migration 11: keys get an id, a name, a scope (admin for the keys made before), the time they
      -- were last used and the time they were revoked. The id's default is volatile, so every existing key gets its
      -- own, and a key inserted without one (an older Tally beside this one) too.
      ALTER TABLE api_keys
        ADD COLUMN id text COLLATE "C" NOT NULL DEFAULT ('key_' || substr(md5(random()::text || clock_timestamp()::text), 1, 24)),
        ADD COLUMN name text,
        ADD COLUMN scope text NOT NULL DEFAULT 'admin' CHECK (scope IN ('ingest', 'read', 'admin')),
        ADD COLUMN last_used_at bigint,
        ADD COLUMN revoked_at bigint;
      CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
      -- Append-only: Tally never updates or deletes an entry. details is JSON text.
      CREATE TABLE audit_log (
        seq bigserial PRIMARY KEY,
        org_id text COLLATE "C" NOT NULL,
        at bigint NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        details text NOT NULL
      );
      CREATE INDEX audit_log_org ON audit_log (org_id, seq);
    `,
  },
  {
    version: 9,
    name: 'GenAI events held for their spans',
    sql: `
      -- As SQLite's migration 12: messages from /v1/logs held until their span's record takes them.
      CREATE TABLE otlp_held_events (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        org_id text COLLATE "C" NOT NULL,
        trace_id text COLLATE "C" NOT NULL,
        span_id text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        side text NOT NULL,
        at bigint NOT NULL,
        messages text NOT NULL,
        bytes integer NOT NULL,
        received_at bigint NOT NULL
      );
      CREATE UNIQUE INDEX otlp_held_events_span ON otlp_held_events (org_id, trace_id, span_id, key);
      CREATE INDEX otlp_held_events_org_received ON otlp_held_events (org_id, received_at);
      CREATE INDEX otlp_held_events_received ON otlp_held_events (received_at);
    `,
  },
  {
    version: 10,
    name: 'counts kept under deletion',
    sql: `
      -- Records are no longer append-only (erasure, retention: docs/lifecycle.md). The counters of migrations 4 and 5
      -- were kept by an INSERT trigger only; this statement-level DELETE trigger takes each deleted row's share back
      -- out, as a negative amount added to one random slot (the count is the sum of the slots, so a slot may go below
      -- zero). Rows are taken in key order, as the insert's are, so a delete and an insert never wait for each
      -- other's slots in opposite orders.
      CREATE FUNCTION tally_uncount_records() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        INSERT INTO org_record_counts (org_id, slot, n)
          SELECT org_id, floor(random() * 16)::smallint, -count(*) FROM old_rows GROUP BY org_id ORDER BY org_id
          ON CONFLICT (org_id, slot) DO UPDATE SET n = org_record_counts.n + excluded.n;
        INSERT INTO meta_value_counts (org_id, k, v, slot, n)
          SELECT g.org_id, g.key, tally_meta_value_key(g.value), s.slot, -sum(g.n)
          FROM (
            SELECT r.org_id, e.key, e.value, count(*) AS n
            FROM old_rows r
            CROSS JOIN LATERAL jsonb_each(CASE WHEN jsonb_typeof(r.field_9) = 'object' THEN r.field_9 END) e
            WHERE jsonb_typeof(e.value) NOT IN ('object', 'array')
            GROUP BY 1, 2, 3
          ) g
          CROSS JOIN (SELECT floor(random() * 16)::smallint AS slot) s
          GROUP BY 1, 2, 3, 4
          ORDER BY 1, 2, 3
          ON CONFLICT (org_id, k, v, slot) DO UPDATE SET n = meta_value_counts.n + excluded.n;
        RETURN NULL;
      END;
      $f$;
      CREATE TRIGGER records_uncount AFTER DELETE ON records REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION tally_uncount_records();
    `,
  },
  {
    version: 11,
    name: 'per-org retention',
    sql: `
      -- As SQLite's migration 13: days an org's records are kept, overriding TALLY_RETENTION_DAYS; NULL: the default.
      ALTER TABLE orgs ADD COLUMN retention_days integer;
    `,
  },
  {
    version: 12,
    name: 'rollups',
    sql: `
      -- As SQLite's migration 14 (docs/analytics.md, store/rollup/tables.ts): measures pre-added per org, UTC day or hour, type,
      -- model and status, and per org, UTC day and customer. Dimension values encoded ('v' and the text, 'n' for none).
      -- lat and ttft are percentile sketches as jsonb {"bin": count} (store/rollup/sketch.ts), NULL when empty.
      CREATE TABLE rollups_hour (
        org_id text COLLATE "C" NOT NULL, t bigint NOT NULL,
        field_3 text COLLATE "C" NOT NULL, field_4 text COLLATE "C" NOT NULL, status text COLLATE "C" NOT NULL,
        ${ROLLUP_SUM_COLUMNS},
        PRIMARY KEY (org_id, t, field_3, field_4, status)
      );
      CREATE TABLE rollups_day (
        org_id text COLLATE "C" NOT NULL, t bigint NOT NULL,
        field_3 text COLLATE "C" NOT NULL, field_4 text COLLATE "C" NOT NULL, status text COLLATE "C" NOT NULL,
        ${ROLLUP_SUM_COLUMNS},
        PRIMARY KEY (org_id, t, field_3, field_4, status)
      );
      CREATE TABLE rollups_customer_day (
        org_id text COLLATE "C" NOT NULL, t bigint NOT NULL, field_10 text COLLATE "C" NOT NULL,
        ${ROLLUP_SUMS_ONLY},
        PRIMARY KEY (org_id, t, field_10)
      );
      -- Whether the rollups hold every record: not when records were stored before this migration, until a rebuild.
      CREATE TABLE rollups_state (ready boolean NOT NULL);
      INSERT INTO rollups_state (ready) SELECT NOT EXISTS (SELECT 1 FROM records);
      -- Two sketches added bin by bin; bins whose counts cancel are dropped; NULL when nothing is left.
      CREATE FUNCTION tally_sketch_add(a jsonb, b jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT jsonb_object_agg(k, c) FROM (
          SELECT k, sum(v::bigint) AS c
          FROM (SELECT * FROM jsonb_each_text(COALESCE(a, '{}')) UNION ALL SELECT * FROM jsonb_each_text(COALESCE(b, '{}'))) s(k, v)
          GROUP BY k HAVING sum(v::bigint) <> 0
        ) m
      $$;
      -- Statement-level triggers, as migrations 4 and 10 keep the counts: every writer (any Tally, psql) keeps the
      -- rollups exact, with exactly the rows it inserted or deleted. Rows are taken in key order.
      CREATE FUNCTION tally_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        ${rollupApplySql('SELECT * FROM new_rows', 1, 'jsonb')}
        RETURN NULL;
      END;
      $f$;
      CREATE FUNCTION tally_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        ${rollupApplySql('SELECT * FROM old_rows', -1, 'jsonb')}
        RETURN NULL;
      END;
      $f$;
      CREATE TRIGGER records_rollup_insert AFTER INSERT ON records REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION tally_rollup_insert();
      CREATE TRIGGER records_rollup_delete AFTER DELETE ON records REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION tally_rollup_delete();
    `,
  },
  {
    version: 13,
    name: 'usage details and custom model prices',
    sql: `
      -- As SQLite's migration 15: field_5's extension counts as JSON text, and the prices an admin sets (org_id ''
      -- is the whole server's; effective_from in microseconds, -9007199254740991 (-(2^53 - 1)) for "always").
      ALTER TABLE records ADD COLUMN usage_details text;
      CREATE TABLE model_prices (
        org_id text COLLATE "C" NOT NULL,
        model text COLLATE "C" NOT NULL,
        effective_from bigint NOT NULL,
        input_mtok double precision NOT NULL,
        output_mtok double precision NOT NULL,
        cache_read_mtok double precision,
        cache_write_mtok double precision,
        created_at bigint NOT NULL,
        PRIMARY KEY (org_id, model, effective_from)
      );
    `,
  },
  {
    version: 15,
    name: 'hourly rollups by model',
    sql: `
      -- As SQLite's migration 17: the hours of one model (or a few) without reading every model's.
      CREATE INDEX rollups_hour_model ON rollups_hour (org_id, field_4, t);
    `,
  },
  {
    version: 16,
    name: 'rollup sketches as the text of int4 pairs',
    sql: `
      -- The sketches of migration 12 as the text of an int4[] of pairs '{bin,count,...}' in bin order
      -- (store/rollup/sketch.ts), NULL when empty: a read sends them as they are kept, where jsonb (and an int4[] too)
      -- is turned into text for every read, the bulk of PostgreSQL's time in a read of a month's day sketches
      -- (docs/analytics.md). The triggers and the merge replaced to match; a merge parses the two it adds.
      CREATE FUNCTION tally_sketch_pairs(j jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
        SELECT array_agg(v ORDER BY b, o)::text FROM (SELECT k::int4 AS b, c::int4 AS c FROM jsonb_each_text(j) e(k, c)) s
          CROSS JOIN LATERAL (VALUES (1, b), (2, c)) p(o, v) WHERE c <> 0
      $$;
      ALTER TABLE rollups_hour ALTER COLUMN lat TYPE text USING tally_sketch_pairs(lat),
        ALTER COLUMN ttft TYPE text USING tally_sketch_pairs(ttft);
      ALTER TABLE rollups_day ALTER COLUMN lat TYPE text USING tally_sketch_pairs(lat),
        ALTER COLUMN ttft TYPE text USING tally_sketch_pairs(ttft);
      DROP FUNCTION tally_sketch_pairs(jsonb);
      -- Two sketches added bin by bin; bins whose counts cancel are dropped; NULL when nothing is left.
      CREATE FUNCTION tally_sketch_merge(one text, two text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT array_agg(v ORDER BY bin, o)::text FROM (
          SELECT s[2 * i - 1] AS bin, sum(s[2 * i]) AS c
          FROM (VALUES (one::int4[]), (two::int4[])) x(s) CROSS JOIN LATERAL generate_series(1, cardinality(s) / 2) i
          GROUP BY 1 HAVING sum(s[2 * i]) <> 0
        ) m CROSS JOIN LATERAL (VALUES (1, bin), (2, c::int4)) p(o, v)
      $$;
      CREATE OR REPLACE FUNCTION tally_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        ${rollupApplySql('SELECT * FROM new_rows', 1, 'pairs')}
        RETURN NULL;
      END;
      $f$;
      CREATE OR REPLACE FUNCTION tally_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        ${rollupApplySql('SELECT * FROM old_rows', -1, 'pairs')}
        RETURN NULL;
      END;
      $f$;
      DROP FUNCTION tally_sketch_add(jsonb, jsonb);
    `,
  },
];

/**
 * How a rollup row keeps its sketches: migration 12's jsonb {"bin": count}, merged by tally_sketch_add; or since
 * migration 16 the text of an int4[] of pairs '{bin,count,bin,count,...}' in bin order (store/rollup/sketch.ts),
 * merged by tally_sketch_merge.
 */
export type SketchFormat = 'jsonb' | 'pairs';

/**
 * The statements that add the records `source` selects (sign 1) or take them out (sign -1) of both rollup tables,
 * then drop the rows left empty: the triggers of migrations 12 (jsonb sketches) and 16 (pairs), and "tally rollups
 * rebuild" (postgres/rollups.ts, pairs). A change here is a change of those migrations: give it a new migration that
 * replaces the trigger functions instead.
 */
export function rollupApplySql(source: string, sign: 1 | -1, format: SketchFormat): string {
  const tables = [
    { name: 'rollups_day', grain: 86_400_000_000, dims: ['field_3', 'field_4', 'status'], sketches: true },
    { name: 'rollups_hour', grain: 3_600_000_000, dims: ['field_3', 'field_4', 'status'], sketches: true },
    { name: 'rollups_customer_day', grain: 86_400_000_000, dims: ['field_10'], sketches: false },
  ];
  const bin = (v: string) => `CASE WHEN ${v} <= 0 THEN -2147483648 ELSE ceil(ln(${v}) / ${LN_GAMMA_SQL})::int END`;
  return tables
    .map(({ name, grain, dims, sketches }) => {
      const keys = dims.map((_, i) => `k${i}`);
      const by = ['org_id', 't', ...keys];
      const r =
        `r AS (SELECT org_id, ts - (((ts % ${grain}) + ${grain}) % ${grain}) AS t, ` +
        `${dims.map((d, i) => `COALESCE('v' || ${d}, 'n') AS k${i}`).join(', ')}, status, field_6, field_7, field_8, rate, ` +
        `sub_field_a, sub_field_b, sub_field_total FROM (${source}) src)`;
      const sums = [
        `${sign} * count(*)`,
        `${sign} * count(*) FILTER (WHERE status = 'error')`,
        `${sign} * count(field_6)`,
        `${sign} * COALESCE(sum(field_6), 0)`,
        ...['sub_field_a', 'sub_field_b', 'sub_field_total'].flatMap((c) => [
          `${sign} * count(${c})`,
          `(${sign} * COALESCE(sum(${c}), 0))::bigint`,
        ]),
        `${sign} * count(field_7)`,
        `${sign} * COALESCE(sum(field_7), 0)`,
        `${sign} * count(rate)`,
        `${sign} * COALESCE(sum(rate), 0)`,
      ];
      const sumNames = [
        'n',
        'errors',
        'costed',
        'cost',
        'tp_n',
        'tp',
        'tc_n',
        'tc',
        'tt_n',
        'tt',
        'lat_n',
        'lat_sum',
        'rate_n',
        'rate_sum',
      ];
      // The bins' counts as the format keeps them: a jsonb object, or the pairs in bin order.
      const agg = format === 'jsonb' ? 'jsonb_object_agg(b, c)' : 'array_agg(v ORDER BY b, o)::text';
      const pairs = format === 'jsonb' ? '' : ' CROSS JOIN LATERAL (VALUES (1, b), (2, c::int4)) p(o, v)';
      const sketch = (col: string, alias: string) =>
        `LEFT JOIN (SELECT ${by.join(', ')}, ${agg} AS ${alias} FROM (SELECT ${by.join(', ')}, ${bin(col)} AS b, ${sign} * count(*) AS c ` +
        `FROM r WHERE ${col} IS NOT NULL GROUP BY ${by.join(', ')}, ${by.length + 1}) bins${pairs} GROUP BY ${by.join(', ')}) ${alias}_s USING (${by.join(', ')})`;
      const cols = ['org_id', 't', ...dims, ...sumNames, ...(sketches ? ['lat', 'ttft'] : [])];
      const floats = new Map([
        ['cost', 'costed'],
        ['lat_sum', 'lat_n'],
        ['rate_sum', 'rate_n'],
      ]);
      const set = [
        ...sumNames.map((s) =>
          floats.has(s)
            ? `${s} = CASE WHEN x.${floats.get(s)} + excluded.${floats.get(s)} = 0 THEN 0 ELSE x.${s} + excluded.${s} END`
            : `${s} = x.${s} + excluded.${s}`,
        ),
        ...(sketches
          ? ['lat', 'ttft'].map((k) => `${k} = ${format === 'jsonb' ? 'tally_sketch_add' : 'tally_sketch_merge'}(x.${k}, excluded.${k})`)
          : []),
      ];
      const upsert =
        `WITH ${r} INSERT INTO ${name} AS x (${cols.join(', ')}) ` +
        `SELECT g.*${sketches ? ', lat_s.lat, ttft_s.ttft' : ''} FROM (SELECT ${by.join(', ')}, ${sums.join(', ')} FROM r GROUP BY ${by.join(', ')}) g(${[...by, ...sumNames].join(', ')}) ` +
        `${sketches ? `${sketch('field_7', 'lat')} ${sketch('field_8', 'ttft')} ` : ''}ORDER BY ${by.join(', ')} ` +
        `ON CONFLICT (${['org_id', 't', ...dims].join(', ')}) DO UPDATE SET ${set.join(', ')};`;
      if (sign === 1) return upsert;
      const drop =
        `WITH ${r} DELETE FROM ${name} x USING (SELECT DISTINCT ${by.join(', ')} FROM r) d ` +
        `WHERE ${['org_id', 't'].map((c) => `x.${c} = d.${c}`).join(' AND ')} AND ${dims.map((c, i) => `x.${c} = d.k${i}`).join(' AND ')} AND x.n <= 0;`;
      return `${upsert}\n        ${drop}`;
    })
    .join('\n        ');
}
