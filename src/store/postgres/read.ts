import pg from 'pg';
import { queryTimeout } from '../read-budget.ts';
import { isStatementTimeout } from './errors.ts';

/** A read's statements: SQL, its parameters, and a name to prepare it under (the hot, fixed ones). */
export type ReadRows = (text: string, values: unknown[], name?: string) => Promise<Record<string, unknown>[]>;

/**
 * A statement whose rows are handed to `row` one at a time as they arrive, each an array of its values in the
 * SELECT's order (pg's rowMode 'array'), and never gathered: each row's objects die young (an export's page,
 * postgres/list.ts). Resolves with the number of rows; a `row` that throws fails the statement once it has ended.
 */
export type EachRow = (text: string, values: unknown[], row: (values: unknown[]) => void) => Promise<number>;

/**
 * Below this difference between a connection's statement_timeout and what is left of a read's budget, the setting
 * is left as it is: a fresh read's first statement needs no extra round trip.
 */
const SLACK_MS = 50;

/**
 * How long past its budget a read may go on before its connection is closed under it. PostgreSQL honours the
 * statement timeout where it checks for cancellation: between records, and inside most functions; a function that
 * never checks (strpos of a needle too long for a regular expression, dialect.ts) finishes the record it is on first.
 */
const STOP_GRACE_MS = 500;

/**
 * Runs one list or summary on one connection of the read pool: its statements one after another, each under
 * statement_timeout = what is left of the budget, so that PostgreSQL itself stops the read when the budget is
 * spent and the connection is free again. A statement cancelled by that timeout (57014) answers query_timeout, as
 * does a statement the budget has run out before. A read still running STOP_GRACE_MS past its budget is answered
 * query_timeout and its connection closed (the pool opens another when it needs one).
 */
export function createReadRunner(pool: pg.Pool, budgetMs: number): <T>(work: (rows: ReadRows, each: EachRow) => Promise<T>) => Promise<T> {
  /** Each connection's statement_timeout, where a read has changed it from the pool's (the budget). */
  const timeouts = new WeakMap<pg.PoolClient, number>();
  return async (work) => {
    const deadline = Date.now() + budgetMs;
    const client = await pool.connect();
    const ignore = () => {}; // a connection lost while checked out also fails its query, which reports it
    client.on('error', ignore);
    const budgeted = async <R>(statement: () => Promise<R>): Promise<R> => {
      const left = Math.ceil(deadline - Date.now());
      if (left <= 0) throw queryTimeout(budgetMs);
      if (Math.abs((timeouts.get(client) ?? budgetMs) - left) > SLACK_MS) {
        await client.query(`SET statement_timeout = ${left}`);
        timeouts.set(client, left);
      }
      try {
        return await statement();
      } catch (err) {
        throw isStatementTimeout(err) ? queryTimeout(budgetMs) : err;
      }
    };
    const rows: ReadRows = (text, values, name) =>
      budgeted(async () => (await client.query({ name, text, values })).rows as Record<string, unknown>[]);
    const each: EachRow = (text, values, row) => budgeted(() => eachRow(client, text, values, row));
    let stuck = false;
    let done = () => {};
    const hard = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => {
        stuck = true;
        reject(queryTimeout(budgetMs));
      }, budgetMs + STOP_GRACE_MS);
      timer.unref();
      done = () => clearTimeout(timer);
    });
    const running = work(rows, each);
    try {
      return await Promise.race([running, hard]);
    } finally {
      done();
      client.off('error', ignore);
      // A connection still busy with the read is closed, which fails the read's statement (nobody waits for it).
      if (stuck) running.catch(() => {});
      client.release(stuck ? new Error('closed: the read ran past its budget') : undefined);
    }
  };
}

function eachRow(client: pg.PoolClient, text: string, values: unknown[], row: (values: unknown[]) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    // rowMode is what pg's Query takes, missing from its QueryConfig type.
    const query = new pg.Query({ text, values, rowMode: 'array' } as pg.QueryConfig<unknown[]>);
    let n = 0;
    let failed: unknown = null;
    query.on('row', (values: unknown[]) => {
      // A query with a callback also gathers its rows (pg's _accumulateRows, decided before the first row): not these.
      (query as unknown as { _accumulateRows: boolean })._accumulateRows = false;
      if (failed !== null) return;
      n++;
      try {
        row(values);
      } catch (err) {
        failed = err;
      }
    });
    const settle = (err: unknown) => (err ? reject(err) : failed === null ? resolve(n) : reject(failed));
    client.query(query);
    // With the pool's query_timeout, pg gives the query a callback of its own, and a query with a callback reports
    // its end and its errors there only, never as events: a failed statement (a lost connection, the read budget's
    // statement_timeout) would otherwise leave the page waiting. Without one, the events say it.
    const given = (query as unknown as { callback?: (err: unknown, res: unknown) => void }).callback;
    if (given) {
      (query as unknown as { callback: (err: unknown, res: unknown) => void }).callback = (err, res) => {
        given(err, res);
        settle(err);
      };
    } else {
      query.on('error', reject);
      query.on('end', () => settle(null));
    }
  });
}
