import type { SyncConnectedPayload, SyncSnapshot } from '../../packages/client/src/index.js';
import { connect, closeAllClients } from '../utils/clients';
import { FaultProxy } from '../utils/fault-proxy';
import { publish } from '../utils/http';
import { closeSdkClients, Recorder, sdkClient } from '../utils/sdk';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken } from '../utils/tokens';

const PRESENCE_ENV = { PRESENCE_TTL_SECONDS: '3', PRESENCE_LEAVE_GRACE_SECONDS: '1' };

/** The SDK on /sync (snapshot, then stream) and /presence (a status that holds). */
describe('@switchboard/client on /sync and /presence', () => {
  let server: TestApp;
  let proxy: FaultProxy;
  const port = (app: TestApp) => Number(new URL(app.url).port);

  beforeAll(async () => {
    server = await createTestApp(PRESENCE_ENV);
    proxy = await FaultProxy.start(port(server));
  });
  afterEach(() => {
    closeSdkClients();
    closeAllClients();
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('/sync: starts from the snapshot (latest status per entity), then applies only later events', async () => {
    const status = (entityId: string, type: string, details?: Record<string, unknown>) =>
      publish(server.url, {
        namespace: 'sync',
        channel: 'company:acme',
        event: 'sync:status',
        data: { entityId, type, ...(details ? { details } : {}) },
      });
    await status('e1', 'SYNC_PROCESSING');
    await status('e1', 'SYNC_FAILED', { error: 'timeout', retryCount: 2 });
    await status('e2', 'SYNC_SUCCESS');

    const recorder = new Recorder<'sync'>();
    const sync = sdkClient(server.url, { token: staffToken(), ...recorder.hooks }).namespace('sync');
    const connected: SyncConnectedPayload[] = [];
    sync.on('sync:connected', (payload) => connected.push(payload));
    const snapshots: SyncSnapshot[] = [];
    sync.subscribe(
      'company:acme',
      (event) => {
        recorder.events.push(event);
        recorder.touch();
      },
      {
        onSnapshot: (snapshot) => {
          snapshots.push(snapshot);
          recorder.touch();
        },
      },
    );
    await recorder.waitFor(() => snapshots.length === 1);
    expect(snapshots[0].items.map((item) => [item.data.entityId, item.data.type])).toEqual([
      ['e2', 'SYNC_SUCCESS'],
      ['e1', 'SYNC_FAILED'],
    ]);
    expect(connected).toEqual([expect.objectContaining({ organizationId: 'acme' })]);
    await status('e2', 'SYNC_CONFLICT', { conflictingFields: ['price'] });
    await recorder.waitFor((r) => r.events.length === 1);
    expect(recorder.events[0]).toMatchObject({ seq: snapshots[0].seq + 1, data: { entityId: 'e2', type: 'SYNC_CONFLICT' } });
  });

  it('/presence: heartbeats keep a status alive past the TTL while an idle member expires', async () => {
    const observer = await connect(server.url, '/presence', { token: staffToken('acme', ['b1'], 'watcher') });
    expect(await observer.subscribe('company:acme')).toMatchObject({ ok: true });
    const left = (userId: string) =>
      observer.events.filter(
        ([event, payload]) => event === 'presence:left' && (payload as { data: { userId: string } }).data.userId === userId,
      );

    const keeper = sdkClient(server.url, { token: staffToken('acme', ['b1'], 'kept') }).presence();
    await keeper.set({ status: 'busy', view: 'orders' }); // before the connection: applied by it
    await connect(server.url, '/presence', { token: staffToken('acme', ['b1'], 'idle') });

    // The idle member's expiry proves the TTL has passed; the kept one must still be there.
    await observer.until(() => left('idle').length === 1, 15_000);
    expect(left('kept')).toEqual([]);
    expect(keeper.heartbeats).toBeGreaterThanOrEqual(2);
    const kept = (await keeper.members('company:acme')).find((member) => member.userId === 'kept');
    expect(kept).toMatchObject({ status: 'busy', view: 'orders' });
  });

  it('/presence: applies the status again on a new connection (a restarted server knows nothing of it)', async () => {
    const client = sdkClient(proxy.httpUrl, { token: staffToken('acme', ['b1'], 'returning') });
    const keeper = client.presence();
    await keeper.set({ status: 'away', view: 'stock' });

    await server.close();
    server = await createTestApp(PRESENCE_ENV);
    // Someone is watching on the new server before the client gets there.
    const observer = await connect(server.url, '/presence', { token: staffToken('acme', ['b1'], 'watcher') });
    expect(await observer.subscribe('company:acme')).toMatchObject({ ok: true });
    proxy.targetPort = port(server);

    const returning = () =>
      observer.envelopes('company:acme').filter((envelope) => (envelope.data as { userId: string }).userId === 'returning');
    await observer.until(() => returning().some((envelope) => envelope.event === 'presence:updated'), 15_000);
    expect(returning().map((envelope) => [envelope.event, (envelope.data as { status: string }).status])).toEqual([
      ['presence:joined', 'online'],
      ['presence:updated', 'away'],
    ]);
  });
});
