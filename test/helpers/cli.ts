import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
/** The file `npx tally` runs (package.json "bin"); test/bootstrap.test.ts runs it through npx itself. */
const BIN = new URL('../../bin/tally.js', import.meta.url).pathname;

/**
 * A runner of the `tally` command (`node bin/tally.js ...args`, what `npx tally` runs, without npx's ~2 s start) as
 * a real process with `env` over this process's environment less its TALLY_ variables; resolves with its exit code
 * and output (one that hangs is killed after 60 s).
 */
export function tallyCli(env: Record<string, string | undefined>, inherit = true) {
  const base = inherit ? Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TALLY_'))) : {};
  return (...args: string[]) =>
    execFileAsync(process.execPath, [BIN, ...args], {
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
