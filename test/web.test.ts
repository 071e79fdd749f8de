import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ts from 'typescript';
import { WEB_ROOT } from '../src/http/web.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';

/** The explorer's files as the server serves them: headers, types, and what the code may never do. */
describe('explorer files and headers', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp('sqlite');
  });
  after(() => t.close());

  test('"/" serves the page with a strict CSP, nosniff, no-referrer and no framing, without a key', async () => {
    const res = await t.request('GET', '/', undefined, { authorization: '' });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
      "base-uri 'none'",
    ]) {
      assert.ok(csp.includes(directive), directive);
    }
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), 'no inline or eval allowance');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.match(String(res.body), /<script type="module" src="\/js\/main.js"><\/script>/);
  });

  test('scripts and styles are served with their types and the same headers', async () => {
    const js = await t.request('GET', '/js/main.js', undefined, { authorization: '' });
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.equal(js.headers['x-content-type-options'], 'nosniff');
    const css = await t.request('GET', '/styles.css', undefined, { authorization: '' });
    assert.match(String(css.headers['content-type']), /^text\/css/);
  });

  test('unknown paths keep the JSON 404; the API is untouched', async () => {
    const res = await t.request('GET', '/no/such/page');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
    const traversal = await t.request('GET', '/js/../../package.json');
    assert.equal(traversal.status, 404);
    assert.equal((await t.request('GET', '/api/records/list/')).status, 200);
  });

  test('the page has no inline script or style, no external origin, and the code never writes HTML', () => {
    const files = fs.readdirSync(WEB_ROOT, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(html|js|css)$/.test(f));
    assert.ok(files.length > 5);
    for (const file of files) {
      const text = fs.readFileSync(path.join(WEB_ROOT, file), 'utf8');
      assert.doesNotMatch(text, /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function)/, file);
      assert.doesNotMatch(text, /(src|href)=["']?(https?:)?\/\//, `${file} loads nothing from another origin`);
      if (file.endsWith('.html')) {
        assert.doesNotMatch(text, /<script(?![^>]*\bsrc=)[^>]*>/, `${file}: no inline script`);
        assert.doesNotMatch(text, /\son[a-z]+=|\sstyle=|<style/i, `${file}: no inline handlers or styles`);
      }
    }
  });

  test('the page’s JavaScript type-checks against the DOM (JSDoc, tsconfig.web.json)', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(
      path.resolve('tsconfig.web.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) },
    );
    assert.ok(parsed && parsed.fileNames.length > 5);
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
    assert.deepEqual(problems, []);
  });
});
