import type pg from 'pg';
import { IDEMPOTENCY_CONFLICT, IDEMPOTENCY_TTL_MS, type IdempotencyRow } from '../encoded-record.ts';

const CLAIM = {
  name: 'tally_claim_idempotency_key',
  text: `INSERT INTO idempotency_keys (org_id, key, fingerprint, status, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status, response = excluded.response, created_at = excluded.created_at
         WHERE idempotency_keys.created_at < excluded.created_at - ${IDEMPOTENCY_TTL_MS}`,
};

/**
 * Claims the key inside the insert's transaction (an expired row is taken over). An unexpired row holding this very
 * outcome is a retry of a commit whose reply was lost, and is left as it is; any other holder fails the insert.
 */
export async function claimIdempotencyKey(client: pg.PoolClient, k: IdempotencyRow): Promise<void> {
  const claimed = await client.query({ ...CLAIM, values: [k.org_id, k.key, k.fingerprint, k.status, k.response, k.created_at] });
  if (claimed.rowCount === 1) return;
  const held = await client.query('SELECT response FROM idempotency_keys WHERE org_id = $1 AND key = $2', [k.org_id, k.key]);
  if (held.rows[0]?.response === k.response) return;
  throw Object.assign(new Error(`Idempotency-Key "${k.key}" is held by another request`), { code: IDEMPOTENCY_CONFLICT });
}

/** Runs fn between BEGIN and COMMIT on one pooled connection, rolling back (and dropping the connection) when it fails. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined; // a connection that cannot even roll back is dropped, not given back
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: Error) => (broken = e));
    throw err;
  } finally {
    client.release(broken);
  }
}
