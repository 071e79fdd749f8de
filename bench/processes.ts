import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

const ROOT = new URL('..', import.meta.url).pathname;
const HOST = '127.0.0.1';

/** A child process serving HTTP on loopback, with its memory watched from /proc. */
export interface ServedProcess {
  pid: number;
  url: string;
  /** Peak resident memory in MB: the largest VmRSS sample and the kernel's VmHWM, whichever is larger. */
  peakRssMb(): number;
  /** Resets the sampled peak (VmHWM cannot be reset, so it is read only at stop). */
  resetPeak(): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function waitReady(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}): ${stderr()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`process did not start within 60 s: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts an entry point (relative to the repo root: TypeScript through tsx, or compiled JavaScript as is) with
 * PORT set, and waits for /healthz.
 */
export async function startProcess(
  entry: string,
  env: Record<string, string>,
  onStdout?: (text: string) => void,
  nodeArgs: readonly string[] = [],
): Promise<ServedProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, ...(entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry])], {
    cwd: ROOT,
    env: { ...process.env, ...env, HOST, PORT: String(port) },
    stdio: ['ignore', onStdout ? 'pipe' : 'ignore', 'pipe'], // the JSON logs are discarded unless asked for
  });
  if (onStdout) child.stdout!.on('data', (d) => onStdout(String(d)));
  let err = '';
  child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
  const url = `http://${HOST}:${port}`;
  await waitReady(url, child, () => err);
  const pid = child.pid!;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, statusKb(pid, 'VmRSS'))), 100);
  return {
    pid,
    url,
    peakRssMb: () => Math.max(peak, statusKb(pid, 'VmRSS')) / 1024,
    resetPeak: () => (peak = 0),
    async stop() {
      clearInterval(sampler);
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Peak RSS over the process's life (VmHWM), read while it still runs. */
export function lifetimePeakMb(pid: number): number {
  return statusKb(pid, 'VmHWM') / 1024;
}

export const BENCH_KEY = 'bench-key-0123456789abcdef';
export const BENCH_ORG = 'org_big';

let built = false;

/** The real Tally server as `npm start` runs it (compiled to dist/ once per bench run), on a data directory, with the bench org's key. */
export function startTally(
  dataDir: string,
  databaseUrl: string | null,
  env: Record<string, string> = {},
  onStdout?: (text: string) => void,
  nodeArgs: readonly string[] = [],
): Promise<ServedProcess> {
  const store: Record<string, string> = databaseUrl ? { TALLY_DATABASE_URL: databaseUrl } : {};
  if (!built) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
  return startProcess(
    'dist/server.js',
    { TALLY_DATA_DIR: dataDir, TALLY_INIT_ORG_ID: BENCH_ORG, TALLY_INIT_API_KEY: BENCH_KEY, ...store, ...env },
    onStdout,
    nodeArgs,
  );
}
