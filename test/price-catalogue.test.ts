import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { PRICE_CATALOGUE } from '../src/records/price-catalogue.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

describe('the bundled price catalogue: its version and date in /healthz and /metrics', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite');
  });
  after(() => t.close());

  test('the installed @pydantic/genai-prices, with its publication day (an update of the package needs its date here)', () => {
    const installed = JSON.parse(fs.readFileSync(new URL('../node_modules/@pydantic/genai-prices/package.json', import.meta.url), 'utf8'));
    assert.equal(PRICE_CATALOGUE.version, installed.version);
    assert.match(
      PRICE_CATALOGUE.released ?? '',
      /^\d{4}-\d{2}-\d{2}$/,
      `add ${installed.version}'s npm publication day to RELEASED in src/records/price-catalogue.ts`,
    );
  });

  test('/healthz details and /metrics show them, without a key', async () => {
    const health = await t.request('GET', '/healthz', undefined, { authorization: '' });
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, {
      status: 'ok',
      details: {
        price_catalogue: { library: '@pydantic/genai-prices', version: PRICE_CATALOGUE.version, released: PRICE_CATALOGUE.released },
      },
    });
    const metrics = await t.request('GET', '/metrics', undefined, { authorization: '' });
    assert.equal(metrics.status, 200);
    const line = `tally_price_catalogue_info{library="@pydantic/genai-prices",version="${PRICE_CATALOGUE.version}",released="${PRICE_CATALOGUE.released}"} 1`;
    assert.ok(String(metrics.body).includes(line), line);
  });
});
