import type { CreateInput } from '../src/fields/validate.ts';
import { deriveRecord } from '../src/records/derive.ts';
import { RECORD_COLUMNS } from '../src/store/columns.ts';
import { encodeRecord } from '../src/store/encoded-record.ts';
import { INSERT_RECORDS, insertValues } from '../src/store/postgres/insert.ts';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/migrations.ts';
import { dropSchemas, freshSchema, withClient } from './pg.ts';
import { BENCH_ORG } from './processes.ts';
import { chatRecord } from './record-body.ts';

/**
 * `TALLY_DATABASE_URL=... npx tsx bench/pg-sketch-ingest.ts [seconds] [rounds] [versions]`: what PostgreSQL's rollup
 * triggers cost the storage floor at two schema versions (default 15,16: migration 12's jsonb sketches and 16's
 * int4[] pairs; 16,17: without and with the hourly customer table), interleaved: 1,000 chat records a statement into
 * a schema of each, as pgStorageFloor inserts them.
 */
const base = process.env.TALLY_DATABASE_URL;
if (!base) throw new Error('TALLY_DATABASE_URL is required');
const seconds = Number(process.argv[2] ?? 4);
const rounds = Number(process.argv[3] ?? 3);
const versions = (process.argv[4] ?? '15,16').split(',').map(Number);
const created: string[] = [];

async function schemaAt(version: number): Promise<string> {
  const url = await freshSchema(base!, `sketch_${version}`, created);
  await withClient(url, async (c) => {
    await c.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)');
    for (const m of POSTGRES_MIGRATIONS.filter((m) => m.version <= version)) {
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
    }
    await c.query('INSERT INTO orgs (id, created_at) VALUES ($1, $2)', [BENCH_ORG, Date.now()]);
  });
  return url;
}

const records = Array.from({ length: 1000 }, (_, i) => encodeRecord(deriveRecord(chatRecord(i) as CreateInput, BENCH_ORG)));
const values = insertValues(records);
const idColumn = RECORD_COLUMNS.findIndex((c) => c.name === 'id');
const tsColumn = RECORD_COLUMNS.findIndex((c) => c.name === 'ts');
let batch = 0;

async function floor(url: string): Promise<number> {
  return withClient(url, async (c) => {
    let n = 0;
    const started = performance.now();
    while (performance.now() - started < seconds * 1000) {
      const b = batch++;
      values[idColumn] = records.map((_, i) => `record_floor_${b}_${i}`);
      values[tsColumn] = records.map((_, i) => Date.now() * 1000 + i);
      await c.query({ ...INSERT_RECORDS, values });
      n += records.length;
    }
    return n / ((performance.now() - started) / 1000);
  });
}

try {
  const urls = new Map<number, string>();
  for (const v of versions) urls.set(v, await schemaAt(v));
  const rates = new Map<number, number[]>(versions.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++)
    for (const v of versions) {
      rates.get(v)!.push(await floor(urls.get(v)!));
      console.log(`migration ${v}: ${Math.round(rates.get(v)!.at(-1)!)}/s`);
    }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`median: ${versions.map((v) => `migration ${v} ${Math.round(median(rates.get(v)!))}/s`).join(', ')}`);
} finally {
  await dropSchemas(base, created);
}
