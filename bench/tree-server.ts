import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_KEY, freePort } from './processes.ts';

/**
 * The server of one checkout (`tree`) for an A/B between trees (ab.ts, otlp-mixed.ts): its src/server.ts through
 * tsx on a free port, with a fresh data directory and the bench key of org_ab; resolves once /healthz answers (60 s
 * at most). `stop` ends it and removes the directory. TALLY_BENCH_SERVER_FLAGS: node flags for the server, e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof" (a profile per thread, written when it stops).
 */
export async function startTreeServer(tree: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-ab-'));
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    TALLY_DATA_DIR: dir,
    TALLY_INIT_ORG_ID: 'org_ab',
    TALLY_INIT_API_KEY: BENCH_KEY,
  };
  const child = spawn(
    process.execPath,
    [...(process.env.TALLY_BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean), '--import', 'tsx', 'src/server.ts'],
    { cwd: tree, env, stdio: 'ignore' },
  );
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((s) => child.once('exit', s));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let tries = 0; ; tries++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
      } catch {
        if (tries > 600) throw new Error(`${tree} did not start`);
      }
      await new Promise((s) => setTimeout(s, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, stop };
}
