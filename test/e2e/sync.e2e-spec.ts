import type { Envelope } from '../../src/bus/envelope';
import { connect, type TestClient } from '../utils/clients';
import { publish } from '../utils/http';
import { nodesOn } from '../utils/engine-nodes';
import { staffToken } from '../utils/tokens';

type Status = { type: string; entityId: string; details?: Record<string, unknown> };
const status = (entityId: string, type: string, details?: Record<string, unknown>) => ({
  namespace: 'sync',
  channel: 'company:acme',
  event: 'sync:status',
  data: { entityId, type, ...(details ? { details } : {}) },
});
type SnapshotAck = { ok: true; epoch: string; seq: number; snapshot: { epoch: string; seq: number; items: Envelope<Status>[] } };

describe.each(['memory', 'redis'] as const)('/sync on the %s engine', (engine) => {
  const nodes = nodesOn(engine);

  const dashboard = (node = nodes[0], company = 'acme'): Promise<TestClient> => connect(node.url, '/sync', { token: staffToken(company) });

  it('emits sync:connected with the organization after session', async () => {
    const client = await dashboard();
    await client.until((c) => c.events.some(([event]) => event === 'sync:connected'));
    const names = client.events.map(([event]) => event);
    expect(names.indexOf('session')).toBeLessThan(names.indexOf('sync:connected'));
    expect(client.events.find(([event]) => event === 'sync:connected')?.[1]).toEqual({
      organizationId: 'acme',
      timestamp: expect.any(Number),
    });
  });

  it('answers subscribe with the latest status per entity, newest first, then streams', async () => {
    const before = (await (await dashboard()).subscribe('company:acme')).seq;
    await publish(nodes[0].url, status('e1', 'SYNC_PROCESSING'));
    await publish(nodes[0].url, status('e2', 'SYNC_PROCESSING'));
    await publish(nodes[0].url, status('e1', 'SYNC_SUCCESS'));
    await publish(nodes[0].url, status('e3', 'SYNC_CONFLICT', { conflictingFields: ['price', 'name'] }));
    await publish(nodes[0].url, status('e2', 'SYNC_FAILED', { error: 'timeout', retryCount: 2 }));

    const client = await dashboard(nodes[nodes.length - 1]);
    const ack = (await client.subscribe('company:acme')) as unknown as SnapshotAck;
    expect(ack.snapshot.seq).toBe(before + 5);
    expect(ack.snapshot.epoch).toBe(ack.epoch);
    expect(ack.snapshot.items.map((e) => [e.data.entityId, e.data.type, e.seq - before])).toEqual([
      ['e2', 'SYNC_FAILED', 5],
      ['e3', 'SYNC_CONFLICT', 4],
      ['e1', 'SYNC_SUCCESS', 3],
    ]);
    expect(ack.snapshot.items[0].data.details).toEqual({ error: 'timeout', retryCount: 2 });

    await publish(nodes[0].url, status('e3', 'SYNC_SUCCESS'));
    await client.until((c) => c.envelopes().length === 1);
    expect(client.envelopes()[0]).toMatchObject({ seq: before + 6, data: { entityId: 'e3', type: 'SYNC_SUCCESS' } });
  });

  it('keeps organizations apart: another company sees an empty snapshot', async () => {
    await publish(nodes[0].url, status('secret', 'SYNC_PROCESSING'));
    const other = await dashboard(nodes[0], 'globex');
    const ack = (await other.subscribe('company:globex')) as unknown as SnapshotAck;
    expect(ack.snapshot.items).toEqual([]);
    expect(await other.subscribe('company:acme')).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('is correct at once for a dashboard opened in the middle of a sync: snapshot, then stream', async () => {
    const entities = ['a', 'b', 'c', 'd'];
    const truth = new Map<string, string>();
    let halfway!: () => void;
    const started = new Promise<void>((resolve) => (halfway = resolve));
    const writer = (async () => {
      for (let i = 0; i < 120; i++) {
        const entityId = `mid-${entities[i % entities.length]}`;
        const type = i % 7 === 0 ? 'SYNC_SUCCESS' : 'SYNC_PROCESSING';
        await publish(nodes[i % nodes.length].url, status(entityId, type));
        truth.set(entityId, type);
        if (i === 40) halfway();
      }
    })();
    await started;
    const client = await dashboard(nodes[nodes.length - 1]);
    const ack = (await client.subscribe('company:acme')) as unknown as SnapshotAck;
    await writer;
    const final = await publish(nodes[0].url, status('mid-done', 'SYNC_SUCCESS'));
    await client.until((c) => c.envelopes().some((e) => e.seq === final.body.seq));

    // The dashboard's state: the snapshot, then every streamed event newer than the snapshot.
    const state = new Map<string, string>();
    for (const item of [...ack.snapshot.items].reverse()) state.set(item.data.entityId, item.data.type);
    let last = ack.snapshot.seq;
    for (const event of client.envelopes() as Envelope<Status>[]) {
      if (event.seq <= last) continue;
      expect(event.seq).toBe(last + 1);
      last = event.seq;
      state.set(event.data.entityId, event.data.type);
    }
    for (const [entityId, type] of truth) expect([entityId, state.get(entityId)]).toEqual([entityId, type]);
  });

  it.each([
    ['an unknown type', { entityId: 'x', type: 'SYNC_DONE' }, 'data.type'],
    ['no entityId', { type: 'SYNC_SUCCESS' }, 'data.entityId'],
    ['a conflict without fields', { entityId: 'x', type: 'SYNC_CONFLICT' }, 'data.details'],
    ['a failure without retryCount', { entityId: 'x', type: 'SYNC_FAILED', details: { error: 'boom' } }, 'data.details.retryCount'],
  ])('refuses %s', async (_label, data, path) => {
    const result = await publish(nodes[0].url, { namespace: 'sync', channel: 'company:acme', event: 'sync:status', data });
    expect(result.status).toBe(400);
    expect((result.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toContain(path);
  });
});
