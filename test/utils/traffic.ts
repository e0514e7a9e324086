import type { Envelope } from '../../src/bus/envelope';
import { track, untrack } from './background';
import type { TestClient } from './clients';
import { publish } from './http';

/**
 * Publishes continuously to several channels through several nodes, one sequential loop per
 * channel (so "publish order" per channel is well defined), and records what was accepted.
 */
export class Traffic {
  /** Accepted (202, published or queued) event ids per channel, in publish order. */
  readonly accepted = new Map<string, string[]>();
  refused = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly nodeUrls: readonly string[],
    private readonly channels: readonly string[],
    private readonly perChannelPerSecond: number,
  ) {
    for (const channel of channels) this.accepted.set(channel, []);
  }

  /** Every id accepted so far (the backlog at a given moment). */
  snapshot(): Set<string> {
    return new Set([...this.accepted.values()].flat());
  }

  get total(): number {
    return [...this.accepted.values()].reduce((sum, ids) => sum + ids.length, 0);
  }

  start(): void {
    this.running = true;
    track(this);
    const interval = 1000 / this.perChannelPerSecond;
    this.loops = this.channels.map(async (channel, c) => {
      let next = Date.now();
      for (let i = 0; this.running && i < 100_000; i++) {
        const url = this.nodeUrls[(i + c) % this.nodeUrls.length];
        // A publish that gets no answer (its worker was killed mid-request) was not accepted.
        const result = await publish(url, {
          namespace: 'orders',
          channel,
          event: 'order:updated',
          data: { orderId: `${channel}-${i}` },
        }).catch(() => undefined);
        if (result?.status === 202) (this.accepted.get(channel) as string[]).push(result.body.id as string);
        else this.refused += 1;
        next += interval;
        const wait = next - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    untrack(this);
    await Promise.all(this.loops);
  }
}

export interface Verdict {
  /** Events accepted by the publish API that this client never received. */
  readonly missing: number;
  /** Seq gaps or reorderings left after applying the protocol's dedupe rule. */
  readonly gaps: number;
  /** Envelopes dropped by the dedupe rule (redelivered after a replay or catch-up). */
  readonly duplicatesDropped: number;
  readonly resets: number;
}

/**
 * Judges one client the way a real one works (docs/protocol.md §4): per channel, drop any
 * envelope with seq ≤ the last applied of the same epoch; what is applied must then be
 * contiguous, and contain every accepted id.
 */
export function judge(client: TestClient, traffic: Traffic): Verdict {
  const resets = client.events.filter(([event]) => event === 'channel:reset').length;
  return { ...judgeEnvelopes((channel) => client.envelopes(channel), traffic.accepted), resets };
}

/** The dedupe-and-check rule of judge() over any client's envelopes, by channel. */
export function judgeEnvelopes(
  envelopesOf: (channel: string) => readonly Envelope[],
  accepted: ReadonlyMap<string, readonly string[]>,
): Omit<Verdict, 'resets'> {
  let missing = 0;
  let gaps = 0;
  let duplicatesDropped = 0;
  for (const [channel, ids] of accepted) {
    let last: { epoch: string; seq: number } | undefined;
    const applied = new Set<string>();
    for (const envelope of envelopesOf(channel)) {
      if (last && envelope.epoch === last.epoch && envelope.seq <= last.seq) {
        duplicatesDropped += 1;
        continue;
      }
      if (last && envelope.epoch === last.epoch && envelope.seq !== last.seq + 1) gaps += 1;
      last = { epoch: envelope.epoch, seq: envelope.seq };
      applied.add(envelope.id);
    }
    missing += ids.filter((id) => !applied.has(id)).length;
  }
  return { missing, gaps, duplicatesDropped };
}

/** Resolves once `client` holds every id in `wanted` (default: all accepted so far), or rejects after `timeoutMs`. */
export function caughtUp(client: TestClient, traffic: Traffic, timeoutMs: number, wanted = traffic.snapshot()): Promise<void> {
  return client.until((c) => {
    const seen = new Set(c.envelopes().map((envelope) => envelope.id));
    for (const id of wanted) if (!seen.has(id)) return false;
    return true;
  }, timeoutMs);
}
