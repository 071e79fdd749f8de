/** What one `npm run bench` run does, from CLI flags (and BENCH_* env for CI-style use). */
export interface BenchOptions {
  quick: boolean;
  scenarios: Set<string>;
  /** Records seeded for the query scenario. */
  queryRecords: number;
  /** Records seeded for the analytics scenario (--analytics-records, e.g. 10000000). */
  analyticsRecords: number;
  /** Table sizes for the growth scenario. */
  growthSizes: number[];
  /** Seconds of load per ingest measurement. */
  seconds: number;
  connections: number;
  /** Requests per query in the query scenario. */
  queryRequests: number;
  /** Set to run against PostgreSQL instead of SQLite (not built yet: the store decides). */
  databaseUrl: string | null;
}

export const ALL_SCENARIOS = ['ingest', 'batch', 'otlp', 'query', 'growth', 'analytics', 'export', 'retention'] as const;

const HELP = `npm run bench -- [--quick] [--scenarios=ingest,batch,otlp,query,growth,analytics,export,retention] [--records=N]
                 [--growth=10000,100000] [--seconds=S] [--connections=C] [--query-requests=N] [--analytics-records=N]
  default: everything, 1,000,000 records for queries and export, growth at 10k/100k/1M, 10 s loads, 50 connections
  --quick: 100,000 records, growth at 10k/100k, 3 s loads
  analytics: 1,000,000 small records over 30 days (--analytics-records=10000000 for 10M)
  env: BENCH_QUICK=1, BENCH_SCENARIOS=..., TALLY_DATABASE_URL=postgres://... runs on PostgreSQL: one fresh schema per
       measurement in that database (dropped after), the seeded query table kept as schema bench_seed_*,
       growth skipped; results in bench/results/latest-postgres.json`;

export function parseBenchArgs(argv: string[], env: Record<string, string | undefined>): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${HELP}\n`);
      process.exit(0);
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}\n${HELP}`);
    flags.set(m[1], m[2] ?? 'true');
  }
  const quick = flags.has('quick') || env.BENCH_QUICK === '1';
  const num = (name: string, fallback: number) => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const list = flags.get('scenarios') ?? env.BENCH_SCENARIOS;
  const scenarios = new Set(list ? list.split(',').map((s) => s.trim()) : ALL_SCENARIOS);
  for (const s of scenarios)
    if (!(ALL_SCENARIOS as readonly string[]).includes(s))
      throw new Error(`unknown scenario ${s}; choose from ${ALL_SCENARIOS.join(', ')}`);
  const growth = flags.get('growth');
  return {
    quick,
    scenarios,
    queryRecords: num('records', quick ? 100_000 : 1_000_000),
    analyticsRecords: num('analytics-records', quick ? 100_000 : 1_000_000),
    growthSizes: growth ? growth.split(',').map(Number) : quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000],
    seconds: num('seconds', quick ? 3 : 10),
    connections: num('connections', 50),
    queryRequests: num('query-requests', quick ? 100 : 200),
    databaseUrl: env.TALLY_DATABASE_URL || null,
  };
}
