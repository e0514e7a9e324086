import type { Envelope } from '../../src/bus/envelope';
import { connect } from '../utils/clients';
import { orderUpdated, publish } from '../utils/http';
import { nodesOn } from '../utils/engine-nodes';
import { staffToken } from '../utils/tokens';

const TOTAL = 300;
const HOPS = 6;

/**
 * A client reconnects again and again (on Redis, alternating between two nodes) while events
 * keep flowing. Applying the protocol's rule (drop seq ≤ last seen) to everything it received,
 * it must end up with every event exactly once, in order: replay never loses or reorders live events.
 */
describe.each(['memory', 'redis'] as const)('replay while events flow, on the %s engine', (engine) => {
  const nodes = nodesOn(engine);

  it(`delivers ${TOTAL} events exactly once across ${HOPS} reconnects`, async () => {
    const channel = 'branch:load';
    let published = 0;
    const publisher = (async () => {
      for (let i = 1; i <= TOTAL; i++) {
        const result = await publish(nodes[i % nodes.length].url, orderUpdated(channel, i));
        expect(result.status).toBe(202);
        published = i;
      }
    })();

    const applied: number[] = [];
    let position: { epoch: string; seq: number } | undefined;
    const apply = (envelope: Envelope) => {
      if (position && envelope.epoch === position.epoch && envelope.seq <= position.seq) return;
      applied.push(envelope.seq);
      position = { epoch: envelope.epoch, seq: envelope.seq };
    };

    for (let hop = 0; hop < HOPS; hop++) {
      const node = nodes[hop % nodes.length];
      const client = await connect(node.url, '/orders', { token: staffToken('acme', ['load']) });
      const ack = await client.subscribe(channel, position);
      if (position) expect(ack).toMatchObject({ recovered: true });
      position ??= { epoch: ack.epoch, seq: ack.seq };
      const target = hop === HOPS - 1 ? TOTAL : Math.min(TOTAL, published + 20);
      await client.until((c) => c.envelopes().some((e) => e.seq >= target), 15_000);
      for (const envelope of client.envelopes()) apply(envelope);
      client.close();
    }
    await publisher;

    const expected = Array.from({ length: TOTAL - applied[0] + 1 }, (_, i) => applied[0] + i);
    expect(applied).toEqual(expected);
    expect(applied.at(-1)).toBe(TOTAL);
  }, 60_000);
});
