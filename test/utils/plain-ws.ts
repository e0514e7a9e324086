import WebSocket from 'ws';

/**
 * Parsed JSON as a test reads it: each test walks the path it asserts on, and the assertion is
 * the check (a typed model of every frame would only restate docs/protocol.md).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
export type LooseJson = any;

export interface WsFrame {
  readonly event?: string;
  readonly ack?: number;
  readonly data: LooseJson;
}

/**
 * A client of the plain WebSocket transport (`/v1/ws`): JSON frames in, recorded; `request`
 * sends a frame with an ack id and resolves with the answer.
 */
export class PlainWsClient {
  readonly frames: WsFrame[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private nextAck = 1;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse((data as Buffer).toString('utf8')) as WsFrame);
      this.wake();
    });
    socket.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = String(reason);
      this.wake();
    });
    socket.on('error', () => this.wake());
  }

  /** `autoPong: false`: a peer that has died without closing (it answers no ping). */
  static open(baseUrl: string, headers: Record<string, string> = {}, options: { autoPong?: boolean } = {}): Promise<PlainWsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/ws`, { headers, autoPong: options.autoPong ?? true });
      const client = new PlainWsClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused: ${response.statusCode}`)));
      socket.once('error', reject);
    });
  }

  /** Opens and authenticates (`auth` with a token) on a namespace; resolves with the `session` payload. */
  static async connect(baseUrl: string, namespace: string, token: string, options: { autoPong?: boolean } = {}): Promise<PlainWsClient> {
    const client = await PlainWsClient.open(baseUrl, {}, options);
    // A bound, not a speed check: the first answer goes through a worker the primary picks, on a
    // busy 2-core machine. (The "more than 5 s" once seen here was an `auth` frame the sticky
    // primary lost; test/e2e/sticky-handoff covers that.)
    const answer = await client.request('auth', { namespace, token }, 15_000);
    if (!answer.ok) throw new Error(`auth refused: ${JSON.stringify(answer)}`);
    return client;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** Sends `{event, data, ack}` and resolves with the answer's data. */
  async request(event: string, data?: unknown, timeoutMs = 5000): Promise<LooseJson> {
    const ack = this.nextAck++;
    this.send({ event, data, ack });
    const frame = await this.until(`ack of ${event}`, () => this.frames.find((f) => f.ack === ack), timeoutMs);
    return frame.data;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  until<T>(what: string, check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
      const test = () => {
        const value = check();
        if (value !== undefined && value !== false) {
          clearTimeout(timer);
          resolve(value);
        } else if (this.closeCode !== undefined) {
          clearTimeout(timer);
          reject(new Error(`${what}: closed first (${this.closeCode} ${this.closeReason})`));
        } else this.waiters.push(test);
      };
      test();
    });
  }

  /** The first frame with this event name, from index `from`. */
  next(event: string, from = 0, timeoutMs = 5000): Promise<WsFrame> {
    return this.until(`event ${event}`, () => this.frames.slice(from).find((f) => f.event === event), timeoutMs);
  }

  /** Resolves with the close code once the server closes the connection. */
  closed(timeoutMs = 5000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`close: not within ${timeoutMs} ms`)), timeoutMs);
      const test = () => {
        if (this.closeCode !== undefined) {
          clearTimeout(timer);
          resolve(this.closeCode);
        } else this.waiters.push(test);
      };
      test();
    });
  }

  close(): void {
    this.socket.terminate();
  }
}
