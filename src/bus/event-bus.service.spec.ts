import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelRef } from '../channels/channel-ref';
import type { AppConfig } from '../config';
import type { NodeRegistry } from '../cluster/node-registry.service';
import { MetricsService } from '../metrics/metrics.service';
import type { BusEngine, ChannelDrafts, EngineListener, PublishOutcome, ReadResult } from './bus-engine';
import type { DeliverySink } from './channel-stream';
import { EventBus } from './event-bus.service';

const ref = channelRef('acme', 'orders', 'branch:b1');
const turns = async (count: number) => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * A Redis-like engine whose reads wait until the test lets them answer, so the test decides when
 * the check of the node's channels ends. Records what publishes reached it, in order.
 */
function gatedEngine() {
  let listener: EngineListener | undefined;
  const sent: string[] = [];
  let gate: (() => void) | undefined;
  let gated = false;
  let seq = 0;
  const engine = {
    kind: 'redis',
    setListener: (next: EngineListener) => (listener = next),
    watch: () => Promise.resolve(),
    unwatch: () => Promise.resolve(),
    close: () => Promise.resolve(),
    resetEpoch: (_key: string, epoch: string) => Promise.resolve(epoch),
    read: async (): Promise<ReadResult> => {
      if (gated) await new Promise<void>((resolve) => (gate = resolve));
      return { epoch: 'e1', seq, complete: true, events: [] };
    },
    publishMany: (groups: readonly ChannelDrafts[]): Promise<PublishOutcome[][]> =>
      Promise.resolve(
        groups.map(({ drafts }) =>
          drafts.map((draft) => {
            sent.push(draft.id);
            return { id: draft.id, seq: ++seq, epoch: 'e1', duplicate: false };
          }),
        ),
      ),
  } as unknown as BusEngine;
  return {
    engine,
    sent,
    listener: () => listener as EngineListener,
    gateReads: () => (gated = true),
    openReads: () => {
      gated = false;
      gate?.();
    },
  };
}

let spoolDir: string;
beforeEach(() => (spoolDir = mkdtempSync(join(tmpdir(), 'sb-bus-spec-'))));
afterEach(() => rmSync(spoolDir, { recursive: true, force: true }));

function busOn(engine: BusEngine): EventBus {
  const config = {
    cluster: { nodeTtlSeconds: 3 },
    outage: { maxEvents: 100, maxBytes: 1_000_000, spoolDir },
  } as unknown as AppConfig;
  const nodes = { instanceId: 'test~000000', aliveInstances: () => Promise.resolve(new Set<string>()) } as unknown as NodeRegistry;
  const sink = { deliver: () => undefined, reset: () => undefined, hasLocalSubscribers: () => true } as unknown as DeliverySink;
  const bus = new EventBus(engine, config, nodes, new MetricsService(), sink);
  return bus;
}

describe('EventBus: publishes wait for the check of its channels', () => {
  it('after a reconnect of the publish connection, sends nothing until every followed channel was read, then sends in order', async () => {
    const fake = gatedEngine();
    const bus = busOn(fake.engine);
    await bus.attach(ref, undefined, () => undefined);
    expect(await bus.publish([{ ref, event: 'order:updated', data: {} }])).toMatchObject([{ seq: 1 }]);

    fake.gateReads();
    fake.listener().writable(); // reconnected: the server may lack the last writes
    const held = await bus.publish([{ ref, event: 'order:updated', data: { n: 2 } }]);
    expect(held).toMatchObject([{ queued: true }]);
    await turns(20);
    expect(fake.sent).toHaveLength(1);
    expect(bus.outage?.held).toBe(true);

    fake.openReads();
    for (let i = 0; i < 100 && fake.sent.length < 2; i++) await turns(1);
    expect(fake.sent).toEqual([expect.any(String), held[0].id]);
    expect(bus.outage?.held).toBe(false);
    await bus.onApplicationShutdown();
  });

  it('a failover hold outlives the check of a reconnect during it, and ends with its own check', async () => {
    const fake = gatedEngine();
    const bus = busOn(fake.engine);
    await bus.attach(ref, undefined, () => undefined);
    fake.listener().holding?.();
    fake.listener().writable(); // the reconnect's check is done at once (reads are open)
    await turns(20);
    const held = await bus.publish([{ ref, event: 'order:updated', data: {} }]);
    expect(held).toMatchObject([{ queued: true }]);
    await turns(20);
    expect(fake.sent).toEqual([]);

    fake.gateReads();
    fake.listener().released?.();
    await turns(20);
    expect(fake.sent).toEqual([]);
    fake.openReads();
    for (let i = 0; i < 100 && fake.sent.length < 1; i++) await turns(1);
    expect(fake.sent).toEqual([held[0].id]);
    await bus.onApplicationShutdown();
  });
});
