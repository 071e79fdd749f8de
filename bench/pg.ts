import pg from 'pg';
import type { CreateInput } from '../src/fields/validate.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { RECORD_COLUMNS } from '../src/store/columns.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { INSERT_RECORDS, insertValues } from '../src/store/postgres/insert.ts';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/migrations.ts';
import { createPostgresStore } from '../src/store/postgres/store.ts';
import { createLogger } from '../src/logger.ts';
import { BENCH_ORG } from './processes.ts';
import { chatRecord } from './record-body.ts';

/** PostgreSQL for the bench: one schema per measurement in the database of TALLY_DATABASE_URL. */

export const pgSchemaVersion = () => Math.max(...POSTGRES_MIGRATIONS.map((m) => m.version));

export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new, empty schema (Tally migrates it on start); dropped by dropSchemas. */
export async function freshSchema(baseUrl: string, name: string, created: string[]): Promise<string> {
  const schema = `bench_${process.pid}_${created.length}_${name.replace(/\W+/g, '_')}`.toLowerCase().slice(0, 60);
  await withClient(baseUrl, (c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema}`));
  created.push(schema);
  return withSearchPath(baseUrl, schema);
}

export async function dropSchemas(baseUrl: string, schemas: string[]): Promise<void> {
  if (schemas.length === 0) return;
  await withClient(baseUrl, async (c) => {
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  });
}

export const openPgStore = (url: string) => createPostgresStore({ url, poolSize: 2, log: createLogger('warn') });

/**
 * The PostgreSQL storage floor: the same rows into the same schema (Tally's migrations, same indexes)
 * through the pg driver directly, with Tally's own one-statement unnest insert, 1000 rows per statement
 * (each its own transaction), every row encoded before the clock starts. Ids and timestamps are new in every
 * batch and timestamps rise, as the store stamps records on arrival (a batch that reused one set of timestamps
 * would insert into the middle of the time indexes instead of at their right edge: a slower, unreal floor).
 */
export async function pgStorageFloor(
  url: string,
  seconds: number,
  bodies?: readonly CreateInput[],
): Promise<{ perSecond: number; rows: number }> {
  await (await openPgStore(url)).close(); // runs the migrations
  const records = Array.from({ length: 1000 }, (_, i) =>
    encodeRecord(deriveRecord(bodies?.[i] ?? (chatRecord(i) as CreateInput), BENCH_ORG)),
  );
  const values = insertValues(records);
  const idColumn = RECORD_COLUMNS.findIndex((c) => c.name === 'id'); // insertValues is in RECORD_COLUMNS order
  const tsColumn = RECORD_COLUMNS.findIndex((c) => c.name === 'ts');
  const tsBase = Date.now() * 1000;
  return withClient(url, async (c) => {
    let n = 0;
    let batch = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      const b = batch++;
      values[idColumn] = records.map((_, i) => `record_floor_${b}_${i}`);
      values[tsColumn] = records.map((_, i) => tsBase + b * records.length + i); // arrival order, as the store stamps records
      await c.query({ ...INSERT_RECORDS, values });
      n += records.length;
    }
    return { perSecond: n / ((performance.now() - started) / 1000), rows: n };
  });
}
