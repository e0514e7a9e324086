import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeAllClients, connect } from '../utils/clients';
import { getJson, orderUpdated, publish } from '../utils/http';
import { freePort } from '../utils/redis-server';
import { buildOnce, envWith, ROOT } from '../utils/server-process';
import { staffToken, TEST_JWT_SECRET } from '../utils/tokens';

/**
 * What the Docker image's runtime stage holds, built the same way without Docker (no engine runs
 * on these machines): package.json, production dependencies only (scripts/production-install.mjs,
 * which the Dockerfile's deps stage runs too) and dist/. It must boot
 * in production mode and serve everything, with no development package present.
 */
describe('a production install (the Docker runtime stage)', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let output = '';
  let url: string;

  beforeAll(async () => {
    buildOnce();
    dir = mkdtempSync(join(tmpdir(), 'sb-prod-'));
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    copyFileSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
    const install = spawnSync(process.execPath, [join(ROOT, 'scripts', 'production-install.mjs')], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, NODE_ENV: 'production' },
    });
    if (install.status !== 0) throw new Error(`production install failed:\n${install.stdout}${install.stderr}`);
    cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });

    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['--enable-source-maps', 'dist/main.js'], {
      cwd: dir,
      // LOG_FORMAT=pretty on purpose: pino-pretty is not installed, so it must fall back to JSON.
      env: envWith({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, PORT: String(port), HOST: '127.0.0.1', LOG_FORMAT: 'pretty' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start:\n${output}`)), 30_000);
      child.stdout.on('data', () => {
        if (!output.includes('listening on')) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code}:\n${output}`));
      });
    });
  }, 300_000);

  afterAll(async () => {
    closeAllClients();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds no development package: not the pretty logger, the test client, the compiler or jest', () => {
    for (const name of ['pino-pretty', 'socket.io-client', 'typescript', 'jest', '@nestjs/testing', 'pm2', '@switchboard/client']) {
      expect([name, existsSync(join(dir, 'node_modules', name))]).toEqual([name, false]);
    }
  });

  it('boots in production, logs JSON when pretty logs were asked for, and serves health, the admin page and live events', async () => {
    expect(output).toContain('LOG_FORMAT=pretty needs pino-pretty');
    const line = output.split('\n').find((text) => text.includes('listening on')) as string;
    expect(() => JSON.parse(line) as unknown).not.toThrow();

    expect((await getJson(`${url}/health/ready`)).status).toBe(200);
    // The admin page's browser client comes from socket.io's own client-dist.
    const bundle = await fetch(`${url}/admin/socket.io.min.js`);
    expect(bundle.status).toBe(200);
    expect(await bundle.text()).toMatch(/Socket\.IO v4\.\d+\.\d+/);

    const client = await connect(url, '/orders', { token: staffToken() });
    expect(await client.subscribe('branch:b1')).toMatchObject({ ok: true });
    expect((await publish(url, orderUpdated('branch:b1', 1))).status).toBe(202);
    await client.until((c) => c.envelopes('branch:b1').length === 1);
  });
});
