import assert from 'node:assert/strict';
import fc from 'fast-check';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type Database from 'better-sqlite3';
import { simpleUpper } from '../src/store/sqlite/pg-text.ts';
import { sqliteDialect } from '../src/store/sqlite/dialect.ts';
import { openSqlite } from '../src/store/sqlite/open.ts';
import { tempDir } from './helpers/app.ts';

/**
 * SQLite's icontains runs C-level instr() checks before (and mostly instead of) the exact JavaScript upper-casing
 * (src/store/sqlite/dialect.ts). Its proof rests on three facts about simpleUpper and one about SQLite's upper(),
 * each checked here over every code point; the property test then compares the whole expression with the exact
 * one on random Unicode text, on a real SQLite connection with Tally's functions.
 */

const SEED = 20251128;

function* codePoints(): Generator<string> {
  for (let cp = 1; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) yield String.fromCodePoint(cp);
}

describe('icontains prefilter', () => {
  let dir: string;
  let db: Database.Database;
  before(() => {
    dir = tempDir();
    db = openSqlite(path.join(dir, 'tally.db'));
    db.exec('CREATE TEMP TABLE texts (x TEXT)');
  });
  after(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('simpleUpper maps each code point to one code point, idempotently; only ı and ſ become ASCII', () => {
    const toAscii: number[] = [];
    for (const ch of codePoints()) {
      const up = simpleUpper(ch);
      assert.equal([...up].length, 1, `U+${ch.codePointAt(0)!.toString(16)} maps to one code point`);
      assert.equal(simpleUpper(up), up, `U+${ch.codePointAt(0)!.toString(16)}: upper-casing twice changes nothing`);
      if (ch.codePointAt(0)! > 0x7f && up.codePointAt(0)! <= 0x7f) toAscii.push(ch.codePointAt(0)!);
      // Node's own toUpperCase agrees wherever it does not expand (ß → SS is kept as ß).
      if (ch.toUpperCase().length === ch.length) assert.equal(up, ch.toUpperCase());
    }
    assert.deepEqual(toAscii, [0x131, 0x17f], 'ı → I and ſ → S are the only non-ASCII characters with an ASCII upper case');
  });

  test("SQLite's LIKE folds ASCII letters only", () => {
    const like = db.prepare("SELECT ? LIKE ? ESCAPE '\\' AS m");
    const matches = (text: string, pattern: string) => (like.get(text, pattern) as { m: number }).m === 1;
    const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
    assert.deepEqual(
      db.prepare("SELECT compile_options FROM pragma_compile_options WHERE compile_options LIKE '%ICU%'").all(),
      [],
      'no ICU',
    );
    let chunk: string[] = [];
    const check = () => {
      const s = chunk.join('');
      assert.ok(matches(s, escapeLike(s.replace(/[a-z]/g, (c) => c.toUpperCase()))), 'ASCII upper case matches');
      assert.ok(matches(s, escapeLike(s.replace(/[A-Z]/g, (c) => c.toLowerCase()))), 'ASCII lower case matches');
      chunk = [];
    };
    for (const ch of codePoints()) {
      chunk.push(ch);
      if (chunk.length === 4096) check();
      // Beyond ASCII, a character never matches its other case.
      const up = simpleUpper(ch);
      if (ch.codePointAt(0)! > 0x7f && up !== ch)
        assert.ok(!matches(ch, escapeLike(up)) && !matches(up, escapeLike(ch)), `U+${ch.codePointAt(0)!.toString(16)}`);
    }
    check();
  });

  /** The rows whose x matches icontains needle: the exact expression, and what the dialect builds. */
  function matches(needle: string): { exact: number[]; built: number[]; reference: number[] } {
    const params: unknown[] = [];
    const built = sqliteDialect.pattern(params, 'x', 'icontains', needle);
    const rows = (sql: string, args: unknown[]) =>
      (db.prepare(`SELECT rowid AS r FROM texts WHERE ${sql} ORDER BY rowid`).all(...args) as { r: number }[]).map((r) => r.r);
    const all = db.prepare('SELECT rowid AS r, x FROM texts ORDER BY rowid').all() as { r: number; x: string }[];
    return {
      exact: rows("tally_upper(x) GLOB '*' || ? || '*'", [simpleUpper(needle).replace(/[[*?]/g, (c) => `[${c}]`)]),
      built: rows(built, params),
      reference: all.filter((row) => row.x !== null && simpleUpper(row.x).includes(simpleUpper(needle))).map((row) => row.r),
    };
  }

  // Characters where ASCII and Unicode case mapping part ways, mixed with any other code point.
  const tricky = fc.constantFrom(
    'a',
    'i',
    's',
    'I',
    'S',
    'ı',
    'İ',
    'ſ',
    'ß',
    'ẞ',
    'é',
    'É',
    'ü',
    'Ü',
    'ǅ',
    'ǆ',
    'Ǆ',
    'ﬁ',
    'ς',
    'σ',
    'Σ',
    'ᾳ',
    'ᾼ',
    'K',
    'k',
    'Å',
    '*',
    '?',
    '[',
    ' ',
  );
  const anyChar = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 });
  const unicodeChar = fc
    .integer({ min: 1, max: 0x10ffff })
    .filter((cp) => cp < 0xd800 || cp > 0xdfff)
    .map((cp) => String.fromCodePoint(cp));
  const text = fc
    .array(fc.oneof({ weight: 6, arbitrary: tricky }, { weight: 2, arbitrary: anyChar }, { weight: 1, arbitrary: unicodeChar }), {
      maxLength: 12,
    })
    .map((cs) => cs.join(''));
  /** A needle: a piece of one of the texts with its case changed here and there, or any text. */
  const needleFor = (texts: string[]) =>
    fc.oneof(
      fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.array(fc.constantFrom('upper', 'lower', 'keep', 'dotless'))).map(([t, from, len, ops]) => {
        const chars = [...(texts[t % texts.length] ?? '')];
        const start = chars.length ? from % chars.length : 0;
        return chars
          .slice(start, start + (len % 6))
          .map((c, i) => {
            const op = ops[i % Math.max(1, ops.length)] ?? 'keep';
            if (op === 'upper') return c.toUpperCase();
            if (op === 'lower') return c.toLowerCase();
            if (op === 'dotless' && c === 'i') return 'ı';
            if (op === 'dotless' && c === 's') return 'ſ';
            return c;
          })
          .join('');
      }),
      text,
    );

  test('property: the prefiltered icontains selects exactly the rows the exact one does', () => {
    const insert = db.prepare('INSERT INTO texts (x) VALUES (?)');
    let proper = 0; // needles that select some rows but not all: agreement on those is what proves something
    let needlesTried = 0;
    fc.assert(
      fc.property(
        fc
          .array(text, { minLength: 1, maxLength: 20 })
          .chain((texts) => fc.tuple(fc.constant(texts), fc.array(needleFor(texts), { minLength: 1, maxLength: 8 }))),
        ([texts, needles]) => {
          db.exec('DELETE FROM texts');
          for (const t of texts) insert.run(t);
          for (const needle of needles) {
            const { exact, built, reference } = matches(needle);
            assert.deepEqual(exact, reference, `exact expression vs reference for ${JSON.stringify(needle)} in ${JSON.stringify(texts)}`);
            assert.deepEqual(built, exact, `prefiltered vs exact for ${JSON.stringify(needle)} in ${JSON.stringify(texts)}`);
            needlesTried++;
            if (exact.length > 0 && exact.length < texts.length) proper++;
          }
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
    assert.ok(proper > needlesTried * 0.3, `only ${proper} of ${needlesTried} needles select a proper subset`);
  });

  // Needles whose longest ASCII run holds I or S next to at least three other ASCII letters take the I/S-free run P
  // as their first check (dialect.ts): texts here are made of the same letters, with ı, ſ and non-ASCII letters
  // mixed in, so P, R and the needle are each found with and without the others.
  test('property: needles checked first by their I- and S-free run select exactly the exact rows', () => {
    const insert = db.prepare('INSERT INTO texts (x) VALUES (?)');
    const letter = fc.constantFrom('a', 'b', 'e', 'r', 'i', 's', 'I', 'S', 'ı', 'ſ', 'ü', 'Ü', 'ß', 'é', ' ', '%', '_');
    const word = fc.array(letter, { minLength: 0, maxLength: 14 }).map((cs) => cs.join(''));
    const needle = fc
      .tuple(
        fc.array(fc.constantFrom('a', 'b', 'e', 'r', 'A', 'B', 'E', 'R'), { minLength: 3, maxLength: 5 }),
        fc.constantFrom('i', 's', 'I', 'S', 'ı', 'ſ', 'is', 'sı'),
        fc.array(fc.constantFrom('a', 'b', 'e', 'ü', 'Ü', 'ſ'), { maxLength: 3 }),
      )
      .map(([head, mid, tail]) => head.join('') + mid + tail.join(''));
    let usedPlain = 0;
    let proper = 0;
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 24 }), fc.array(needle, { minLength: 1, maxLength: 6 }), (words, needles) => {
        db.exec('DELETE FROM texts');
        for (const w of words) insert.run(w);
        for (const n of needles) {
          // Texts that contain the needle as written, upper-cased or dotless, so that matches are not rare.
          insert.run(`x${n}y`);
          insert.run(simpleUpper(n).replace(/I/g, 'ı'));
          insert.run(n.toLowerCase().replace(/s/g, 'ſ'));
        }
        for (const n of needles) {
          const params: unknown[] = [];
          if (/^\(x LIKE \? ESCAPE '\\' AND /.test(sqliteDialect.pattern(params, 'x', 'icontains', n))) usedPlain++;
          const { exact, built, reference } = matches(n);
          assert.deepEqual(exact, reference, `exact vs reference for ${JSON.stringify(n)}`);
          assert.deepEqual(built, exact, `prefiltered vs exact for ${JSON.stringify(n)} in ${JSON.stringify(words)}`);
          if (exact.length > 0 && exact.length < words.length + 3 * needles.length) proper++;
        }
      }),
      { seed: SEED, numRuns: 1500 },
    );
    assert.ok(usedPlain > 1000, `only ${usedPlain} needles took the I/S-free first check`);
    assert.ok(proper > 1000, `only ${proper} needles selected a proper subset`);
  });

  test('the cases the proof turns on', () => {
    db.exec('DELETE FROM texts');
    const texts = ['ıstanbul', 'ſtraße', 'Überweisung', 'überweisung', 'ÜBERWEISUNG', 'plain ascii', 'école', 'ÉCOLE', 'ǅemal', null];
    for (const t of texts) db.prepare('INSERT INTO texts (x) VALUES (?)').run(t);
    const ids = (...names: string[]) => names.map((n) => texts.indexOf(n) + 1);
    const cases: [string, number[]][] = [
      ['ISTANBUL', ids('ıstanbul')], // only ı makes the I: the ASCII run alone would miss it
      ['strasse', []], // ß stays ß
      ['STRAßE', ids('ſtraße')], // ſ → S
      ['überweisung', ids('Überweisung', 'überweisung', 'ÜBERWEISUNG')],
      ['BERWEISUNG', ids('Überweisung', 'überweisung', 'ÜBERWEISUNG')],
      ['École', ids('école', 'ÉCOLE')],
      ['ǆ', ids('ǅemal')],
      ['', texts.filter((t) => t !== null).map((_, i) => i + 1)],
      ['ASCII', ids('plain ascii')],
      ['BERWEıSUNG', ids('Überweisung', 'überweisung', 'ÜBERWEISUNG')], // P = BERWE; ı → I
      ['bErweiſung', ids('Überweisung', 'überweisung', 'ÜBERWEISUNG')],
      ['TANBUL', ids('ıstanbul')],
      ['stanbul', ids('ıstanbul')], // P = TANBUL
    ];
    for (const [needle, want] of cases) {
      const { exact, built } = matches(needle);
      assert.deepEqual(built, want, JSON.stringify(needle));
      assert.deepEqual(exact, want, JSON.stringify(needle));
    }
  });
});
