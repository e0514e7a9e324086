// Jest globalSetup: builds the server's dist/ (when stale) and the packages' dist/ once per run,
// before any suite. Suites that start server processes or use the published SDK (the package
// test, browser pages, the example agent) then share these builds instead of racing to rebuild.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

function run(what, args) {
  const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building ${what} failed:\n${result.stdout}${result.stderr}`);
}

export default function buildPackages() {
  run('the server', [here('../scripts/run-built.mjs'), '--build-only']);
  run('@switchboard/client', [here('../packages/client/build.mjs')]);
  run('@switchboard/react', [here('../packages/react/build.mjs')]);
}
