import { Ajv, type ErrorObject } from 'ajv';
import { AppError, type ErrorDetail } from '../errors.ts';
import { parseTimestamp } from '../time.ts';
import { guardJsonValue } from './input-guard.ts';
import type { Field } from './registry.ts';
import { createRecordSchema } from './schema.ts';
import type { SchemaType } from './schema-type.ts';
import { usageProblems } from './usage-details.ts';
import { IDENTIFIER_MAX_BYTES } from './value-schemas.ts';

/** The names a field is sent under: its own and its old ones (aliases). */
type InputNames<F> = F extends { name: infer N extends string }
  ? N | (F extends { aliases: readonly (infer A extends string)[] } ? A : never)
  : never;

/**
 * The create body after validation, read off the registry: every field with an input schema, under each of its
 * names, of the type that schema accepts (e.g. `field_4?: string | null`); nothing else.
 */
export type CreateInput = { [F in Extract<Field, { input: object }> as InputNames<F>]?: SchemaType<F['input']> };

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('tally-timestamp', { type: 'string', validate: (s: string) => parseTimestamp(s) !== null });
ajv.addKeyword({
  keyword: 'x-maxUtf8Bytes',
  type: 'string',
  schemaType: 'number',
  validate: (max: number, s: string) => Buffer.byteLength(s, 'utf8') <= max,
});
const validateCreate = ajv.compile(createRecordSchema());

function fieldOf(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties' && error.instancePath === '') {
    return String((error.params as { additionalProperty: string }).additionalProperty);
  }
  return error.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(body)';
}

function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = (error.params as { additionalProperty: string }).additionalProperty;
      return error.instancePath === '' ? 'unknown field' : `unknown property "${name}"`;
    }
    case 'format':
      return 'must be an ISO 8601 date-time between 1700 and 2200, e.g. 2025-01-01T10:30:00Z';
    case 'enum':
      return `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type': {
      const t = (error.params as { type: string | string[] }).type;
      const types = (Array.isArray(t) ? t : String(t).split(',')).filter((x) => x !== 'null');
      return `must be of type ${types.join(' or ')}`;
    }
    case 'x-maxUtf8Bytes':
      return `must be at most ${IDENTIFIER_MAX_BYTES} bytes of UTF-8 (at most 1024 characters, fewer where they take several bytes)`;
    case 'const':
      return `must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
    default:
      return error.message ?? 'is invalid';
  }
}

/** Collapses Ajv's anyOf noise to one clear message per place, keeping every distinct problem. */
function toDetails(errors: ErrorObject[]): ErrorDetail[] {
  const byField = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const f = fieldOf(e);
    byField.set(f, [...(byField.get(f) ?? []), e]);
  }
  const details: ErrorDetail[] = [];
  for (const [field, errs] of byField) {
    const concrete = errs.filter(
      (e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && e.params && (e.params as { type: string }).type === 'null'),
    );
    if (concrete.length === 0 && [...byField.keys()].some((f) => f.startsWith(`${field}.`))) continue; // the deeper errors say it
    const chosen = concrete.length > 0 ? concrete : errs;
    const messages = [...new Set(chosen.map(messageOf))];
    details.push({ field, message: messages.join('; ') });
  }
  return details;
}

/** Validates a create body; throws one validation_error listing every problem. */
export function validateCreateBody(body: unknown): CreateInput {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('validation_error', 'The request body must be a JSON object', [{ field: '(body)', message: 'must be an object' }]);
  }
  const details: ErrorDetail[] = [];
  if (!validateCreate(body)) details.push(...toDetails(validateCreate.errors ?? []));
  for (const [key, value] of Object.entries(body)) {
    if (!details.some((d) => d.field === key)) guardJsonValue(value, key, details);
  }
  if (!details.some((d) => d.field?.startsWith('field_5')))
    details.push(...usageProblems((body as { field_5?: Record<string, unknown> }).field_5));
  if (details.length > 0) {
    throw new AppError('validation_error', `The record is invalid: ${details.length} problem(s)`, details);
  }
  return body as CreateInput;
}
