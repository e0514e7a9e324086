import { io, type Socket } from 'socket.io-client';
import type { Envelope, SessionPayload, SubscribeAck } from '../../src/realtime/realtime.events';

export interface ConnectOptions {
  readonly token?: string;
  readonly auth?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly transports?: ('websocket' | 'polling')[];
  /** Handlers attached before the connection opens, for events the server sends right after connect. */
  readonly listeners?: Record<string, (...args: never[]) => void>;
}

const sockets = new Set<Socket>();

function open(url: string, namespace: string, options: ConnectOptions): Socket {
  const socket = io(`${url}${namespace}`, {
    auth: options.auth ?? (options.token !== undefined ? { token: options.token } : {}),
    extraHeaders: options.headers,
    query: options.query,
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5000,
  });
  for (const [event, handler] of Object.entries(options.listeners ?? {})) socket.on(event, handler as (...args: unknown[]) => void);
  sockets.add(socket);
  return socket;
}

/** A connected client with every received event recorded in order. */
export interface TestClient {
  readonly socket: Socket;
  readonly session: SessionPayload;
  /** [eventName, firstArg] in arrival order, including `batch` and `channel:reset`. */
  readonly events: [string, unknown][];
  /** Why the connection closed, with the time (ms since epoch), each time it did (for failure messages). */
  readonly disconnects: { reason: string; at: number }[];
  /** Domain envelopes in arrival order, with `batch` unpacked. */
  envelopes(channel?: string): Envelope[];
  /** Resolves when `predicate` holds for the recorded events (re-checked on every event). */
  until(predicate: (client: TestClient) => boolean, timeoutMs?: number): Promise<void>;
  subscribe(channel: unknown, since?: unknown): Promise<SubscribeAck & Record<string, unknown>>;
  emitAck<T = Record<string, unknown>>(event: string, ...args: unknown[]): Promise<T>;
  close(): void;
}

/** Connects and resolves once the server's `session` event arrived (the connection is accepted and set up). */
export function connect(url: string, namespace: string, options: ConnectOptions = {}): Promise<TestClient> {
  const socket = open(url, namespace, options);
  const events: [string, unknown][] = [];
  const waiters = new Set<() => void>();
  const disconnects: { reason: string; at: number }[] = [];
  socket.on('disconnect', (reason) => disconnects.push({ reason, at: Date.now() }));
  socket.onAny((event: string, payload: unknown) => {
    events.push([event, payload]);
    for (const waiter of [...waiters]) waiter();
  });
  const client: TestClient = {
    socket,
    session: undefined as unknown as SessionPayload,
    events,
    disconnects,
    envelopes(channel) {
      const out: Envelope[] = [];
      for (const [event, payload] of events) {
        if (event === 'batch') out.push(...(payload as { events: Envelope[] }).events);
        else if (event.includes(':') && event !== 'channel:reset' && typeof payload === 'object' && payload && 'seq' in payload) {
          out.push(payload as Envelope);
        }
      }
      return channel === undefined ? out : out.filter((envelope) => envelope.channel === channel);
    },
    until(predicate, timeoutMs = 5000) {
      if (predicate(client)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`condition not met within ${timeoutMs} ms; events: ${JSON.stringify(events).slice(0, 2000)}`));
        }, timeoutMs);
        const check = () => {
          if (!predicate(client)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
      });
    },
    subscribe(channel, since) {
      return client.emitAck('subscribe', since === undefined ? { channel } : { channel, since });
    },
    emitAck<T>(event: string, ...args: unknown[]) {
      return socket.timeout(5000).emitWithAck(event, ...args) as Promise<T>;
    },
    close() {
      socket.disconnect();
      sockets.delete(socket);
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('session', (session: SessionPayload) => {
      (client as { session: SessionPayload }).session = session;
      resolve(client);
    });
    socket.once('connect_error', (error) => reject(error));
  });
}

/** Connects expecting refusal; resolves with the `connect_error` (message = code, data = body). */
export function connectError(
  url: string,
  namespace: string,
  options: ConnectOptions = {},
): Promise<Error & { data?: { code: string; message: string } }> {
  const socket = open(url, namespace, options);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connection was accepted')));
    socket.once('connect_error', (error) => {
      socket.disconnect();
      sockets.delete(socket);
      resolve(error);
    });
  });
}

/** Disconnects every client a suite opened (call in afterEach/afterAll). */
export function closeAllClients(): void {
  for (const socket of sockets) socket.disconnect();
  sockets.clear();
}
