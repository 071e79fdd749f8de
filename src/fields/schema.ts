import { FIELDS } from './registry.ts';

/** The create request's JSON Schema, derived from the registry (aliases included, unknown fields rejected). */
export function createRecordSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const field of FIELDS) {
    if (!field.input) continue;
    const described = { ...field.input, description: field.description };
    properties[field.name] = described;
    for (const alias of field.aliases ?? []) {
      properties[alias] = { ...field.input, description: `Old name of ${field.name}; ${field.name} wins when both are sent.` };
    }
  }
  return { type: 'object', additionalProperties: false, properties };
}

/** The JSON Schema of a returned record, derived from the registry. */
export function recordOutputSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const field of FIELDS) {
    if (field.output) properties[field.name] = { ...field.output, description: field.description };
  }
  return { type: 'object', properties };
}
