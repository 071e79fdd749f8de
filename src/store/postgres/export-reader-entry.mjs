// The export thread's entry point when run from TypeScript (see ../sqlite/writer-entry.mjs).
import { register } from 'tsx/esm/api';
register();
await import('./export-reader.ts');
