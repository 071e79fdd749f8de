/**
 * What the analytics rollups cost ingest: the storage floor (bench/storage-floor.ts, 1,000 chat records a durable
 * transaction) with the rollups kept as the store keeps them and without, interleaved over several rounds; prints
 * rows/s and the process's CPU per record (process.cpuUsage, user + system) of each, and the difference.
 * Usage: npx tsx bench/rollup-cost.ts [seconds per measurement, default 4] [rounds, default 3]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storageFloor } from './storage-floor.ts';

const seconds = Number(process.argv[2] ?? 4);
const rounds = Number(process.argv[3] ?? 3);
const cases = [
  ['with rollups', true],
  ['without', false],
] as const;
const results = new Map<string, { rate: number; cpu: number }[]>(cases.map(([name]) => [name, []]));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-rollup-cost-'));
console.log(
  `load average at start: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
try {
  for (let r = 0; r < rounds; r++) {
    for (const [name, rollups] of cases) {
      const dir = path.join(tmp, `${r}-${rollups}`);
      const before = process.cpuUsage();
      const { perSecond, rows } = storageFloor(dir, seconds, { rollups });
      const used = process.cpuUsage(before);
      const cpu = (used.user + used.system) / rows;
      results.get(name)!.push({ rate: perSecond, cpu });
      console.log(`round ${r + 1} ${name}: ${Math.round(perSecond)} rows/s, ${cpu.toFixed(1)} µs CPU/record`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [withR, without] = cases.map(([name]) => results.get(name)!);
const cpuWith = median(withR.map((x) => x.cpu));
const cpuWithout = median(without.map((x) => x.cpu));
console.log(
  `median: with ${Math.round(median(withR.map((x) => x.rate)))} rows/s ${cpuWith.toFixed(1)} µs; without ` +
    `${Math.round(median(without.map((x) => x.rate)))} rows/s ${cpuWithout.toFixed(1)} µs; ` +
    `CPU per record +${((cpuWith / cpuWithout - 1) * 100).toFixed(1)}%`,
);
console.log(
  `load average at end: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
