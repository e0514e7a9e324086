#!/usr/bin/env node
// `npm test` runs this first (the `pretest` script). The suites use real parts: redis-server,
// haproxy, Chromium, openssl and promtool (Debian's prometheus package) from Debian's packages,
// and the machine's Postgres. Missing
// packages are installed when this process may (root, or passwordless sudo, as on CI);
// otherwise it stops at once with the one command to run. No suite is ever skipped for lack
// of a part.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { connect } from 'node:net';

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Debian package → whether this machine has it. */
const parts = {
  'redis-server': () => onPath('redis-server'),
  haproxy: () => onPath('haproxy'),
  chromium: () => executable('/usr/bin/chromium'),
  openssl: () => onPath('openssl'),
  // promtool checks and unit-tests deploy/prometheus/alerts.yml (test/e2e/alert-rules).
  prometheus: () => onPath('promtool'),
};

const missing = Object.entries(parts)
  .filter(([, present]) => !present())
  .map(([name]) => name);

if (missing.length > 0) {
  const root = process.getuid?.() === 0;
  const sudo = !root && onPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  const command = `${root ? '' : 'sudo '}apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (!(root || sudo) || !onPath('apt-get')) {
    process.stderr.write(`npm test needs ${missing.join(', ')}: run \`${command}\` (Debian/Ubuntu), then npm test again.\n`);
    process.exit(1);
  }
  process.stdout.write(`pretest: installing ${missing.join(' ')} from Debian's packages\n`);
  const run = (args) => {
    const result = spawnSync(root ? args[0] : 'sudo', root ? args.slice(1) : args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) {
      process.stderr.write(`pretest: \`${args.join(' ')}\` failed; run \`${command}\` by hand, then npm test again.\n`);
      process.exit(1);
    }
  };
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing]);
}

// The outbox suites create a database per suite on the machine's Postgres.
const postgres = await new Promise((resolve) => {
  const socket = connect(5432, '127.0.0.1');
  socket.setTimeout(2000, () => {
    socket.destroy();
    resolve(false);
  });
  socket.once('connect', () => {
    socket.end();
    resolve(true);
  });
  socket.once('error', () => resolve(false));
});
if (!postgres) {
  process.stderr.write(
    'npm test needs Postgres on 127.0.0.1:5432 with trust auth for user postgres (the outbox suites): `sudo apt-get install -y postgresql` and start it.\n',
  );
  process.exit(1);
}
