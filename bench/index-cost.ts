/**
 * What each SQLite index costs the storage floor: the raw insert rate (bench/storage-floor.ts) with the full
 * schema, and with one index (or the record_meta rows) left out at a time, interleaved over several rounds.
 * Also prices the per-value metadata counts, with the bench's records (3-4 keys of 3-5 values each) and with
 * a key whose value differs in every record (a counter row per record).
 * Usage: npx tsx bench/index-cost.ts [seconds per measurement, default 4] [rounds, default 3] [only cases matching this text]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storageFloor, type FloorOptions } from './storage-floor.ts';

const seconds = Number(process.argv[2] ?? 4);
const rounds = Number(process.argv[3] ?? 3);
const only = process.argv[4] ?? '';
const SECONDARY = [
  'records_org_id',
  'records_org_ts_cover',
  'records_org_ts_output',
  'records_org_customer',
  'records_org_custom_id',
  'records_org_trace',
  'records_org_cost',
];
const allCases: [string, FloorOptions][] = [
  ['full schema', {}],
  ...SECONDARY.map((ix): [string, FloorOptions] => [`without ${ix}`, { dropIndexes: [ix] }]),
  ['without meta_value_counts', { metaCounts: false }],
  ['without record_meta rows (nor their counts)', { metadata: false }],
  ['primary key only, no record_meta', { dropIndexes: SECONDARY, metadata: false }],
  ['full schema, plus a metadata key unique per record', { uniqueMetaValues: true }],
  [
    'customer index without id, (org_id, field_10) as before migration 8',
    { dropIndexes: ['records_org_customer'], addIndexes: ['CREATE INDEX records_org_customer ON records(org_id, field_10)'] },
  ],
  ['the same without meta_value_counts', { uniqueMetaValues: true, metaCounts: false }],
];
const cases = allCases.filter(([name]) => name === 'full schema' || name.includes(only));
const rates = new Map<string, number[]>(cases.map(([name]) => [name, []]));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-index-cost-'));
try {
  for (let r = 0; r < rounds; r++) {
    for (const [name, opts] of cases) {
      const dir = path.join(tmp, `${r}-${rates.get(name)!.length}-${name.replace(/\W+/g, '_')}`);
      rates.get(name)!.push(storageFloor(dir, seconds, opts).perSecond);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const full = median(rates.get('full schema')!);
console.log('| schema | rows/s (median) | vs full schema |\n|---|---:|---:|');
for (const [name] of cases) {
  const m = median(rates.get(name)!);
  console.log(`| ${name} | ${Math.round(m).toLocaleString('en-US')} | ${(m / full).toFixed(2)}× |`);
}
