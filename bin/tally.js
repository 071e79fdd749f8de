#!/usr/bin/env node
// Entry point for `npx tally ...`: runs the TypeScript CLI through tsx, a project dependency.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
