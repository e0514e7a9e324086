#!/usr/bin/env node
// Prints the README's configuration table from the config schema (run `npm run build` first).
// The unit test src/config/config.schema.spec.ts fails when the README drifts from the schema.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { ENV } = require('../dist/config/config.schema.js');
process.stdout.write('| Variable | Default | Meaning |\n| --- | --- | --- |\n');
for (const spec of Object.values(ENV)) {
  process.stdout.write(`| \`${spec.name}\` | ${spec.default === undefined ? '(unset)' : `\`${spec.default}\``} | ${spec.doc} |\n`);
}
