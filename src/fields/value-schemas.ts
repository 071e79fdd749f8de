/**
 * JSON Schemas that several registry fields share. Each is declared `as const` so that SchemaType can read the
 * TypeScript type of its values (fields/schema-type.ts).
 */

/** A schema that also accepts null. */
export const nullable = <const S>(schema: S) => ({ anyOf: [schema, { type: 'null' }] }) as const;

/**
 * Identifiers (model, customer, thread, custom id, trace, names) take at most 1,024 characters and 2,048 bytes of
 * UTF-8: PostgreSQL indexes some (customer, custom id, trace) in btree entries of at most 2,704 bytes, which org_id's
 * 128 and 2,048 fit, and 1,024 characters alone can take 3 KB. One limit for all of them, on both stores.
 */
export const IDENTIFIER_MAX_BYTES = 2048;
export const IDENTIFIER = { type: 'string', maxLength: 1024, 'x-maxUtf8Bytes': IDENTIFIER_MAX_BYTES } as const;

/** A call's input or output: text, or a structure that is stored as its JSON text. */
export const BODY_INPUT = { type: ['string', 'object', 'array', 'null'] } as const;

export const TOOL_DEFINITION = {
  type: 'object',
  required: ['type', 'definition'],
  additionalProperties: false,
  properties: {
    type: { const: 'type_a', description: 'Only type_a (a function tool) is supported.' },
    definition: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 256 },
        description: { type: 'string' },
        parameters: { type: 'object', description: 'A JSON Schema object describing the arguments.' },
      },
    },
  },
} as const;

export const TOOL_CHOICE = {
  anyOf: [
    { enum: ['none', 'auto'] },
    {
      type: 'object',
      required: ['type', 'definition'],
      additionalProperties: false,
      properties: {
        type: { const: 'type_a' },
        definition: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 256 } },
        },
      },
    },
    { type: 'null' },
  ],
} as const;

const TOKENS = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

export const USAGE_INPUT = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    sub_field_a: nullable({ ...TOKENS, description: 'Prompt (input) tokens.' }),
    sub_field_b: nullable({ ...TOKENS, description: 'Completion (output) tokens.' }),
    sub_field_c: nullable({ ...TOKENS, description: 'Total tokens.' }),
    // Extension (docs/derived-fields.md#usage-details): parts of the counts above that the price catalogue prices apart.
    cache_read_input_tokens: nullable({
      ...TOKENS,
      description: 'Extension: prompt tokens read from the prompt cache (part of sub_field_a).',
    }),
    cache_write_input_tokens: nullable({
      ...TOKENS,
      description: 'Extension: prompt tokens written to the prompt cache (part of sub_field_a).',
    }),
    audio_input_tokens: nullable({ ...TOKENS, description: 'Extension: audio prompt tokens (part of sub_field_a).' }),
    audio_cache_read_input_tokens: nullable({
      ...TOKENS,
      description: 'Extension: audio prompt tokens read from the cache (part of cache_read_input_tokens and of audio_input_tokens).',
    }),
    reasoning_output_tokens: nullable({ ...TOKENS, description: 'Extension: reasoning (thinking) tokens (part of sub_field_b).' }),
    audio_output_tokens: nullable({ ...TOKENS, description: 'Extension: audio completion tokens (part of sub_field_b).' }),
  },
} as const;

const DETAIL_OUTPUT = { type: 'integer', description: 'Extension, present when sent: see field_5 on create.' } as const;

/** The extension counts in field_5's reply: each present only when it was sent (docs/derived-fields.md#usage-details). */
export const USAGE_DETAILS_OUTPUT = {
  cache_read_input_tokens: DETAIL_OUTPUT,
  cache_write_input_tokens: DETAIL_OUTPUT,
  audio_input_tokens: DETAIL_OUTPUT,
  audio_cache_read_input_tokens: DETAIL_OUTPUT,
  reasoning_output_tokens: DETAIL_OUTPUT,
  audio_output_tokens: DETAIL_OUTPUT,
} as const;
