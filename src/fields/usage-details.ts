import type { ErrorDetail } from '../errors.ts';

/**
 * field_5's extension counts (docs/derived-fields.md#usage-details): parts of the prompt or completion tokens that
 * a price list prices apart. Each is part of its parent count, as OpenAI and OpenTelemetry report them (Anthropic's
 * input_tokens leaves cache reads and writes out: add them in). Stored together in one JSON column and returned inside
 * field_5 when sent; a record without them reads exactly as before.
 */
export const USAGE_DETAILS = [
  'cache_read_input_tokens',
  'cache_write_input_tokens',
  'audio_input_tokens',
  'audio_cache_read_input_tokens',
  'reasoning_output_tokens',
  'audio_output_tokens',
] as const;
export type UsageDetail = (typeof USAGE_DETAILS)[number];
export type UsageDetails = Partial<Record<UsageDetail, number>>;

type Usage = Readonly<Record<string, unknown>>;
const count = (usage: Usage, key: string): number | null => (typeof usage[key] === 'number' ? (usage[key] as number) : null);

/** The extension counts sent (null and absent left out), in USAGE_DETAILS order; null when there are none. */
export function usageDetailsOf(usage: Usage | null | undefined): UsageDetails | null {
  if (!usage) return null;
  let details: UsageDetails | null = null;
  for (const name of USAGE_DETAILS) {
    const n = count(usage, name);
    if (n === null) continue;
    details ??= {};
    details[name] = n;
  }
  return details;
}

const INPUT_PARTS = ['cache_read_input_tokens', 'cache_write_input_tokens', 'audio_input_tokens', 'audio_cache_read_input_tokens'] as const;
const OUTPUT_PARTS = ['reasoning_output_tokens', 'audio_output_tokens'] as const;

/**
 * What is wrong with a field_5 whose counts passed the schema: a part sent without the count it is part of, or parts
 * that add up to more than it (most often Anthropic's input_tokens sent without its cache tokens).
 */
export function usageProblems(usage: Usage | null | undefined): ErrorDetail[] {
  const details = usageDetailsOf(usage);
  if (!usage || !details) return [];
  const problems: ErrorDetail[] = [];
  const d = (name: UsageDetail) => details[name] ?? 0;
  const parent = (parts: readonly UsageDetail[], name: 'sub_field_a' | 'sub_field_b', what: string) => {
    const sent = parts.filter((p) => details[p] !== undefined);
    if (sent.length > 0 && count(usage, name) === null) {
      for (const p of sent) problems.push({ field: `field_5.${p}`, message: `needs field_5.${name} (${what}), which it is part of` });
      return null;
    }
    return count(usage, name);
  };
  const prompt = parent(INPUT_PARTS, 'sub_field_a', 'the prompt tokens');
  if (prompt !== null) {
    const overlap = d('audio_cache_read_input_tokens');
    if (overlap > d('cache_read_input_tokens') || overlap > d('audio_input_tokens')) {
      problems.push({
        field: 'field_5.audio_cache_read_input_tokens',
        message: 'must not exceed cache_read_input_tokens nor audio_input_tokens (it is part of both)',
      });
    }
    const parts = d('cache_read_input_tokens') + d('cache_write_input_tokens') + d('audio_input_tokens') - overlap;
    if (parts > prompt) {
      problems.push({
        field: 'field_5.sub_field_a',
        message:
          `is ${prompt}, less than its parts (cache reads + cache writes + audio = ${parts}): prompt tokens include cached ` +
          "and audio ones (add Anthropic's cache_read_input_tokens and cache_creation_input_tokens to its input_tokens)",
      });
    }
  }
  const completion = parent(OUTPUT_PARTS, 'sub_field_b', 'the completion tokens');
  if (completion !== null && d('reasoning_output_tokens') + d('audio_output_tokens') > completion) {
    problems.push({
      field: 'field_5.sub_field_b',
      message: `is ${completion}, less than its parts (reasoning + audio = ${d('reasoning_output_tokens') + d('audio_output_tokens')}): completion tokens include reasoning and audio ones`,
    });
  }
  return problems;
}
