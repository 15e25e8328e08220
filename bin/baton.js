#!/usr/bin/env node
// The `baton` command: runs the compiled CLI (built by `npm run build`, which `npm install` runs).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'cli', 'main.js');
if (!existsSync(entry)) {
  console.error(
    'baton: the compiled CLI is missing (dist/cli/main.js). Run `npm run build` in ' + root + '.',
  );
  process.exit(1);
}
await import(pathToFileURL(entry).href);
