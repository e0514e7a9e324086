#!/usr/bin/env node
// Writes .env.example from the config schema: `npm run env:example` (builds first).
// src/config/env-example.spec.ts fails when the committed file drifts from the schema.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { renderEnvExample } = require('../dist/config/env-example.js');
writeFileSync(new URL('../.env.example', import.meta.url), renderEnvExample());
