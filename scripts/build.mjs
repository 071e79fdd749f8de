// Compiles src/**/*.ts to dist/**/*.js for `npm start`: one output file per source file, in the same layout,
// so paths built from import.meta.url (web/, the writer thread's entry) resolve the same way from dist/ as from
// src/. Running compiled JavaScript spares the server tsx's module hooks: a loader thread per JavaScript
// thread (the event loop and the SQLite writer) and their caches, about 50 MB of resident memory.
// esbuild only strips types; `npm run typecheck` (part of `npm test`) is what checks them.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const src = path.join(root, 'src');
const out = path.join(root, 'dist');

const sources = fs
  .readdirSync(src, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => path.join(src, f));

/** Every import stays an import: packages as they are, our own files with .ts turned into .js. */
const keepImports = {
  name: 'keep-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      return { path: args.path.startsWith('.') ? args.path.replace(/\.ts$/, '.js') : args.path, external: true };
    });
  },
};

fs.rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: sources,
  outdir: out,
  outbase: src,
  bundle: true, // with every import external, "bundling" each file is a plain per-file transpile that can rewrite paths
  plugins: [keepImports],
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
