import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;

/**
 * A runner of `npx tally ...args` as a real process with `env` over this process's environment less its TALLY_
 * variables; resolves with its exit code and output (one that hangs is killed after 60 s).
 */
export function tallyCli(env: Record<string, string>) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TALLY_')));
  return (...args: string[]) =>
    execFileAsync('npx', ['tally', ...args], {
      cwd: ROOT,
      env: { ...base, ...env },
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err) => ({ code: err.code as number, stdout: err.stdout as string, stderr: err.stderr as string }),
    );
}
