/**
 * Substring search in time linear in the text and the needle, whatever they hold. V8's indexOf, like SQLite's LIKE,
 * GLOB and instr, is fast on ordinary text but takes time proportional to text × needle on crafted input
 * (docs/performance.md). This is Knuth-Morris-Pratt, which never looks at a character of the text twice, with
 * indexOf of a single character (linear: one pass) to skip to the next place the needle can start.
 */

/** KMP's failure table: for each prefix of the needle, the length of its longest proper border. */
function borders(needle: string): Int32Array {
  const table = new Int32Array(needle.length);
  for (let i = 1, k = 0; i < needle.length; i++) {
    const c = needle.charCodeAt(i);
    while (k > 0 && c !== needle.charCodeAt(k)) k = table[k - 1];
    if (c === needle.charCodeAt(k)) k++;
    table[i] = k;
  }
  return table;
}

/**
 * The last few needles' tables: a filter calls this once per row with the same needle (a fresh string each time,
 * so identity is of no use; === compares the characters, a linear memcmp).
 */
const recent: { needle: string; table: Int32Array }[] = [];
const RECENT_MAX = 4;

function tableOf(needle: string): Int32Array {
  for (const r of recent) if (r.needle === needle) return r.table;
  const table = borders(needle);
  if (recent.unshift({ needle, table }) > RECENT_MAX) recent.pop();
  return table;
}

/** Whether text contains needle (UTF-16 code units; for well-formed strings the same as code points). */
export function containsText(text: string, needle: string): boolean {
  const m = needle.length;
  if (m === 0) return true;
  if (m > text.length) return false;
  const table = tableOf(needle);
  const first = needle[0];
  const n = text.length;
  for (let i = 0, k = 0; i < n; i++) {
    if (k === 0) {
      i = text.indexOf(first, i); // one pass over what it skips, never revisited
      if (i < 0 || n - i < m) return false;
    }
    const c = text.charCodeAt(i);
    while (k > 0 && c !== needle.charCodeAt(k)) k = table[k - 1];
    if (c === needle.charCodeAt(k)) k++;
    if (k === m) return true;
    if (k === 0 && n - i - 1 < m) return false;
  }
  return false;
}
