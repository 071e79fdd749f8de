import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BENCH_KEY, BENCH_ORG, freePort } from './processes.ts';
import { benchQueries, withAndWithoutCount } from './queries.ts';
import { seededDataDir } from './seed.ts';
import { sequentialLoad } from './sequential.ts';

/**
 * `npx tsx bench/ab-queries.ts <checkout A> [--records=N] [--rounds=R] [--per=P] [--only=text]`: the query
 * scenario's queries against two servers at once, checkout A (e.g. a worktree of main, with node_modules) and
 * this one (B), each on its own copy of the same seeded table, in alternating rounds of P sequential requests.
 * On a shared machine, load moves absolute numbers by 2x within minutes; alternating rounds expose both servers
 * to the same load, so their ratio holds. Prints the median of the rounds' p50s. count=false variants run on B
 * only (A may not know the parameter).
 */
const args = new Map(process.argv.slice(3).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const checkoutA = process.argv[2];
if (!checkoutA || !fs.existsSync(path.join(checkoutA, 'src/server.ts')))
  throw new Error('usage: npx tsx bench/ab-queries.ts <checkout A> [--records=N] [--rounds=R] [--per=P] [--only=text]');
const records = Number(args.get('records') ?? 1_000_000);
const rounds = Number(args.get('rounds') ?? 5);
const per = Number(args.get('per') ?? 20);
const only = args.get('only');

async function serve(root: string, dataDir: string) {
  const port = await freePort();
  const env = {
    ...process.env,
    TALLY_DATA_DIR: dataDir,
    TALLY_INIT_ORG_ID: BENCH_ORG,
    TALLY_INIT_API_KEY: BENCH_KEY,
    HOST: '127.0.0.1',
    PORT: String(port),
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: root, env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null || i > 600) throw new Error(`server in ${root} did not start`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM')) };
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-ab-'));
const log = (s: string) => process.stderr.write(`${s}\n`);
const info = await seededDataDir(records, path.join(scratch, 'a'), log);
await seededDataDir(records, path.join(scratch, 'b'), log);
const servers = {
  A: await serve(checkoutA, path.join(scratch, 'a')),
  B: await serve(new URL('..', import.meta.url).pathname, path.join(scratch, 'b')),
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const queries = [{ name: 'floor: GET /healthz', path: () => '/healthz' }, ...withAndWithoutCount(benchQueries(info))];
  for (const q of queries.filter((q) => !only || q.name.includes(only))) {
    const which = q.name.includes('count=false') ? (['B'] as const) : (['A', 'B'] as const);
    const p50s: Record<string, number[]> = { A: [], B: [] };
    for (let r = 0; r < rounds; r++) {
      for (const k of which) p50s[k].push((await sequentialLoad(servers[k].url, q.path, per, 60)).p50);
    }
    const show = (k: 'A' | 'B') =>
      p50s[k].length ? `${k} ${median(p50s[k]).toFixed(1)} ms (${p50s[k].map((x) => x.toFixed(1)).join('/')})` : `${k} -`;
    process.stdout.write(`${q.name.padEnd(56)} ${show('A')} | ${show('B')}\n`);
  }
} finally {
  await Promise.all([servers.A.stop(), servers.B.stop()]);
  fs.rmSync(scratch, { recursive: true, force: true });
}
