import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchOptions } from './args.ts';

/** What every scenario gets: the options, a scratch directory per use, and a logger to stderr. */
export interface BenchContext {
  opts: BenchOptions;
  scratch(name: string): string;
  log(line: string): void;
  cleanup(): void;
}

export function createContext(opts: BenchOptions): BenchContext {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-bench-'));
  let n = 0;
  return {
    opts,
    scratch: (name) => path.join(root, `${++n}-${name}`),
    log: (line) => process.stderr.write(`${line}\n`),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
