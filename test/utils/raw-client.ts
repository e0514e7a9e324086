import WebSocket from 'ws';

export interface RawOptions {
  /** Answer Engine.IO pings (default true). */
  readonly pong?: boolean;
  readonly headers?: Record<string, string>;
  readonly query?: string;
}

/**
 * A bare Engine.IO v4 / Socket.IO v5 client over `ws`, for frames no well-behaved client sends:
 * the corpus of hostile frames, slow readers, idle sessions.
 */
export class RawClient {
  readonly frames: (string | Buffer)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly ws: WebSocket,
    private readonly pong: boolean,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      const frame = isBinary ? (data as Buffer) : (data as Buffer).toString('utf8');
      if (frame === '2' && this.pong) ws.send('3');
      this.frames.push(frame);
      for (const waiter of [...this.waiters]) waiter();
    });
  }

  /** Opens the Engine.IO session; resolves after the server's open packet (`0{…}`). */
  static open(baseUrl: string, options: RawOptions = {}): Promise<RawClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket${options.query ?? ''}`;
    const ws = new WebSocket(url, { headers: options.headers, perMessageDeflate: false });
    const client = new RawClient(ws, options.pong ?? true);
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      client
        .until((frames) => frames.some((frame) => typeof frame === 'string' && frame.startsWith('0{')), 5000)
        .then(() => resolve(client), reject);
    });
  }

  /** Joins a namespace with a token; resolves on the CONNECT answer (`40/ns,{sid}` or `44/ns,{error}`). */
  async join(namespace: string, token: string): Promise<string> {
    this.send(`40${namespace},${JSON.stringify({ token })}`);
    await this.until(
      (frames) =>
        frames.some((frame) => typeof frame === 'string' && (frame.startsWith(`40${namespace},`) || frame.startsWith(`44${namespace},`))),
      5000,
    );
    return this.frames.find(
      (frame) => typeof frame === 'string' && (frame.startsWith(`40${namespace},`) || frame.startsWith(`44${namespace},`)),
    ) as string;
  }

  send(frame: string | Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Stops reading from the TCP socket: the server's send buffer fills up, as with a stuck client. */
  stopReading(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  until(predicate: (frames: (string | Buffer)[]) => boolean, timeoutMs: number): Promise<void> {
    if (predicate(this.frames)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`raw client: condition not met within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      const check = () => {
        if (!predicate(this.frames)) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  close(): void {
    this.ws.terminate();
  }
}
