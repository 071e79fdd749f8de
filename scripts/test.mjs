// `npm test`'s runner: every file in test/ as a process of its own (own temporary files and database), two at a
// time so that CI's two cores stay busy while a file waits on fsyncs, PostgreSQL, a browser or a timer; then the
// files whose subject is time under load (read budgets, overload) one at a time, alone on the machine, since a
// neighbour's load can push their waits past the bounds they check (docs/testing.md).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const ALONE = ['test/read-budget.test.ts', 'test/overload-flood.test.ts'];
const all = fs
  .readdirSync('test')
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => `test/${f}`);

/** Runs the files with node's test runner; its exit status (1 when it could not run). */
function run(concurrency, files) {
  if (files.length === 0) return 0;
  const args = ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=1200000', ...files];
  return spawnSync(process.execPath, args, { stdio: 'inherit' }).status ?? 1;
}

const together = run(
  2,
  all.filter((f) => !ALONE.includes(f)),
);
const alone = run(
  1,
  ALONE.filter((f) => all.includes(f)),
);
process.exit(together || alone);
