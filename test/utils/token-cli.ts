import { spawnSync } from 'node:child_process';
import { ROOT } from './server-process';
import { TEST_JWT_SECRET } from './tokens';

/** A token from `npm run -s token -- <args>`, the way the README and the examples tell users to mint one. */
export function tokenFromCli(args: string[], secret = TEST_JWT_SECRET): string {
  const result = spawnSync('npm', ['run', '-s', 'token', '--', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, JWT_SECRET: secret },
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`npm run token failed:\n${result.stdout}${result.stderr}`);
  return result.stdout.trim();
}
