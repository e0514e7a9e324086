import type { TestClient } from './clients';
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
