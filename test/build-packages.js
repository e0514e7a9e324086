// Jest globalSetup: builds packages/client/dist once per run, before any suite. Suites that use
// the published shape (the package test, browser pages, the example agent) then share one build
// instead of racing to rebuild it.
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = function buildPackages() {
  const result = spawnSync(process.execPath, [join(__dirname, '..', 'packages', 'client', 'build.mjs')], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building @switchboard/client failed:\n${result.stdout}${result.stderr}`);
};
