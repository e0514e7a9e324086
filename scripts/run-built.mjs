#!/usr/bin/env node
// Runs a compiled entry point, compiling first when dist/ is missing or older than the sources,
// so `npm start` works on a fresh clone and never runs stale code. `--build-only` just compiles
// when needed (tests use it, so that parallel suites never rewrite a fresh dist/ under each other).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// tsc rewrites every output on a build (and emits nothing on error), so main.js dates the build.
const stamp = join(root, 'dist', 'main.js');
const [entry, ...args] = process.argv.slice(2);
const buildOnly = entry === '--build-only';
if (!entry) {
  process.stderr.write('usage: run-built.mjs <dist entry> [args...]\n');
  process.exit(2);
}

function newestSource(dir) {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    newest = Math.max(newest, name.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const inputs = Math.max(
  newestSource(join(root, 'src')),
  statSync(join(root, 'tsconfig.json')).mtimeMs,
  statSync(join(root, 'tsconfig.build.json')).mtimeMs,
);
if (!existsSync(stamp) || (!buildOnly && !existsSync(join(root, entry))) || statSync(stamp).mtimeMs < inputs) {
  process.stderr.write('switchboard: building (dist/ is missing or older than src/)...\n');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

if (!buildOnly) {
  process.argv = [process.argv[0], join(root, entry), ...args];
  await import(pathToFileURL(join(root, entry)).href);
}
