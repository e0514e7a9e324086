import { connect, type TestClient } from './clients';
import { createTestApp, type TestApp } from './test-app';
import { staffToken } from './tokens';
import { judgeEnvelopes, type Traffic } from './traffic';

export interface Accounting {
  accepted: number;
  delivered: number;
  /** Accepted events a client never got on a channel that told it EPOCH_CHANGED (explicit). */
  lostWithReset: number;
  /** Accepted events a client never got, with no reset for that channel: must be 0. */
  silentlyMissing: number;
  gaps: number;
  epochChanges: number;
}

/**
 * Per client and channel: what it applied by the protocol's dedupe rule, what it missed, and
 * whether the channel told it so (channel:reset, EPOCH_CHANGED). A miss without a reset is silent.
 */
export function account(clients: readonly TestClient[], traffic: Traffic, channels: readonly string[]): Accounting {
  const result: Accounting = { accepted: traffic.total, delivered: 0, lostWithReset: 0, silentlyMissing: 0, gaps: 0, epochChanges: 0 };
  for (const client of clients) {
    const resets = client.events
      .filter(([event]) => event === 'channel:reset')
      .map(([, payload]) => payload as { channel: string; reason: string });
    result.epochChanges += resets.filter((reset) => reset.reason === 'EPOCH_CHANGED').length;
    for (const channel of channels) {
      const verdict = judgeEnvelopes((name) => client.envelopes(name), new Map([[channel, traffic.accepted.get(channel) ?? []]]));
      const told = resets.some((reset) => reset.channel === channel && reset.reason === 'EPOCH_CHANGED');
      result.delivered += (traffic.accepted.get(channel)?.length ?? 0) - verdict.missing;
      result.gaps += verdict.gaps;
      if (told) result.lostWithReset += verdict.missing;
      else result.silentlyMissing += verdict.missing;
    }
  }
  return result;
}

/** Two app nodes on `env`'s Redis, each with `perNode` /orders clients of company acme subscribed to every channel. */
export async function subscribedNodes(
  env: Record<string, string>,
  channels: readonly string[],
  branches: string[],
  perNode: number,
): Promise<{ nodes: TestApp[]; clients: TestClient[] }> {
  const nodes = [await createTestApp(env), await createTestApp(env)];
  const clients: TestClient[] = [];
  for (const node of nodes) {
    for (let i = 0; i < perNode; i++) {
      const client = await connect(node.url, '/orders', { token: staffToken('acme', branches) });
      for (const channel of channels) {
        const ack = await client.subscribe(channel);
        if (!ack.ok) throw new Error(`subscribe ${channel}: ${JSON.stringify(ack)}`);
      }
      clients.push(client);
    }
  }
  return { nodes, clients };
}

/**
 * Where a silent loss sits, for the failure message: per client (with its node) and channel,
 * how many accepted events it lacks, the positions of the first and last missing one in the
 * accepted order, and the last seq it holds. One line per client and channel that lacks any.
 */
export function describeMissing(clients: readonly TestClient[], traffic: Traffic, channels: readonly string[], perNode: number): string[] {
  const lines: string[] = [];
  clients.forEach((client, index) => {
    for (const channel of channels) {
      const accepted = traffic.accepted.get(channel) ?? [];
      const envelopes = client.envelopes(channel);
      const seen = new Set(envelopes.map((envelope) => envelope.id));
      const missing = accepted.map((id, position) => (seen.has(id) ? -1 : position)).filter((position) => position >= 0);
      if (missing.length === 0) continue;
      const last = envelopes.at(-1);
      lines.push(
        `client ${index} (node ${Math.floor(index / perNode)}) ${channel}: missing ${missing.length} of ${accepted.length}, ` +
          `positions ${missing[0]}..${missing.at(-1)}, last held seq ${last?.seq ?? '-'} epoch ${last?.epoch ?? '-'}, ` +
          `resets ${JSON.stringify(client.events.filter(([event]) => event === 'channel:reset').map(([, payload]) => payload))}, ` +
          `connected ${client.socket.connected}, disconnects ${JSON.stringify(client.disconnects)}, ` +
          `last events ${JSON.stringify(client.events.slice(-3).map(([event]) => event))}`,
      );
    }
  });
  return lines;
}
