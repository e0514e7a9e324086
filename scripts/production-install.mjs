#!/usr/bin/env node
// The production dependencies of the server, installed in the current directory (which holds
// package.json and package-lock.json): the Docker image's deps stage runs this, and
// test/ops/production-install runs it the same way. No dev dependency, no workspace (the SDK and
// the examples), no install script.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const install = spawnSync('npm', ['ci', '--omit=dev', '--workspaces=false', '--ignore-scripts', '--no-audit', '--no-fund'], {
  stdio: 'inherit',
});
if (install.status !== 0) process.exit(install.status ?? 1);

// @nestjs/swagger declares TypeScript as an optional peer (for its CLI plugin, which the server
// does not load). npm resolves that peer with our own dev dependency and so installs it, 23 MB
// that nothing at runtime uses: removed here.
for (const path of ['node_modules/typescript', 'node_modules/.bin/tsc', 'node_modules/.bin/tsserver']) {
  rmSync(path, { recursive: true, force: true });
}
