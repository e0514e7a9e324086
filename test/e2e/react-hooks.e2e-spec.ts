/**
 * @jest-environment ./test/utils/jsdom-environment.cjs
 */
import type { ClientOptions, EnvelopeOf, ResyncReason } from '@switchboard/client';
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import { SwitchboardProvider, useChannel, useConnectionState, usePresence, useSession } from '../../packages/react/src/index';
import { orderUpdated, publish } from '../utils/http';
import { startServerProcess, type ServerProcess } from '../utils/server-process';
import { staffToken, TEST_JWT_SECRET } from '../utils/tokens';

const SERVER_ENV = { JWT_SECRET: TEST_JWT_SECRET, PRESENCE_LEAVE_GRACE_SECONDS: '0' };

/**
 * @switchboard/react with React Testing Library (jsdom), against the server as `npm start` runs
 * it.
 */
describe('@switchboard/react hooks against a real server', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServerProcess(SERVER_ENV);
  }, 60_000);
  afterEach(cleanup);
  afterAll(() => server?.stop(), 30_000);

  /** A provider for one user; `reconnect` kept short so a restart is picked up at once. */
  function wrapperFor(token: string, extra: Partial<ClientOptions> = {}) {
    const options: ClientOptions = { url: server.url, token, wake: false, reconnect: { baseDelayMs: 50, maxDelayMs: 200 }, ...extra };
    return ({ children }: { children?: ReactNode }) => createElement(SwitchboardProvider, { options }, children);
  }

  it('connects through the provider: connection state and session', async () => {
    const { result } = renderHook(() => ({ state: useConnectionState('orders'), session: useSession('orders') }), {
      wrapper: wrapperFor(staffToken('acme', ['b1'], 'ada')),
    });
    expect(result.current.state).toBe('idle'); // no client on the first render (created in an effect)
    await waitFor(() => expect(result.current.state).toBe('connected'));
    await waitFor(() => expect(result.current.session?.user).toMatchObject({ id: 'ada', companyId: 'acme', branchIds: ['b1'] }));
  });

  it('useChannel delivers every event once, in seq order, while inline handlers change on every render', async () => {
    const received: { seq: number; orderId: string }[] = [];
    let subscribedCalls = 0;
    const { result, rerender } = renderHook(
      () =>
        useChannel(
          'orders',
          'branch:b1',
          // A new function on every render: it must neither resubscribe nor lose an event.
          (event: EnvelopeOf<'orders'>) => {
            if (event.event === 'order:updated') received.push({ seq: event.seq, orderId: String(event.data.orderId) });
          },
          { onSubscribed: () => subscribedCalls++ },
        ),
      { wrapper: wrapperFor(staffToken('acme', ['b1'])), initialProps: { tick: 0 } },
    );
    await waitFor(() => expect(result.current.subscribed).toBeDefined());
    for (let i = 1; i <= 20; i++) {
      expect((await publish(server.url, orderUpdated('branch:b1', `o-${i}`))).status).toBe(202);
      rerender({ tick: i });
    }
    await waitFor(() => expect(received).toHaveLength(20));
    expect(received.map((entry) => entry.orderId)).toEqual(Array.from({ length: 20 }, (_, i) => `o-${i + 1}`));
    const seqs = received.map((entry) => entry.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(20);
    expect(subscribedCalls).toBe(1);
  });

  it('follows the channel it is given: a new channel prop leaves the old one, unmounting leaves it too', async () => {
    const seen: string[] = [];
    const confirmed: string[] = [];
    const { rerender, unmount } = renderHook(
      ({ channel }: { channel: string }) =>
        useChannel(
          'orders',
          channel,
          (event) => {
            if (event.event === 'order:updated') seen.push(`${event.channel} ${String(event.data.orderId)}`);
          },
          { onSubscribed: () => void confirmed.push(channel) },
        ),
      { wrapper: wrapperFor(staffToken('acme', ['b1', 'b2'])), initialProps: { channel: 'branch:b1' } },
    );
    await waitFor(() => expect(confirmed).toEqual(['branch:b1']));
    rerender({ channel: 'branch:b2' });
    await waitFor(() => expect(confirmed).toEqual(['branch:b1', 'branch:b2']));
    await publish(server.url, orderUpdated('branch:b1', 'left-behind'));
    await publish(server.url, orderUpdated('branch:b2', 'followed'));
    await waitFor(() => expect(seen).toContain('branch:b2 followed'));
    expect(seen).not.toContain('branch:b1 left-behind');

    // A second component stays on b2 as a witness: it sees the event the unmounted one must not.
    const witness: string[] = [];
    const other = renderHook(
      () =>
        useChannel('orders', 'branch:b2', (event) => {
          if (event.event === 'order:updated') witness.push(String(event.data.orderId));
        }),
      { wrapper: wrapperFor(staffToken('acme', ['b2'], 'witness')) },
    );
    await waitFor(() => expect(other.result.current.subscribed).toBeDefined());
    unmount();
    await publish(server.url, orderUpdated('branch:b2', 'after-unmount'));
    await waitFor(() => expect(witness).toContain('after-unmount'));
    expect(seen).not.toContain('branch:b2 after-unmount');
  });

  it('reports a refused subscription as the channel status error', async () => {
    const { result } = renderHook(() => useChannel('orders', 'branch:not-mine', () => undefined), {
      wrapper: wrapperFor(staffToken('acme', ['b1'])),
    });
    await waitFor(() => expect(result.current.error?.code).toBe('FORBIDDEN'));
    expect(result.current.subscribed).toBeUndefined();
  });

  it('hands /availability snapshots to onSnapshot', async () => {
    await publish(server.url, {
      namespace: 'availability',
      channel: 'branch:b1',
      event: 'stock:changed',
      data: { sku: 'flour', quantity: 7 },
    });
    const snapshots: unknown[] = [];
    renderHook(
      () => useChannel('availability', 'branch:b1', () => undefined, { onSnapshot: (snapshot) => void snapshots.push(snapshot) }),
      {
        wrapper: wrapperFor(staffToken('acme', ['b1'])),
      },
    );
    await waitFor(() => expect(snapshots).toHaveLength(1));
    expect(JSON.stringify(snapshots[0])).toContain('"flour"');
  });

  it('usePresence lists members and follows joins, updates and departures', async () => {
    const watcher = renderHook(() => usePresence('branch:b1', { status: 'online', view: 'orders' }), {
      wrapper: wrapperFor(staffToken('acme', ['b1'], 'watcher')),
    });
    await waitFor(() => expect(watcher.result.current.loaded).toBe(true));
    await waitFor(() => expect(watcher.result.current.members.map((member) => member.userId)).toContain('watcher'));

    const visitor = renderHook(({ status }: { status: 'online' | 'busy' }) => usePresence('branch:b1', { status, view: 'stock' }), {
      wrapper: wrapperFor(staffToken('acme', ['b1'], 'visitor')),
      initialProps: { status: 'online' as 'online' | 'busy' },
    });
    await waitFor(() =>
      expect(watcher.result.current.members.find((member) => member.userId === 'visitor')).toMatchObject({
        status: 'online',
        view: 'stock',
      }),
    );
    visitor.rerender({ status: 'busy' });
    await waitFor(() => expect(watcher.result.current.members.find((member) => member.userId === 'visitor')?.status).toBe('busy'));
    visitor.unmount(); // closes the visitor's client: with a 0 s grace it leaves at once
    await waitFor(() => expect(watcher.result.current.members.map((member) => member.userId)).toEqual(['watcher']));
  });

  it('surfaces a resync notice when the server restarts with a new stream (embedded engine: history gone)', async () => {
    const resyncs: ResyncReason[] = [];
    const seen: string[] = [];
    const { result } = renderHook(
      () =>
        useChannel('orders', 'branch:b3', (event) => void (event.event === 'order:updated' && seen.push(String(event.data.orderId))), {
          onResync: (reason) => void resyncs.push(reason),
        }),
      { wrapper: wrapperFor(staffToken('acme', ['b3'])) },
    );
    await waitFor(() => expect(result.current.subscribed).toBeDefined());
    await publish(server.url, orderUpdated('branch:b3', 'before-restart'));
    await waitFor(() => expect(seen).toEqual(['before-restart']));
    expect(result.current.resync).toBeUndefined();
    const port = server.port;
    await act(async () => {
      await server.stop();
      server = await startServerProcess(SERVER_ENV, { port });
    });
    await waitFor(() => expect(result.current.resync).toBeDefined(), { timeout: 15_000 });
    expect(resyncs).toEqual([result.current.resync?.reason]);
  }, 60_000);
});
