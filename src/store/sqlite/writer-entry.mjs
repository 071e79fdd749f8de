// The writer thread's entry point. Worker threads do not inherit the parent's `--import tsx` hooks on
// Node 20, so this plain-JS file registers tsx before loading the TypeScript writer (as bin/tally.js does).
import { register } from 'tsx/esm/api';
register();
await import('./writer.ts');
