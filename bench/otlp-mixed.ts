/**
 * What an OTLP load costs the creates beside it: the otlp scenario's 512-span protobuf requests over N connections
 * and durable single creates over 2 connections at once, against each tree's server in turn (fresh data directory),
 * for several interleaved rounds. Prints each load's rate and latency. On SQLite an OTLP request's transaction holds
 * the writer while its spans are read (docs/otlp.md), so a create may wait behind it.
 * Usage: npx tsx bench/otlp-mixed.ts <tree>,<tree>[,...] [otlp connections=1] [rounds=2] [seconds=6]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad } from './load.ts';
import { rollingRequest } from './otlp-body.ts';
import { BENCH_KEY, freePort } from './processes.ts';
import { chatRecord } from './record-body.ts';

const trees = (process.argv[2] ?? '.').split(',').map((t) => path.resolve(t));
const otlpConnections = Number(process.argv[3] ?? 1);
const rounds = Number(process.argv[4] ?? 2);
const seconds = Number(process.argv[5] ?? 6);
const rolling = rollingRequest(512);
const create = JSON.stringify(chatRecord(1));

for (let r = 0; r < rounds; r++) {
  for (const tree of trees) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-mixed-'));
    const port = await freePort();
    const env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      TALLY_DATA_DIR: dir,
      TALLY_INIT_ORG_ID: 'org_ab',
      TALLY_INIT_API_KEY: BENCH_KEY,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: tree, env, stdio: 'ignore' });
    try {
      for (let tries = 0; ; tries++) {
        try {
          if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
        } catch {
          if (tries > 600) throw new Error(`${tree} did not start`);
        }
        await new Promise((s) => setTimeout(s, 100));
      }
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
      child.kill('SIGTERM');
      await new Promise((s) => child.once('exit', s));
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
