import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: { id: string; type: string; timestamp: string; data: Record<string, unknown> & { companyId: string } };
}

/** What the receiver does with the n-th request (0-based): answer with a status, or never answer. */
export type Answer = number | 'hang';

/**
 * A real HTTP server on 127.0.0.1 standing in for an operator's webhook endpoint. It records
 * every request, answers each as `answer` says, and lets a test await a count of requests.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    public answer: (index: number, request: ReceivedWebhook) => Answer,
  ) {}

  static async start(answer: (index: number, request: ReceivedWebhook) => Answer = () => 200): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server, answer);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const received: ReceivedWebhook = { headers: request.headers, body, json: JSON.parse(body) as ReceivedWebhook['json'] };
        const reply = receiver.answer(receiver.received.length, received);
        receiver.received.push(received);
        if (reply === 'hang') receiver.hanging.add(response);
        else response.writeHead(reply, { 'content-type': 'text/plain' }).end(reply < 300 ? 'ok' : 'no');
        for (const wake of receiver.waiters) wake();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  ofType(type: string): ReceivedWebhook[] {
    return this.received.filter((request) => request.json.type === type);
  }

  /** Resolves when `check` holds after a request arrives (or already holds); bounded. */
  async until(what: string, check: (receiver: WebhookReceiver) => boolean, timeoutMs = 10_000): Promise<void> {
    if (check(this)) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        reject(
          new Error(
            `webhook receiver: ${what} not within ${timeoutMs} ms (${this.received.length} requests: ${this.received.map((r) => r.json.type).join(', ')})`,
          ),
        );
      }, timeoutMs);
      const wake = () => {
        if (!check(this)) return;
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close').catch(() => undefined);
  }
}
