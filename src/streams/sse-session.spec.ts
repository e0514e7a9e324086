import type { ServerResponse } from 'node:http';
import type { Principal } from '../common/principal';
import type { Envelope } from '../bus/envelope';
import type { ChannelRef } from '../channels/channel-ref';
import type { NamespaceDefinition } from '../realtime/namespace.registry';
import { SseSession } from './sse-session';
import type { StreamHost, StreamSession } from './stream-session';

const KEY = 'k'.repeat(43);
const principal = {
  id: 'u1',
  companyId: 'acme',
  branchIds: ['b1'],
  roles: ['staff'],
  expiresAt: Date.now() + 3_600_000,
} as unknown as Principal;
const namespace = { name: 'orders', roles: ['staff'], catalog: {} } as NamespaceDefinition;
const ref = { companyId: 'acme', namespace: 'orders', channel: 'branch:b1', key: 'acme/orders/branch:b1' } as ChannelRef;

/** A response that records what is written, with a settable backlog (writableLength). */
function response() {
  const written: string[] = [];
  const state = { backlog: 0, destroyed: false, ended: false };
  const res = {
    writeHead: () => res,
    flushHeaders: () => undefined,
    write: (text: string) => written.push(text),
    end: () => (state.ended = true),
    destroy: () => (state.destroyed = true),
    get destroyed() {
      return state.destroyed;
    },
    get writableLength() {
      return state.backlog;
    },
  };
  return { res: res as unknown as ServerResponse, written, state };
}

function host(maxBufferedBytes = 1_000_000) {
  const ended: string[] = [];
  const value: StreamHost = {
    maxBufferedBytes,
    join: () => undefined,
    leave: () => undefined,
    ended: (_session: StreamSession, reason: string) => ended.push(reason),
  };
  return { value, ended };
}

const envelope = (seq: number, epoch = 'EEEEEEEEEEEE'): Envelope => ({
  id: `id-${seq}`,
  channel: 'branch:b1',
  seq,
  epoch,
  event: 'order:updated',
  data: { seq },
  ts: 1,
});

/** The SSE events in what was written: [event, id]. */
const events = (written: string[]) =>
  written
    .join('')
    .split('\n\n')
    .filter((block) => block.includes('event: '))
    .map((block) => [/event: (.*)/.exec(block)?.[1], /id: (.*)/.exec(block)?.[1]]);

describe('SseSession', () => {
  it('writes one named event per envelope, each id with the key and the position after it', () => {
    const { res, written } = response();
    const session = new SseSession('s1', principal, namespace, '127.0.0.1', host().value, res, KEY);
    session.deliver(ref, 'EEEEEEEEEEEE', [envelope(4), envelope(5)]);
    expect(events(written)).toEqual([
      ['order:updated', `${KEY} branch:b1=EEEEEEEEEEEE.4`],
      ['order:updated', `${KEY} branch:b1=EEEEEEEEEEEE.5`],
    ]);
  });

  it('keeps a position that replay or live events moved past the subscribe ack', () => {
    const { res, written } = response();
    const session = new SseSession('s1', principal, namespace, '127.0.0.1', host().value, res, KEY);
    session.startAt('branch:b1', { epoch: 'EEEEEEEEEEEE', seq: 2 });
    session.deliver(ref, 'EEEEEEEEEEEE', [envelope(3), envelope(4)]);
    session.subscribed({ ok: true, channel: 'branch:b1', epoch: 'EEEEEEEEEEEE', seq: 3, recovered: true, missed: 1 });
    expect(events(written).at(-1)).toEqual(['subscribed', `${KEY} branch:b1=EEEEEEEEEEEE.4`]);
  });

  it('takes the ack’s position over a since of another epoch, and a reset’s position', () => {
    const { res, written } = response();
    const session = new SseSession('s1', principal, namespace, '127.0.0.1', host().value, res, KEY);
    session.startAt('branch:b1', { epoch: 'OLDOLDOLDOLD', seq: 9 });
    session.subscribed({ ok: true, channel: 'branch:b1', epoch: 'NEWNEWNEWNEW', seq: 2, recovered: false, reason: 'EPOCH_CHANGED' });
    expect(events(written).at(-1)?.[1]).toBe(`${KEY} branch:b1=NEWNEWNEWNEW.2`);
    session.reset(ref, { channel: 'branch:b1', epoch: 'RSTRSTRSTRST', seq: 7, reason: 'HISTORY_EXPIRED' });
    expect(events(written).at(-1)).toEqual(['channel:reset', `${KEY} branch:b1=RSTRSTRSTRST.7`]);
  });

  it('cuts a reader whose backlog passes the bound at once, without a goodbye', () => {
    const { res, written, state } = response();
    const { value, ended } = host(100);
    const session = new SseSession('s1', principal, namespace, '127.0.0.1', value, res, KEY);
    state.backlog = 101;
    session.deliver(ref, 'EEEEEEEEEEEE', [envelope(1)]);
    expect(state.destroyed).toBe(true);
    expect(ended).toEqual(['SLOW_CONSUMER']);
    expect(events(written).map(([event]) => event)).toEqual(['order:updated']);
    session.deliver(ref, 'EEEEEEEEEEEE', [envelope(2)]);
    expect(written).toHaveLength(1);
  });
});
