import { AppError, type ErrorDetail } from '../errors.ts';
import { validateCreateBody, type CreateInput } from './validate.ts';

export const MAX_BATCH = 1000;

/**
 * Validates a batch body {"records": [create bodies]} with the create validator, item by item. Every bad
 * item is listed (fields as records.<index>.<field>); any problem rejects the whole batch.
 */
export function validateBatchBody(body: unknown): CreateInput[] {
  const reject = (message: string, field = 'records'): never => {
    throw new AppError('validation_error', message, [{ field, message }]);
  };
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    reject('The body must be a JSON object {"records": [...]}', '(body)');
  const { records, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw new AppError(
      'validation_error',
      `Unknown body field(s): ${unknown.join(', ')}`,
      unknown.map((field) => ({ field, message: 'unknown field' })),
    );
  }
  if (!Array.isArray(records)) return reject('"records" must be an array of create bodies');
  if (records.length === 0) reject('"records" must hold at least one record');
  if (records.length > MAX_BATCH) reject(`"records" holds ${records.length} records; at most ${MAX_BATCH} per batch`);
  const inputs: CreateInput[] = [];
  const details: ErrorDetail[] = [];
  records.forEach((item, i) => {
    try {
      inputs.push(validateCreateBody(item));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      for (const d of err.details)
        details.push({ field: d.field === '(body)' ? `records.${i}` : `records.${i}.${d.field}`, message: d.message });
    }
  });
  if (details.length > 0) {
    const bad = new Set(details.map((d) => d.field!.split('.')[1])).size;
    throw new AppError('validation_error', `${bad} of ${records.length} record(s) are invalid; nothing was stored`, details);
  }
  return inputs;
}
