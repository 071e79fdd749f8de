import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The house's layers, lowest first (docs/architecture.md). A module may import from its own layer and from
 * layers below it, never from one above; and no chain of imports comes back to where it started.
 */
const LAYERS: readonly { name: string; holds: (file: string) => boolean }[] = [
  { name: 'foundation', holds: (f) => ['config.ts', 'errors.ts', 'logger.ts', 'time.ts'].includes(f) },
  { name: 'fields', holds: (f) => f.startsWith('fields/') },
  { name: 'model', holds: (f) => f.startsWith('model/') },
  { name: 'query', holds: (f) => f.startsWith('query/') },
  { name: 'store', holds: (f) => f.startsWith('store/') },
  { name: 'services', holds: (f) => f.startsWith('records/') || f.startsWith('auth/') || f.startsWith('otlp/') || f === 'bootstrap.ts' },
  { name: 'http', holds: (f) => f.startsWith('http/') },
  { name: 'routes', holds: (f) => f.startsWith('routes/') },
  { name: 'app', holds: (f) => f === 'app.ts' },
  { name: 'process', holds: (f) => f === 'server.ts' || f === 'cli.ts' },
];

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src');

function sources(dir = SRC): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return /\.(ts|mjs)$/.test(e.name) ? [path.relative(SRC, full)] : [];
  });
}

/** The project files a source imports (static, dynamic and type-only imports, and worker entry URLs). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(SRC, file), 'utf8');
  const found = new Set<string>();
  const patterns = [
    /\bfrom\s+'(\.{1,2}\/[^']+)'/g,
    /\bimport\(\s*'(\.{1,2}\/[^']+)'\s*\)/g,
    /\bimport\s+'(\.{1,2}\/[^']+)'/g,
    /new URL\(\s*'(\.{1,2}\/[^']+)'/g,
  ];
  for (const re of patterns) {
    for (const m of text.matchAll(re)) {
      const target = path.relative(SRC, path.resolve(path.dirname(path.join(SRC, file)), m[1])).replace(/\.js$/, '.ts');
      if (!target.startsWith('..')) found.add(target);
    }
  }
  return [...found];
}

function layerOf(file: string): number {
  const i = LAYERS.findIndex((l) => l.holds(file));
  assert.ok(i >= 0, `${file} belongs to no layer: add it to LAYERS in test/layers.test.ts`);
  return i;
}

describe('the layers of src/', () => {
  const files = sources();
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => files.includes(t))]));

  test('no module imports from a layer above its own', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        if (layerOf(target) > layerOf(file))
          upward.push(`${file} (${LAYERS[layerOf(file)].name}) → ${target} (${LAYERS[layerOf(target)].name})`);
      }
    }
    assert.deepEqual(upward, []);
  });

  test('no import cycle', () => {
    // Tarjan's strongly connected components: a component of more than one module (or a module importing itself) is a cycle.
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    const visit = (v: string) => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      for (const w of graph.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          component.push(w);
        } while (w !== v);
        if (component.length > 1 || graph.get(v)!.includes(v)) cycles.push(component.sort());
      }
    };
    for (const f of files) if (!index.has(f)) visit(f);
    assert.deepEqual(cycles, []);
  });

  test('the check sees imports: a known edge is found', () => {
    assert.ok(
      graph.get('app.ts')!.some((t) => t.startsWith('store/')),
      'app.ts imports the store',
    );
  });
});
