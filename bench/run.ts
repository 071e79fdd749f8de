import { ALL_SCENARIOS, parseBenchArgs } from './args.ts';
import { createContext } from './context.ts';
import { machineInfo } from './machine.ts';
import { markdownTable, writeResults, type ResultRow } from './report.ts';
import { analyticsScenario } from './scenarios/analytics.ts';
import { batchScenario } from './scenarios/batch.ts';
import { exportScenario } from './scenarios/export.ts';
import { growthScenario } from './scenarios/growth.ts';
import { ingestScenario } from './scenarios/ingest.ts';
import { otlpScenario } from './scenarios/otlp.ts';
import { queryScenario } from './scenarios/query.ts';
import { retentionScenario } from './scenarios/retention.ts';
import { benchTarget } from './target.ts';

/** `npm run bench`: runs the chosen scenarios against the real server over loopback, prints and saves the table. */
async function main(): Promise<void> {
  const opts = parseBenchArgs(process.argv.slice(2), process.env);
  const ctx = createContext(opts);
  const target = benchTarget(ctx);
  const machine = machineInfo();
  ctx.log(`machine: ${JSON.stringify(machine)}`);
  const started = new Date().toISOString();
  const rows: ResultRow[] = [];
  const extra: Record<string, unknown> = {};
  try {
    if (opts.scenarios.has('ingest')) {
      const r = await ingestScenario(ctx, target);
      rows.push(...r.rows);
      extra.groupCommit = r.groupCommit;
    }
    if (opts.scenarios.has('batch')) rows.push(...(await batchScenario(ctx, target)));
    if (opts.scenarios.has('otlp')) rows.push(...(await otlpScenario(ctx, target)));
    if (opts.scenarios.has('query')) rows.push(...(await queryScenario(ctx, target)));
    if (opts.scenarios.has('growth')) rows.push(...(await growthScenario(ctx, target)));
    if (opts.scenarios.has('analytics')) rows.push(...(await analyticsScenario(ctx)));
    if (opts.scenarios.has('export')) rows.push(...(await exportScenario(ctx, target)));
    if (opts.scenarios.has('retention')) rows.push(...(await retentionScenario(ctx, target)));
  } finally {
    ctx.cleanup();
    await target.cleanup();
  }
  const table = markdownTable(rows);
  process.stdout.write(`${table}\n`);
  const file = writeResults(
    {
      started,
      finished: new Date().toISOString(),
      engine: target.engine,
      options: { ...opts, scenarios: [...opts.scenarios] },
      machine,
      ...extra,
      rows,
      table,
    },
    ALL_SCENARIOS.every((s) => opts.scenarios.has(s)),
  );
  ctx.log(`results: ${file}`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
