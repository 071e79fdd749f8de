/**
 * What an OTLP load costs the creates beside it: the otlp scenario's 512-span protobuf requests over N connections
 * and durable single creates over 2 connections at once, against each tree's server in turn (fresh data directory),
 * for several interleaved rounds. Prints each load's rate and latency. On SQLite an OTLP request's transaction holds
 * the writer while its spans are read (docs/otlp.md), so a create may wait behind it.
 * Usage: npx tsx bench/otlp-mixed.ts <tree>,<tree>[,...] [otlp connections=1] [rounds=2] [seconds=6]
 */
import path from 'node:path';
import { runLoad } from './load.ts';
import { rollingRequest } from './otlp-body.ts';
import { BENCH_KEY } from './processes.ts';
import { chatRecord } from './record-body.ts';
import { startTreeServer } from './tree-server.ts';

const trees = (process.argv[2] ?? '.').split(',').map((t) => path.resolve(t));
const otlpConnections = Number(process.argv[3] ?? 1);
const rounds = Number(process.argv[4] ?? 2);
const seconds = Number(process.argv[5] ?? 6);
const rolling = rollingRequest(512);
const create = JSON.stringify(chatRecord(1));

for (let r = 0; r < rounds; r++) {
  for (const tree of trees) {
    const { port, stop } = await startTreeServer(tree);
    try {
      const otlp = {
        url: `http://127.0.0.1:${port}/v1/traces`,
        method: 'POST' as const,
        nextBody: rolling.next,
        contentType: 'application/x-protobuf',
        key: BENCH_KEY,
        connections: otlpConnections,
      };
      const creates = {
        url: `http://127.0.0.1:${port}/api/records/create/`,
        method: 'POST' as const,
        body: create,
        key: BENCH_KEY,
        connections: 2,
      };
      await Promise.all([runLoad({ ...otlp, seconds: 1 }), runLoad({ ...creates, seconds: 1 })]);
      const [o, c] = await Promise.all([runLoad({ ...otlp, seconds }), runLoad({ ...creates, seconds })]);
      console.log(
        `${tree}: otlp ${Math.round(o.perSecond * 512)} spans/s p50 ${o.p50} p99 ${o.p99} ms; creates ${Math.round(c.perSecond)}/s p50 ${c.p50} p99 ${c.p99} max ${c.max} ms`,
      );
    } finally {
      await stop();
    }
  }
}
