import { Manager, type ManagerOptions, type SocketOptions } from 'socket.io-client';
import type { BackoffOptions } from './backoff.js';
import { SwitchboardError } from './errors.js';
import { NamespaceHandle, type HandleContext } from './namespace-handle.js';
import { PresenceKeeper } from './presence.js';
import { PrintAgent, type PrintAgentOptions } from './print-agent.js';
import { browserStorage, MemoryStorage, type KeyValueStorage } from './storage.js';
import { TokenSource, type TokenOptions } from './token-source.js';
import type { ErrorContext, NamespaceName, ResyncContext, ResyncReason } from './types.js';
import { WakeDetector, type WakeOptions, type WakeReason } from './wake.js';

export interface ClientOptions extends TokenOptions {
  /** The server's base URL, e.g. `https://rt.example.com` (namespaces are added to it). */
  readonly url: string;
  /**
   * Where channel positions (and a print agent's journal) are kept, so a page reload or an app
   * restart resumes where it left off. Default: localStorage in browsers, memory elsewhere;
   * `FileStorage` from `@switchboard/client/node` for Node and Electron's main process.
   */
  readonly storage?: KeyValueStorage;
  /** Separates positions of clients that share a storage and a user (two views in one origin). */
  readonly storageScope?: string;
  /** A channel's state must be reloaded from your source of truth; events after `context.position` follow. */
  readonly onResync?: (channel: string, reason: ResyncReason, context: ResyncContext) => void | Promise<void>;
  /** Everything that went wrong and was handled: refused connections, failed subscriptions, handler errors, getToken() failures. */
  readonly onError?: (error: SwitchboardError, context: ErrorContext) => void;
  /** Reconnection backoff (full jitter): first ceiling `baseDelayMs` (500), at most `maxDelayMs` (30 s). */
  readonly reconnect?: BackoffOptions;
  /** Default 20 s. */
  readonly connectTimeoutMs?: number;
  /** How long subscribe and request() wait for an ack. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** Sleep/wake and online detection; false turns it off. */
  readonly wake?: WakeOptions | false;
  /** Default `['websocket', 'polling']`: WebSocket first, long-polling where WebSocket is blocked. */
  readonly transports?: ('websocket' | 'polling')[];
  /** Extra Socket.IO manager options (`path`, `extraHeaders`, `withCredentials`, …). */
  readonly socket?: Partial<ManagerOptions & SocketOptions>;
}

export interface SwitchboardClient {
  /** The handle of one namespace (one per name; it connects at once and stays connected). */
  namespace<N extends NamespaceName>(name: N): NamespaceHandle<N>;
  /** The printing-agent helper on /printing-ws (one per client). */
  printAgent(options?: PrintAgentOptions): PrintAgent;
  /** The presence helper on /presence (one per client): keeps a status applied and heartbeated. */
  presence(): PresenceKeeper;
  /** Check every connection now, as after a wake (e.g. from Electron's powerMonitor `resume`). */
  wake(): Promise<void>;
  close(): void;
}

/**
 * Creates a client. Namespaces share one Engine.IO connection (Socket.IO multiplexing) and one
 * token; each keeps its own subscriptions and reconnects on its own.
 */
export function createClient(options: ClientOptions): SwitchboardClient {
  const url = options.url.replace(/\/+$/, '');
  if (!/^(https?|wss?):\/\/[^/]/.test(url)) throw new TypeError(`createClient: url must be an http(s) URL, got "${options.url}"`);
  const report = (error: SwitchboardError, namespace?: NamespaceName) =>
    options.onError?.(error, namespace === undefined ? {} : { namespace });
  const tokens = new TokenSource(options, (error) => report(error));
  const manager = new Manager(url, {
    autoConnect: false,
    reconnection: false,
    transports: options.transports ?? ['websocket', 'polling'],
    tryAllTransports: true,
    ...options.socket,
  });
  const storage = options.storage ?? browserStorage() ?? new MemoryStorage();
  const context: HandleContext = {
    manager,
    tokens,
    storage,
    serverKey: url,
    storageScope: options.storageScope ?? '',
    connection: {
      ...(options.reconnect ? { backoff: options.reconnect } : {}),
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    },
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    ...(options.onResync ? { onResync: options.onResync } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  };
  const handles = new Map<NamespaceName, NamespaceHandle<NamespaceName>>();
  let agent: PrintAgent | undefined;
  let presence: PresenceKeeper | undefined;
  let closed = false;
  const wakeAll = (reason: WakeReason) => Promise.all([...handles.values()].map((handle) => handle.wake(reason))).then(() => undefined);
  const detector = options.wake === false ? undefined : new WakeDetector((reason) => void wakeAll(reason), options.wake);

  const client: SwitchboardClient = {
    namespace<N extends NamespaceName>(name: N): NamespaceHandle<N> {
      if (closed) throw new SwitchboardError('CLOSED', 'this client was closed');
      let handle = handles.get(name) as NamespaceHandle<N> | undefined;
      if (!handle) {
        handle = new NamespaceHandle(name, context);
        handles.set(name, handle as unknown as NamespaceHandle<NamespaceName>);
      }
      return handle;
    },
    printAgent(agentOptions = {}) {
      agent ??= new PrintAgent(
        client.namespace('printing-ws'),
        storage,
        [url, 'printing-ws', context.storageScope],
        agentOptions,
        (error) => report(error, 'printing-ws'),
      );
      return agent;
    },
    presence() {
      presence ??= new PresenceKeeper(client.namespace('presence'), (error) => report(error, 'presence'));
      return presence;
    },
    wake: () => wakeAll('manual'),
    close() {
      if (closed) return;
      closed = true;
      detector?.close();
      agent?.close();
      presence?.close();
      for (const handle of handles.values()) handle.close();
      tokens.close();
    },
  };
  return client;
}
