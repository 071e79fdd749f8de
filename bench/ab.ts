/**
 * A/B of ingest between checkouts: starts the server of each tree in turn (fresh data directory, same
 * 1.6 KB record, autocannon, 50 connections) for several interleaved rounds and prints the median records/s
 * of each, so a change is judged under the same machine load as its baseline.
 * Usage: npx tsx bench/ab.ts <tree>,<tree>[,...] [sync|async|batch1|batch4|otlp1|otlp4] [rounds=3] [seconds=5]
 * (batchN: 1000-record batches over N connections, records/s; otlpN: the otlp scenario's 512-span protobuf
 * requests to /v1/traces over N connections, spans/s)
 * e.g.   git worktree add /tmp/base HEAD~1 && ln -s $PWD/node_modules /tmp/base/ && npx tsx bench/ab.ts /tmp/base,.
 */
import path from 'node:path';
import { runLoad } from './load.ts';
import { rollingRequest } from './otlp-body.ts';
import { BENCH_KEY } from './processes.ts';
import { chatRecord } from './record-body.ts';
import { startTreeServer } from './tree-server.ts';

const trees = (process.argv[2] ?? '.').split(',').map((t) => path.resolve(t));
const mode = process.argv[3] ?? 'sync';
const rounds = Number(process.argv[4] ?? 3);
const seconds = Number(process.argv[5] ?? 5);
const batch = /^batch(\d+)$/.exec(mode);
const otlp = /^otlp(\d+)$/.exec(mode);
const rolling = otlp ? rollingRequest(512) : null;
const body = batch
  ? JSON.stringify({ records: Array.from({ length: 1000 }, (_, i) => chatRecord(i)) })
  : JSON.stringify(chatRecord(1, { field_21: { option_a: mode !== 'async' } }));
const perRequest = batch ? 1000 : otlp ? 512 : 1;
const results = new Map<string, number[]>(trees.map((t) => [t, []]));

for (let r = 0; r < rounds; r++) {
  for (const tree of trees) {
    const { port, stop } = await startTreeServer(tree);
    try {
      const route = batch ? 'batch' : 'create';
      const load = rolling
        ? {
            url: `http://127.0.0.1:${port}/v1/traces`,
            method: 'POST' as const,
            nextBody: rolling.next,
            contentType: 'application/x-protobuf',
            key: BENCH_KEY,
            connections: Number(otlp![1]),
          }
        : {
            url: `http://127.0.0.1:${port}/api/records/${route}/`,
            method: 'POST' as const,
            body,
            key: BENCH_KEY,
            connections: batch ? Number(batch[1]) : 50,
          };
      await runLoad({ ...load, seconds: 1 });
      const res = await runLoad({ ...load, seconds });
      results.get(tree)!.push(res.perSecond * perRequest);
      console.log(`${tree} ${mode}: ${Math.round(res.perSecond * perRequest)}/s p50 ${res.p50} ms p99 ${res.p99} ms`);
    } finally {
      await stop();
    }
  }
}
for (const [tree, rates] of results)
  console.log(`${tree}: median ${Math.round([...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)])}/s`);
