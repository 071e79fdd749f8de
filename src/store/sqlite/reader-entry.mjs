// A reader thread's entry point when run from TypeScript (see writer-entry.mjs).
import { register } from 'tsx/esm/api';
register();
await import('./reader.ts');
