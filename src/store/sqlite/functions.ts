import type Database from 'better-sqlite3';
import { containsText } from './find-text.ts';
import { jsonAt, pgFloatText, pgJsonText, pgTimestampText, simpleUpper } from './pg-text.ts';

/** Thrown by the SQL functions once the read running on their connection has spent its time budget. */
export class BudgetSpent extends Error {
  constructor() {
    super('the read ran out of its time budget');
  }
}

/**
 * The deadline of the read a connection is running. better-sqlite3 cannot interrupt a statement, but a function
 * that throws ends it: every function below checks the deadline first, and the dialect's row check
 * (dialect.ts ROW_CHECK) calls tally_budget every 16th row of a scan. A connection that never sets a deadline
 * (the main one, the writer's) never throws.
 */
export interface ReadDeadline {
  /** Epoch milliseconds after which the functions throw BudgetSpent; Infinity between reads. */
  at: number;
}

/** Throws BudgetSpent once the deadline has passed: also called before each statement of a read. */
export function checkDeadline(deadline: ReadDeadline): void {
  if (Date.now() > deadline.at) throw new BudgetSpent();
}

/**
 * Registers the functions the filters use, on any connection that runs Tally's SQL: Unicode upper-casing and
 * PostgreSQL's float, timestamp and JSON text forms (so that SQLite's answers equal PostgreSQL's), the linear-time
 * contains and icontains of long needles, and tally_budget.
 */
export function registerFunctions(db: Database.Database, deadline: ReadDeadline = { at: Infinity }): void {
  const check = () => checkDeadline(deadline);
  const nullable =
    <T>(fn: (v: T) => string | null) =>
    (v: T | null) => {
      check();
      return v === null ? null : fn(v);
    };
  db.function(
    'tally_upper',
    { deterministic: true },
    nullable((s: string) => simpleUpper(String(s))),
  );
  db.function(
    'tally_float_text',
    { deterministic: true },
    nullable((x: number) => pgFloatText(Number(x))),
  );
  db.function(
    'tally_ts_text',
    { deterministic: true, safeIntegers: false },
    nullable((us: number) => pgTimestampText(Number(us))),
  );
  db.function(
    'tally_json_text',
    { deterministic: true },
    nullable((json: string) => pgJsonText(JSON.parse(json))),
  );
  db.function('tally_json_at', { deterministic: true }, (json: string | null, path: string) => {
    check();
    const node = json === null ? undefined : jsonAt(JSON.parse(json), JSON.parse(path) as string[]);
    return node === undefined ? null : JSON.stringify(node);
  });
  // SQLite has no boolean: 1 and 0.
  db.function('tally_contains', { deterministic: true }, (text: string | null, needle: string) => {
    check();
    return text === null ? null : Number(containsText(String(text), needle));
  });
  db.function('tally_icontains', { deterministic: true }, (text: string | null, upperNeedle: string) => {
    check();
    return text === null ? null : Number(containsText(simpleUpper(String(text)), upperNeedle));
  });
  // Not deterministic: SQLite would call a deterministic function without arguments once per statement.
  db.function('tally_budget', { deterministic: false }, () => {
    check();
    return 1;
  });
}
