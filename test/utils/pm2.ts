import { execFile, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { envWith, ROOT } from './server-process';

const run = promisify(execFile);
const PM2 = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

export interface Pm2Process {
  readonly name: string;
  readonly pid: number;
  readonly status: string;
  readonly restarts: number;
}

/**
 * A private PM2 daemon (PM2_HOME in a temporary folder) driving ecosystem.config.js exactly as
 * docs/operations.md does. `kill()` stops the daemon and everything it started.
 */
export class Pm2 {
  readonly home = mkdtempSync(join(tmpdir(), 'sb-pm2-'));

  constructor(private readonly env: Record<string, string>) {}

  async pm2(...args: string[]): Promise<string> {
    const { stdout } = await run(process.execPath, [PM2, ...args], {
      cwd: ROOT,
      env: envWith({ PM2_HOME: this.home, ...this.env }),
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  }

  async list(): Promise<Pm2Process[]> {
    const raw = JSON.parse(await this.pm2('jlist')) as { name: string; pid: number; pm2_env: { status: string; restart_time: number } }[];
    return raw.map((app) => ({ name: app.name, pid: app.pid, status: app.pm2_env.status, restarts: app.pm2_env.restart_time }));
  }

  /** What the app wrote, for failure messages. */
  logs(name: string): string {
    const read = (file: string) => {
      try {
        return readFileSync(join(this.home, 'logs', file), 'utf8');
      } catch {
        return '';
      }
    };
    return read(`${name}-out.log`) + read(`${name}-error.log`);
  }

  /** Stops the daemon; the apps' logs are kept in <tmpdir>/switchboard-pm2-logs for a failed run's post-mortem. */
  async kill(): Promise<void> {
    await this.pm2('kill').catch(() => undefined);
    const kept = join(tmpdir(), 'switchboard-pm2-logs');
    rmSync(kept, { recursive: true, force: true });
    cpSync(join(this.home, 'logs'), kept, { recursive: true });
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** The child processes of `pid` (a sticky primary's workers), from ps. */
export function childPids(pid: number): number[] {
  const out = spawnSync('ps', ['--ppid', String(pid), '-o', 'pid='], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((child) => Number.isInteger(child) && child > 0);
}
