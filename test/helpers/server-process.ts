import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { within } from './http.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAX_LOG_LINES = 20_000;

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  /** stdout lines (pino JSON), the latest MAX_LOG_LINES. */
  logs: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process printed so far: stdout lines (the latest MAX_LOG_LINES), then stderr. */
  output(): string;
  /** Resident memory of the server process, in KiB (/proc/<pid>/status VmRSS). */
  rssKiB(): number;
  /**
   * Sends the signal and waits for the exit, at most timeoutMs (default 60 s, past the server's own 30 s bound on
   * its shutdown): a process still running then is SIGKILLed, and stop() rejects naming the signal it ignored.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The exit, once the process has been signalled; SIGKILLs it and rejects if it is still running after timeoutMs (default 60 s). */
  exit(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Every server started and not yet exited: the file's last hook kills them, so no failed test leaves one running. */
const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

let built = false;

/** Compiles src/ to dist/ (scripts/build.mjs) once per test process, as `npm start` does before it runs. */
function buildOnce(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

/**
 * Starts the real server as `npm start` runs it (`node dist/server.js`, compiled first) on a free port of 127.0.0.1 and waits for its
 * "tally listening" log line, which carries the bound port (an info line: keep TALLY_LOG_LEVEL at info or
 * below). The environment is the test's, less any TALLY_*,
 * HOST or PORT, plus `env`. `args` runs another entry point instead (the CLI: `bin/tally.js serve`).
 */
export async function startServer(env: Record<string, string>, timeoutMs = 60_000, args = ['dist/server.js']): Promise<ServerProcess> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TALLY_') && k !== 'HOST' && k !== 'PORT'));
  buildOnce();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...base, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let stderr = '';
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const exit = async (timeoutMs = 60_000, what = 'the server') => {
    try {
      return await within(exited, timeoutMs, `${what} to exit`);
    } catch (err) {
      child.kill('SIGKILL');
      await exited;
      throw err;
    }
  };
  let partial = '';
  let onLine: (line: string) => void = () => {};
  child.stdout!.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      logs.push(line);
      onLine(line);
    }
    if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-10_000);
  });

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    onLine = (line) => {
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'tally listening' && typeof entry.port === 'number') {
          clearTimeout(timer);
          resolve(entry.port);
        }
      } catch {
        /* not a log line */
      }
    };
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited during start (code ${code}, signal ${signal}); stderr: ${stderr}`));
    });
  });
  onLine = () => {};

  return {
    child,
    pid: child.pid!,
    port,
    logs,
    exited,
    output: () => `${logs.join('\n')}\n${stderr}`,
    rssKiB() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      return m ? Number(m[1]) : 0;
    },
    async stop(signal = 'SIGTERM', timeoutMs = 60_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit(timeoutMs, `the server, sent ${signal},`);
    },
    exit: (timeoutMs) => exit(timeoutMs),
  };
}
