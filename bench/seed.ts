import fs from 'node:fs';
import path from 'node:path';
import { hashApiKey } from '../src/auth/keys.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import type { RecordData } from '../src/model/record.ts';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import { createSqliteStore } from '../src/store/sqlite/store.ts';
import type { Store } from '../src/store/types.ts';
import { openPgStore, pgSchemaVersion, withClient, withSearchPath } from './pg.ts';
import { BENCH_KEY, BENCH_ORG } from './processes.ts';
import { chatRecord, rng } from './record-body.ts';

/** Bump when the seeded data changes; the schema version is part of the cache key on its own. */
const SEED_VERSION = 2; // 2: field_22/field_23 no longer stored
const CACHE = new URL('.cache', import.meta.url).pathname;
const DAYS = 30;
const SMALL_ORGS = ['org_small_1', 'org_small_2', 'org_small_3', 'org_small_4'];

/** What the query scenarios need to know about a seeded table. */
export interface SeedInfo {
  records: number;
  bigOrgRecords: number;
  firstTs: number;
  lastTs: number;
  /** Ids of the big org's records, for get-by-id. */
  sampleIds: string[];
}

const schemaVersion = () => Math.max(...SQLITE_MIGRATIONS.map((m) => m.version));

/** Seeds n records straight through the store (not HTTP): ~90% in one big org, the rest in four small ones. */
async function seedInto(store: Store, n: number, log: (s: string) => void): Promise<SeedInfo> {
  await store.ensureApiKey(BENCH_ORG, hashApiKey(BENCH_KEY));
  const lastTs = Date.UTC(2026, 0, 31) * 1000;
  const firstTs = lastTs - DAYS * 86_400_000_000;
  const step = (lastTs - firstTs) / n;
  const r = rng(42);
  const info: SeedInfo = { records: n, bigOrgRecords: 0, firstTs, lastTs, sampleIds: [] };
  const started = Date.now();
  let batch: RecordData[] = [];
  for (let i = 0; i < n; i++) {
    const org = r() < 0.9 ? BENCH_ORG : SMALL_ORGS[Math.floor(r() * SMALL_ORGS.length)];
    const ts = Math.floor(firstTs + i * step + r() * step);
    const record = deriveRecord(chatRecord(i), org);
    record.ts = ts; // arrival order = id order = time order, spread over the 30 days
    batch.push(record);
    if (org === BENCH_ORG) {
      info.bigOrgRecords++;
      if (r() < 2000 / n) info.sampleIds.push(record.id);
    }
    if (batch.length === 1000 || i === n - 1) {
      await store.insert(batch.map(encodeRecord));
      batch = [];
      if ((i + 1) % 100_000 === 0) log(`  seeded ${i + 1} records (${Math.round((i + 1) / ((Date.now() - started) / 1000))}/s)`);
    }
  }
  await store.close();
  return info;
}

/**
 * A data directory holding n seeded records: copied from bench/.cache/ when a seed of this size, seed version
 * and schema version exists, seeded (and cached) otherwise. The copy is the caller's to change and remove.
 */
export async function seededDataDir(n: number, target: string, log: (s: string) => void): Promise<SeedInfo> {
  const name = `sqlite-s${SEED_VERSION}-m${schemaVersion()}-${n}`;
  const db = path.join(CACHE, `${name}.db`);
  const meta = path.join(CACHE, `${name}.json`);
  if (!fs.existsSync(meta)) {
    log(`seeding ${n} records into ${path.relative(process.cwd(), db)} (cached for later runs)`);
    const tmp = path.join(CACHE, `${name}.tmp`);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    const info = await seedInto(createSqliteStore(tmp), n, log);
    fs.renameSync(path.join(tmp, 'tally.db'), db);
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.writeFileSync(meta, JSON.stringify(info));
  }
  fs.mkdirSync(target, { recursive: true });
  fs.copyFileSync(db, path.join(target, 'tally.db'));
  return JSON.parse(fs.readFileSync(meta, 'utf8')) as SeedInfo;
}

/**
 * A PostgreSQL schema holding n seeded records, in the database of baseUrl: reused when a schema of this size,
 * seed version and schema version exists (it is only read, never written, by the query scenario), seeded and
 * ANALYZEd otherwise. Returns its URL (search_path set) and what the queries need to know.
 */
export async function seededPgSchema(baseUrl: string, n: number, log: (s: string) => void): Promise<{ url: string; info: SeedInfo }> {
  const schema = `bench_seed_s${SEED_VERSION}_m${pgSchemaVersion()}_${n}`;
  const url = withSearchPath(baseUrl, schema);
  const existing = await withClient(baseUrl, async (c) => {
    const found = await c.query('SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2', [
      schema,
      'bench_seed_info',
    ]);
    return found.rowCount ? ((await c.query(`SELECT info FROM ${schema}.bench_seed_info`)).rows[0].info as SeedInfo) : null;
  });
  if (existing) return { url, info: existing };
  log(`seeding ${n} records into PostgreSQL schema ${schema} (kept for later runs)`);
  await withClient(baseUrl, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`));
  const info = await seedInto(await openPgStore(url), n, log);
  await withClient(url, async (c) => {
    // What autovacuum does to a table that grew this much (autovacuum_vacuum_insert_threshold): statistics, and
    // a visibility map, without which an index-only scan (counts, deep pages) fetches every heap page anyway.
    await c.query('VACUUM (ANALYZE)');
    await c.query('CREATE TABLE bench_seed_info (info jsonb NOT NULL)');
    await c.query('INSERT INTO bench_seed_info (info) VALUES ($1)', [JSON.stringify(info)]);
  });
  return { url, info };
}
