import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../utils/eventually';
import { getJson, postJson } from '../utils/http';
import { ROOT } from '../utils/server-process';
import { createTestApp, type TestApp } from '../utils/test-app';
import { tokenFromCli } from '../utils/token-cli';
import { serviceToken } from '../utils/tokens';

const AGENT = join(ROOT, 'examples', 'print-agent', 'agent.mjs');

/** examples/print-agent/agent.mjs as a real process, with its JSON log lines (stderr) parsed as they come. */
class AgentProcess {
  readonly lines: Record<string, unknown>[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [AGENT, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffer = '';
    this.child.stderr?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ event: 'raw', line });
        }
      }
    });
    this.child.stdout?.resume();
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  events(name: string): Record<string, unknown>[] {
    return this.lines.filter((line) => line.event === name);
  }

  waitFor(name: string, count = 1): Promise<void> {
    return eventually(`agent ${name} ×${count} (log: ${JSON.stringify(this.lines)})`, () => this.events(name).length >= count, 15_000);
  }

  /** Resolves with the exit code once the process ended by itself. */
  exit(): Promise<number | null> {
    return this.exited;
  }

  async stop(signal: NodeJS.Signals): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

describe('examples/print-agent against a real server', () => {
  let server: TestApp;
  const running: AgentProcess[] = [];
  const start = (args: string[]) => {
    const agent = new AgentProcess(args);
    running.push(agent);
    return agent;
  };
  const ticket = (jobId: string, text: string) => ({
    jobId,
    branchId: 'b1',
    printerId: 'kitchen-1',
    document: { contentType: 'text/plain', data: text },
  });
  const status = async (jobId: string) =>
    (await getJson<{ status: string }>(`${server.url}/v1/print-jobs/${jobId}`, serviceToken())).body.status;

  beforeAll(async () => {
    server = await createTestApp();
  });
  afterAll(async () => {
    for (const agent of running) await agent.stop('SIGKILL');
    await server.close();
  });

  it('prints to files, survives kill -9, prints what came while it was down, never prints twice, stops cleanly', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-tickets-'));
    const state = mkdtempSync(join(tmpdir(), 'sb-agent-state-'));
    // Minted as the example's README says.
    const token = tokenFromCli(['--company', 'acme', '--branch', 'b1', '--role', 'printer-agent', '--sub', 'till-1']);
    const first = start(['--url', server.url, '--token', token, '--out', out, '--state', state]);
    await first.waitFor('registered');
    for (const [jobId, text] of [
      ['k-1', '2 x fries'],
      ['k-2', '1 x shake'],
    ]) {
      expect((await postJson(`${server.url}/v1/print-jobs`, ticket(jobId, text), serviceToken())).status).toBe(202);
    }
    await first.waitFor('printed', 2);
    await eventually('reported', async () => (await status('k-1')) === 'printed' && (await status('k-2')) === 'printed', 10_000);
    expect(readFileSync(join(out, 'k-1.txt'), 'utf8')).toBe('2 x fries');
    await first.stop('SIGKILL');

    expect((await postJson(`${server.url}/v1/print-jobs`, ticket('k-3', '3 x tea'), serviceToken())).status).toBe(202);
    // Started again with a token command instead of a fixed token: the getToken() path.
    const second = start(['--url', server.url, '--token-command', `echo ${token}`, '--out', out, '--state', state]);
    await second.waitFor('printed');
    await eventually('k-3 reported', async () => (await status('k-3')) === 'printed', 10_000);
    expect(second.events('printed').map((line) => line.jobId)).toEqual(['k-3']);
    expect(readdirSync(out).sort()).toEqual(['k-1.txt', 'k-2.txt', 'k-3.txt']);
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 60_000);

  it('refuses to start without a token, with its usage', async () => {
    const agent = start(['--url', server.url]);
    expect(await agent.exit()).toBe(2);
    expect(JSON.stringify(agent.lines)).toMatch(/a token is needed/);
  });
});
