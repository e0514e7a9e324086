import type { PrintJobPayload } from '../../src/printing/printing.events';
import { connect, type TestClient } from './clients';
import { signToken } from './tokens';

export type AgentPolicy = 'accept' | 'ignore' | 'refuse';

export interface ReceivedJob extends PrintJobPayload {
  readonly receivedAt: number;
}

/** A real socket.io-client printing agent that records every print:job and answers by policy. */
export class TestAgent {
  readonly jobs: ReceivedJob[] = [];
  policy: AgentPolicy;

  client!: TestClient;

  private constructor(policy: AgentPolicy) {
    this.policy = policy;
  }

  private onJob(job: PrintJobPayload, ack?: (answer: unknown) => void): void {
    this.jobs.push({ ...job, receivedAt: Date.now() });
    if (this.policy === 'accept') ack?.({ accepted: true });
    else if (this.policy === 'refuse') ack?.({ accepted: false, reason: 'printer jammed' });
  }

  static async connect(
    url: string,
    options: { sub?: string; company?: string; branch?: string; policy?: AgentPolicy } = {},
  ): Promise<TestAgent> {
    const token = signToken({
      sub: options.sub ?? 'agent-1',
      companyId: options.company ?? 'acme',
      branchIds: [options.branch ?? 'b1'],
      roles: ['printer-agent'],
    });
    const agent = new TestAgent(options.policy ?? 'accept');
    // Listen for print:job before the connection completes: pending jobs are sent right away.
    agent.client = await connect(url, '/printing-ws', {
      token,
      listeners: { 'print:job': (job: PrintJobPayload, ack?: (answer: unknown) => void) => agent.onJob(job, ack) },
    });
    return agent;
  }

  register(printers: { id: string; name?: string; kind?: string; status?: string }[], agentId?: string) {
    return this.client.emitAck<{ ok: boolean; pending: number }>('printers:register', {
      ...(agentId ? { agentId } : {}),
      printers: printers.map((printer) => ({ name: printer.id, kind: 'kitchen', status: 'ready', ...printer })),
    });
  }

  report(jobId: string, status: 'printed' | 'failed', error?: string) {
    return this.client.emitAck<{ ok: boolean; status?: string; error?: { code: string } }>('print:job-status', {
      jobId,
      status,
      ...(error ? { error } : {}),
    });
  }

  received(jobId?: string): ReceivedJob[] {
    return jobId === undefined ? this.jobs : this.jobs.filter((job) => job.jobId === jobId);
  }

  until(predicate: (agent: TestAgent) => boolean, timeoutMs = 5000): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.socket.off('print:job', check);
        reject(
          new Error(`agent condition not met within ${timeoutMs} ms; jobs: ${JSON.stringify(this.jobs.map((j) => [j.jobId, j.attempt]))}`),
        );
      }, timeoutMs);
      const check = () =>
        setImmediate(() => {
          if (!predicate(this)) return;
          clearTimeout(timer);
          this.client.socket.off('print:job', check);
          resolve();
        });
      this.client.socket.on('print:job', check);
    });
  }

  close(): void {
    this.client.close();
  }
}
