import { spawnSync } from 'node:child_process';
import jwt from 'jsonwebtoken';
import { DEVELOPMENT_JWT_SECRET } from '../../src/config';
import { RedisServer } from '../utils/redis-server';
import { buildOnce, envWith, ROOT, RUN_BUILT, startServerProcess } from '../utils/server-process';

function run(entry: string, vars: Record<string, string>, args: string[] = []) {
  return spawnSync(process.execPath, [RUN_BUILT, entry, ...args], { cwd: ROOT, env: envWith(vars), encoding: 'utf8', timeout: 120_000 });
}

/** The real `npm start` path: compiled server, real process, real environment. */
describe('the server process', () => {
  beforeAll(() => {
    // Compiles once if dist/ is stale; every later start in this suite is then just a start.
    buildOnce();
  }, 120_000);

  it('exits 1 at boot with one line per bad variable, naming each', () => {
    const result = run('dist/main.js', { PORT: 'x', HISTORY_SIZE: '-1', REDIS_URL: 'mysql://db' });
    expect(result.status).toBe(1);
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('config error: '));
    expect(lines.map((line) => line.slice('config error: '.length).split(':')[0]).sort()).toEqual(['HISTORY_SIZE', 'PORT', 'REDIS_URL']);
  });

  it('refuses to start in production without a JWT key, saying so', () => {
    const result = run('dist/main.js', { NODE_ENV: 'production', PORT: '0' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/JWT_SECRET: required when NODE_ENV=production/);
  });

  it('starts on the embedded engine with a loud development-key warning, serves health, and exits 0 on SIGTERM', async () => {
    const server = await startServerProcess({});
    try {
      expect(server.output()).toMatch(/DEVELOPMENT secret/);
      expect(server.output()).toMatch(/engine: embedded memory/);
      const ready = await fetch(`http://127.0.0.1:${server.port}/health/ready`);
      expect(ready.status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 60_000);

  it('starts on the Redis engine when REDIS_URL is set', async () => {
    const redis = await RedisServer.start();
    const server = await startServerProcess({ REDIS_URL: redis.url, JWT_SECRET: 'a-real-secret-of-at-least-32-characters!!' });
    try {
      expect(server.output()).toMatch(/engine: redis/);
      expect(server.output()).not.toMatch(/DEVELOPMENT secret/);
      const ready = (await (await fetch(`http://127.0.0.1:${server.port}/health/ready`)).json()) as {
        details: { bus: { engine: string } };
      };
      expect(ready.details.bus.engine).toBe('redis');
    } finally {
      expect(await server.stop()).toBe(0);
      await redis.stop();
    }
  }, 60_000);

  it('`npm run token` prints a development JWT with the requested claims', () => {
    const result = run('dist/auth/token.cli.js', {}, ['--company', 'acme', '--branch', 'b1', '--role', 'staff']);
    expect(result.status).toBe(0);
    const claims = jwt.verify(result.stdout.trim(), DEVELOPMENT_JWT_SECRET, { algorithms: ['HS256'] }) as Record<string, unknown>;
    expect(claims).toMatchObject({ companyId: 'acme', branchIds: ['b1'], roles: ['staff'], sub: 'dev-staff', exp: expect.any(Number) });
  });

  it('`npm run token` refuses unknown roles', () => {
    const result = run('dist/auth/token.cli.js', {}, ['--company', 'acme', '--role', 'root']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown role "root"/);
  });
});
