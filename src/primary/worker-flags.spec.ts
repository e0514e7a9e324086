import { createRequire } from 'node:module';
import { join } from 'node:path';
import { WORKER_NODE_FLAGS, workerExecArgv } from './worker-flags';

describe('worker flags', () => {
  it('turns off concurrent marking for a worker that owns one core', () => {
    expect(WORKER_NODE_FLAGS).toEqual(['--no-concurrent-marking']);
  });

  it("adds them after the primary's own flags, once", () => {
    expect(workerExecArgv(['--enable-source-maps'])).toEqual(['--enable-source-maps', '--no-concurrent-marking']);
    expect(workerExecArgv(['--no-concurrent-marking'])).toEqual(['--no-concurrent-marking']);
  });

  it("are what PM2's cluster mode starts each instance with (ecosystem.config.js)", () => {
    const require = createRequire(join(process.cwd(), 'package.json'));
    const ecosystem = require('./ecosystem.config.js') as { apps: { name: string; node_args?: string }[] };
    const clusterMode = ecosystem.apps.find((app) => app.name === 'switchboard-ws');
    expect(clusterMode?.node_args?.split(' ')).toEqual([...WORKER_NODE_FLAGS]);
  });
});
