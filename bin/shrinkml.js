#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli (compiled to dist/). Kept as plain JS so `npm link`/`npx` work without tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('shrinkml: the build is missing (dist/); run `npm run build` in the shrinkml folder\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
