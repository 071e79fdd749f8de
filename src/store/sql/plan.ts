/**
 * A list's plan: the ways to find its page, in the order to try them. Each step either answers with the page's rows
 * or declines (null): it does not apply to this list, or it stopped short of an answer it can vouch for. The last
 * step always answers. Stores build their steps from their own SQL (sqlite/list-read.ts, postgres/list.ts) and run
 * them with runPlan or runPlanAsync, so the order is read in one place and a test can ask which step answered.
 */
export type Rows = Record<string, unknown>[];

export interface PlanStep {
  readonly name: string;
  /** The page's rows, or null to let the next step try. */
  readonly rows: () => Rows | null;
}

export interface AsyncPlanStep {
  readonly name: string;
  readonly rows: () => Promise<Rows | null>;
}

/** The rows of the first step that answers, and its name. */
export function runPlan(steps: readonly PlanStep[]): { rows: Rows; step: string } {
  for (const s of steps) {
    const rows = s.rows();
    if (rows !== null) return { rows, step: s.name };
  }
  throw new Error(`list plan: no step answered (${steps.map((s) => s.name).join(', ')})`);
}

/** runPlan for a store whose statements are awaited. */
export async function runPlanAsync(steps: readonly AsyncPlanStep[]): Promise<{ rows: Rows; step: string }> {
  for (const s of steps) {
    const rows = await s.rows();
    if (rows !== null) return { rows, step: s.name };
  }
  throw new Error(`list plan: no step answered (${steps.map((s) => s.name).join(', ')})`);
}
