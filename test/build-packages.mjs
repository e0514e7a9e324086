// Jest globalSetup: builds packages/client/dist once per run, before any suite. Suites that use
// the published shape (the package test, browser pages, the example agent) then share one build
// instead of racing to rebuild it.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function buildPackages() {
  const build = fileURLToPath(new URL('../packages/client/build.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [build], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building @switchboard/client failed:\n${result.stdout}${result.stderr}`);
}
