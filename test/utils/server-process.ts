import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './redis-server';

export const ROOT = join(__dirname, '..', '..');
export const RUN_BUILT = join(ROOT, 'scripts', 'run-built.mjs');

/** Environment for a child process: no inherited config, so the machine's variables cannot leak in. */
export function envWith(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...vars };
}

/** Compiles dist/ for suites that start real server processes, when it is missing or stale (as `npm start` would). */
export function buildOnce(): void {
  const build = spawnSync(process.execPath, [RUN_BUILT, '--build-only'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);
}

export interface ServerProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  output(): string;
  /** SIGTERM, resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process dies without any cleanup. */
  kill9(): Promise<void>;
}

/**
 * Starts `dist/main.js` as `npm start` would, resolving once it logs that it listens on 127.0.0.1.
 * `port` restarts a server where its clients expect it.
 */
export async function startServerProcess(vars: Record<string, string>, options: { port?: number } = {}): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, [RUN_BUILT, 'dist/main.js'], {
    cwd: ROOT,
    env: envWith({ PORT: String(port), HOST: '127.0.0.1', LOG_FORMAT: 'json', ...vars }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    return exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start:\n${output}`)), 30_000);
      child.stdout?.on('data', () => {
        if (!output.includes('listening on')) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', () => reject(new Error(`exited:\n${output}`)));
    });
  } catch (error) {
    await signal('SIGKILL');
    throw error;
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    output: () => output,
    stop: () => signal('SIGTERM'),
    kill9: async () => {
      await signal('SIGKILL');
    },
  };
}
