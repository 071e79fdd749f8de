/**
 * The model names a custom price applies to (docs/derived-fields.md#custom-prices): an exact name, or a pattern in
 * which `*` stands for any run of characters (none included), matched against the whole name, case-sensitively.
 * Other glob syntax (`?`, `[...]`, `{...}`, `\`, `**`) is refused rather than taken literally.
 */
export interface ModelPattern {
  text: string;
  exact: boolean;
  /** Higher wins: an exact name beats every pattern, then more literal characters, then fewer `*`. */
  specificity: number;
  matches(model: string): boolean;
}

const MAX_LENGTH = 1024;
const UNSUPPORTED = /[?[\]{}\\]|\*\*/;

/** What is wrong with a pattern, or null when it is one. */
export function patternProblem(text: unknown): string | null {
  if (typeof text !== 'string' || text.trim() === '') return 'must be a model name or a pattern such as "ft:gpt-4o-mini:acme:*"';
  if (text !== text.trim()) return 'must not start or end with spaces';
  if (text.length > MAX_LENGTH) return `must be at most ${MAX_LENGTH} characters`;
  const bad = UNSUPPORTED.exec(text);
  if (bad) return `uses ${JSON.stringify(bad[0])}, which Tally's patterns do not support: only * (any run of characters) is a wildcard`;
  return null;
}

const literal = (s: string) => s.replace(/[.+^${}()|[\]\\?]/g, '\\$&');

/** A checked pattern (patternProblem said null). */
export function compilePattern(text: string): ModelPattern {
  const stars = text.split('*').length - 1;
  if (stars === 0) return { text, exact: true, specificity: Number.MAX_SAFE_INTEGER, matches: (m) => m === text };
  const re = new RegExp(`^${text.split('*').map(literal).join('[\\s\\S]*')}$`);
  return { text, exact: false, specificity: (text.length - stars) * 1024 - stars, matches: (m) => re.test(m) };
}

/** Most specific first; equal ones in the order of their text, so that the choice never depends on storage order. */
export const bySpecificity = (a: ModelPattern, b: ModelPattern): number =>
  b.specificity - a.specificity || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
