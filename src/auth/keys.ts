import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys are random 192-bit secrets; only their SHA-256 is stored. A fast hash is enough for secrets of
 * that entropy (no dictionary to guess from), and a lookup by hash never compares secrets byte by byte.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `tly_${randomBytes(24).toString('base64url')}`;
}
