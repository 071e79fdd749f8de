/**
 * Which stores the contract tests run against. SQLite always; PostgreSQL arrives with its store
 * (issue 3), switched on here in one place.
 */
export type StoreKind = 'sqlite' | 'postgres';

export const STORE_KINDS: StoreKind[] = ['sqlite'];

export async function storeEnv(kind: StoreKind): Promise<Record<string, string>> {
  if (kind === 'sqlite') return {};
  throw new Error(`store ${kind} is not available in tests yet`);
}
