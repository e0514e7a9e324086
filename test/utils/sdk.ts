import {
  createClient,
  MemoryStorage,
  type ClientOptions,
  type EnvelopeOf,
  type NamespaceHandle,
  type NamespaceName,
  type ResyncReason,
  type StateChange,
  type SubscribedInfo,
  type SwitchboardClient,
  type SwitchboardError,
} from '../../packages/client/src/index.js';

const clients = new Set<SwitchboardClient>();

export type SdkOptions = Omit<ClientOptions, 'url'> & { readonly url?: string };

/**
 * A real @switchboard/client against `url`, with a fast backoff for tests and its own memory
 * storage unless one is given. Every client is closed by closeSdkClients().
 */
export function sdkClient(url: string, options: SdkOptions): SwitchboardClient {
  const client = createClient({
    reconnect: { baseDelayMs: 100, maxDelayMs: 1000 },
    storage: new MemoryStorage(),
    ...options,
    url,
  });
  clients.add(client);
  return client;
}

export function closeSdkClients(): void {
  for (const client of clients) client.close();
  clients.clear();
}

/** Waits on a condition re-checked whenever the subclass reports a change. */
export class Waitable {
  private readonly waiters = new Set<() => void>();

  protected changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  until(predicate: () => boolean, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`condition not met within ${timeoutMs} ms ${describe()}`));
      }, timeoutMs);
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}

/** Records what an application sees through the SDK: events, resyncs, errors and state changes. */
export class Recorder<N extends NamespaceName = NamespaceName> extends Waitable {
  readonly events: EnvelopeOf<N>[] = [];
  readonly resyncs: { channel: string; reason: ResyncReason; seq: number }[] = [];
  readonly errors: SwitchboardError[] = [];
  readonly states: (StateChange & { at: number })[] = [];
  /** Subscribe acks, per channel, in order. */
  readonly subscribed: (SubscribedInfo & { channel: string; at: number })[] = [];

  /** Options for createClient that feed this recorder. */
  get hooks(): Pick<ClientOptions, 'onResync' | 'onError'> {
    return {
      onResync: (channel, reason, context) => {
        this.resyncs.push({ channel, reason, seq: context.position.seq });
        this.changed();
      },
      onError: (error) => {
        this.errors.push(error);
        this.changed();
      },
    };
  }

  /** Follows `channel` on `handle`, recording every event and every subscribe ack. */
  follow(handle: NamespaceHandle<N>, channel: string): () => void {
    return handle.subscribe(
      channel,
      (event) => {
        this.events.push(event);
        this.changed();
      },
      {
        onSubscribed: (info) => {
          this.subscribed.push({ ...info, channel, at: Date.now() });
          this.changed();
        },
      },
    );
  }

  /** Resolves once `channel` has had `count` subscribe acks in all. */
  subscribedTo(channel: string, count = 1, timeoutMs = 10_000): Promise<void> {
    return this.waitFor((r) => r.subscribed.filter((info) => info.channel === channel).length >= count, timeoutMs);
  }

  watch(handle: NamespaceHandle<N>): this {
    handle.onState((change) => {
      this.states.push({ ...change, at: Date.now() });
      this.changed();
    });
    return this;
  }

  seqs(channel?: string): number[] {
    return this.events.filter((event) => channel === undefined || event.channel === channel).map((event) => event.seq);
  }

  ids(): Set<string> {
    return new Set(this.events.map((event) => event.id));
  }

  waitFor(predicate: (recorder: this) => boolean, timeoutMs = 10_000): Promise<void> {
    return this.until(
      () => predicate(this),
      timeoutMs,
      () =>
        `(events ${JSON.stringify(this.seqs())}, resyncs ${JSON.stringify(this.resyncs)}, errors ${this.errors.map((e) => e.code).join(',')}, states ${this.states.map((s) => s.state).join(',')})`,
    );
  }

  /** Records a change the test made itself (so waiters re-check). */
  touch(): void {
    this.changed();
  }
}

/** Resolves on the next state change of `handle` that matches. */
export function nextState<N extends NamespaceName>(
  handle: NamespaceHandle<N>,
  state: StateChange['state'],
  timeoutMs = 10_000,
): Promise<StateChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${state} state within ${timeoutMs} ms (now ${handle.state})`));
    }, timeoutMs);
    const off = handle.onState((change) => {
      if (change.state !== state) return;
      clearTimeout(timer);
      off();
      resolve(change);
    });
  });
}
