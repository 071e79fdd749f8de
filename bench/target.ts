import type { CreateInput } from '../src/fields/validate.ts';
import type { BenchContext } from './context.ts';
import { dropSchemas, freshSchema, pgStorageFloor } from './pg.ts';
import { seededDataDir, seededPgSchema, type SeedInfo } from './seed.ts';
import { storageFloor } from './storage-floor.ts';

/** Where a measured server keeps its records: a data directory (SQLite) or a database URL (PostgreSQL). */
export interface StoreLocation {
  dataDir: string;
  databaseUrl: string | null;
}

/** The engine under test: fresh and seeded stores for the scenarios, and its storage floor. */
export interface BenchTarget {
  engine: 'sqlite' | 'postgres';
  fresh(name: string): Promise<StoreLocation>;
  /** A store holding n seeded records that the caller may write to. */
  seeded(n: number, name: string): Promise<StoreLocation & { info: SeedInfo }>;
  /** Whether seeded() stores may be written to (PostgreSQL's are shared between runs: read-only). */
  seededWritable: boolean;
  /** The storage floor for chatRecord's rows, or for the given create bodies (1000). */
  storageFloor(seconds: number, bodies?: readonly CreateInput[]): Promise<{ perSecond: number; label: string }>;
  /** The same floor, checkpointing as the store does (SQLite); null where that is the floor already. */
  storageFloorAsStored(seconds: number): Promise<{ perSecond: number; label: string } | null>;
  cleanup(): Promise<void>;
}

export function benchTarget(ctx: BenchContext): BenchTarget {
  const base = ctx.opts.databaseUrl;
  if (base === null) {
    return {
      engine: 'sqlite',
      fresh: async (name) => ({ dataDir: ctx.scratch(name), databaseUrl: null }),
      async seeded(n, name) {
        const dataDir = ctx.scratch(name);
        return { dataDir, databaseUrl: null, info: await seededDataDir(n, dataDir, ctx.log) };
      },
      seededWritable: true,
      storageFloor: async (seconds, bodies) => ({
        perSecond: storageFloor(ctx.scratch('storage-floor'), seconds, { bodies }).perSecond,
        label: 'storage floor (better-sqlite3, 1000 rows/tx, pre-encoded)',
      }),
      async storageFloorAsStored(seconds) {
        const floor = storageFloor(ctx.scratch('storage-floor-checkpointer'), seconds, { checkpointer: true });
        await floor.stopped;
        return { perSecond: floor.perSecond, label: "storage floor with the store's checkpointer thread (for reference)" };
      },
      cleanup: async () => {},
    };
  }
  const schemas: string[] = [];
  return {
    engine: 'postgres',
    fresh: async (name) => ({ dataDir: ctx.scratch(name), databaseUrl: await freshSchema(base, name, schemas) }),
    async seeded(n, name) {
      const { url, info } = await seededPgSchema(base, n, ctx.log);
      return { dataDir: ctx.scratch(name), databaseUrl: url, info };
    },
    seededWritable: false,
    storageFloor: async (seconds, bodies) => ({
      perSecond: (await pgStorageFloor(await freshSchema(base, 'storage_floor', schemas), seconds, bodies)).perSecond,
      label: "storage floor (pg driver, Tally's unnest insert, 1000 rows/statement, pre-encoded)",
    }),
    storageFloorAsStored: async () => null,
    cleanup: () => dropSchemas(base, schemas),
  };
}
