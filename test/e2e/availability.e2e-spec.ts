import type { Envelope } from '../../src/bus/envelope';
import { connect, type TestClient } from '../utils/clients';
import { publish } from '../utils/http';
import { nodesOn } from '../utils/engine-nodes';
import { staffToken } from '../utils/tokens';

type StockData = { sku: string; quantity?: number; threshold?: number };
type SnapshotAck = { ok: true; epoch: string; seq: number; snapshot: { epoch: string; seq: number; items: Envelope<StockData>[] } };

const stock = (channel: string, event: string, data: StockData) => ({ namespace: 'availability', channel, event, data });
const changed = (sku: string, quantity: number, channel = 'branch:b1') => stock(channel, 'stock:changed', { sku, quantity });

/** A stock page's state per SKU: its quantity and whether it is available, from any event. */
function apply(state: Map<string, { quantity?: number; available?: boolean }>, event: Envelope<StockData>): void {
  const item = state.get(event.data.sku) ?? {};
  if (event.event === 'stock:changed' || event.event === 'stock:low') item.quantity = event.data.quantity;
  if (event.event === 'item:unavailable') item.available = false;
  if (event.event === 'item:available') item.available = true;
  state.set(event.data.sku, item);
}

describe.each(['memory', 'redis'] as const)('/availability snapshot on the %s engine', (engine) => {
  const nodes = nodesOn(engine);

  const page = (node = nodes[0], company = 'acme', branches = ['b1', 'b2']): Promise<TestClient> =>
    connect(node.url, '/availability', { token: staffToken(company, branches) });

  it("answers subscribe with each SKU's latest stock level and availability, newest first, then streams", async () => {
    const before = (await (await page()).subscribe('branch:b1')).seq;
    await publish(nodes[0].url, changed('A', 5));
    await publish(nodes[0].url, stock('branch:b1', 'item:unavailable', { sku: 'A' }));
    await publish(nodes[0].url, changed('B', 3));
    await publish(nodes[0].url, stock('branch:b1', 'stock:low', { sku: 'A', quantity: 1, threshold: 2 }));
    await publish(nodes[0].url, stock('branch:b1', 'item:available', { sku: 'A' }));
    await publish(nodes[0].url, changed('C', 9, 'branch:b2'));

    const client = await page(nodes[nodes.length - 1]);
    const ack = (await client.subscribe('branch:b1')) as unknown as SnapshotAck;
    expect(ack.snapshot.seq).toBe(before + 5);
    expect(ack.snapshot.epoch).toBe(ack.epoch);
    // "Available again" does not hide A's quantity: the two facets are kept apart.
    expect(ack.snapshot.items.map((e) => [e.data.sku, e.event, e.data.quantity, e.seq - before])).toEqual([
      ['A', 'item:available', undefined, 5],
      ['A', 'stock:low', 1, 4],
      ['B', 'stock:changed', 3, 3],
    ]);
    // Another branch's channel has its own snapshot.
    const b2 = (await client.subscribe('branch:b2')) as unknown as SnapshotAck;
    expect(b2.snapshot.items.map((e) => [e.data.sku, e.data.quantity])).toEqual([['C', 9]]);

    await publish(nodes[0].url, changed('B', 2));
    await client.until((c) => c.envelopes('branch:b1').length === 1);
    expect(client.envelopes('branch:b1')[0]).toMatchObject({ seq: before + 6, data: { sku: 'B', quantity: 2 } });
  });

  it('keeps companies apart: another company sees an empty snapshot of its own branch', async () => {
    await publish(nodes[0].url, changed('A', 5));
    const other = await page(nodes[0], 'globex', ['b1']);
    const ack = (await other.subscribe('branch:b1')) as unknown as SnapshotAck;
    expect(ack.snapshot.items).toEqual([]);
  });

  it('is correct at once for a stock page opened while stock moves: snapshot, then stream', async () => {
    const skus = ['m1', 'm2', 'm3', 'm4', 'm5'];
    const truth = new Map<string, { quantity?: number; available?: boolean }>();
    let halfway!: () => void;
    const started = new Promise<void>((resolve) => (halfway = resolve));
    const writer = (async () => {
      for (let i = 0; i < 120; i++) {
        const sku = skus[i % skus.length];
        const message =
          i % 9 === 0
            ? stock('branch:b1', i % 2 === 0 ? 'item:unavailable' : 'item:available', { sku })
            : stock('branch:b1', 'stock:changed', { sku, quantity: i });
        const result = await publish(nodes[i % nodes.length].url, message);
        expect(result.status).toBe(202);
        apply(truth, { ...(message as unknown as Envelope<StockData>), event: message.event, data: message.data });
        if (i === 40) halfway();
      }
    })();
    await started;
    const client = await page(nodes[nodes.length - 1]);
    const ack = (await client.subscribe('branch:b1')) as unknown as SnapshotAck;
    await writer;
    const final = await publish(nodes[0].url, changed('m-done', 1));
    await client.until((c) => c.envelopes('branch:b1').some((e) => e.seq === final.body.seq));

    const state = new Map<string, { quantity?: number; available?: boolean }>();
    for (const item of [...ack.snapshot.items].reverse()) apply(state, item);
    let last = ack.snapshot.seq;
    for (const event of client.envelopes('branch:b1') as Envelope<StockData>[]) {
      if (event.seq <= last) continue;
      expect(event.seq).toBe(last + 1);
      last = event.seq;
      apply(state, event);
    }
    for (const [sku, item] of truth) expect([sku, state.get(sku)]).toEqual([sku, item]);
  });
});
