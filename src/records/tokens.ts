import { createRequire } from 'node:module';

/**
 * Each encoding's rank table is loaded on first use, not at start: the tables are large (docs/performance.md), and
 * a server whose clients send usage (most SDKs do) never needs them.
 */
type Counter = (text: string) => number;
const load = createRequire(import.meta.url);
const lazy = (encoding: string): Counter => {
  let count: Counter | null = null;
  return (text) => {
    count ??= (load(`gpt-tokenizer/encoding/${encoding}`) as { countTokens: Counter }).countTokens;
    return count(text);
  };
};
const countO200k = lazy('o200k_base');
const countCl100k = lazy('cl100k_base');

/**
 * The tokenizer is handed at most PIECE characters at a time: BPE's cost grows with the square of a pre-token's
 * length, and a run without spaces (CJK text, base64) is one pre-token (docs/derived-fields.md).
 */
const PIECE = 128;
/** Texts up to this long are counted whole (in pieces); this bounds the event loop's time per text. */
const EXACT_MAX_CHARS = 2048;
/** Longer texts are counted in SAMPLES windows of SAMPLE_CHARS spread over the text, and extrapolated. */
const SAMPLES = 8;
const SAMPLE_CHARS = EXACT_MAX_CHARS / SAMPLES;

/**
 * Token estimates with a real BPE tokenizer (gpt-tokenizer). OpenAI's newer models use o200k_base, older
 * ones cl100k_base; other vendors' tokenizers are not public in JS, so their counts are approximated with
 * o200k_base. Every estimated record says so in tokens_estimated.
 */
function counterFor(model: string): Counter {
  return /^(gpt-4(?!o)|gpt-3\.5|text-embedding|davinci|babbage)/i.test(model.replace(/^[^/:]+[/:]/, '')) ? countCl100k : countO200k;
}

/** The text a tokenizer should see: message contents for chat structures, else the string itself. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).join('\n');
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    if ('content' in obj) return textOf(obj.content);
    if ('text' in obj) return textOf(obj.text);
    return JSON.stringify(obj);
  }
  return value === null || value === undefined ? '' : String(value);
}

const isSpace = (code: number) => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;

/**
 * Where a piece starting at `from` should end: just before a space that follows a non-space in its second half
 * (where the tokenizer's own pre-tokens begin, so the count is what the whole text would give), else after
 * PIECE characters, never between the two halves of a surrogate pair.
 */
function pieceEnd(text: string, from: number, to: number): number {
  const limit = from + PIECE;
  if (limit >= to) return to;
  for (let i = limit; i > from + PIECE / 2; i--) {
    if (isSpace(text.charCodeAt(i)) && !isSpace(text.charCodeAt(i - 1))) return i;
  }
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/** Tokens in text[from, to), counted a piece at a time. */
function countRange(count: Counter, text: string, from: number, to: number): number {
  let tokens = 0;
  for (let i = from; i < to; ) {
    const end = pieceEnd(text, i, to);
    const piece = text.slice(i, end);
    try {
      tokens += count(piece);
    } catch {
      tokens += Math.ceil(piece.length / 4); // special-token text the encoder refuses
    }
    i = end;
  }
  return tokens;
}

/**
 * Estimated tokens of a call's input or output. Texts up to EXACT_MAX_CHARS are counted whole; longer ones from
 * SAMPLES evenly spread windows, scaled to the text's length, so an estimate costs a few milliseconds whatever the
 * input (docs/derived-fields.md).
 */
export function estimateTokens(model: string, content: unknown): number {
  const text = textOf(content);
  if (text === '') return 0;
  const count = counterFor(model);
  if (text.length <= EXACT_MAX_CHARS) return countRange(count, text, 0, text.length);
  let tokens = 0;
  let chars = 0;
  const step = (text.length - SAMPLE_CHARS) / (SAMPLES - 1);
  for (let k = 0; k < SAMPLES; k++) {
    // Each window starts and ends where a pre-token starts (a space after a word) when one is near, so that
    // no word is counted cut in two; else not inside a surrogate pair.
    const from = boundary(text, Math.floor(k * step));
    const to = Math.max(from + 1, boundary(text, Math.min(text.length, from + SAMPLE_CHARS)));
    tokens += countRange(count, text, from, to);
    chars += to - from;
  }
  return Math.round((tokens * text.length) / chars);
}

/** The nearest start of a pre-token at or after i (within 32 characters), else i moved off a surrogate pair's second half. */
function boundary(text: string, i: number): number {
  if (i <= 0 || i >= text.length) return i;
  for (let j = i; j < i + 32 && j < text.length; j++) {
    if (isSpace(text.charCodeAt(j)) && !isSpace(text.charCodeAt(j - 1))) return j;
  }
  const code = text.charCodeAt(i);
  return code >= 0xdc00 && code <= 0xdfff ? i + 1 : i;
}
