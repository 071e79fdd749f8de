import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The price catalogue Tally bundles: the installed @pydantic/genai-prices (its data ships inside the package, so the
 * catalogue is updated by updating the package: README). Shown in /healthz and /metrics so that an operator can
 * tell how old the prices are.
 */
const LIBRARY = '@pydantic/genai-prices';

/**
 * The day each version was published on npm (`npm view @pydantic/genai-prices time`). test/price-catalogue.test.ts
 * fails when the installed version has no entry here, so that an update of the package brings its date.
 */
const RELEASED: Readonly<Record<string, string>> = { '0.1.8': '2026-09-23' };

function installedVersion(): string {
  const entry = createRequire(import.meta.url).resolve(LIBRARY); // <package>/dist/index.cjs: package.json is not exported
  const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

const version = installedVersion();

export const PRICE_CATALOGUE: Readonly<{ library: string; version: string; released: string | null }> = Object.freeze({
  library: LIBRARY,
  version,
  released: RELEASED[version] ?? null,
});
