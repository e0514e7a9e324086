import { Logger } from '@nestjs/common';
import { channelRef } from '../channels/channel-ref';
import { ChannelResets } from './channel-resets';
import type { ChannelResetPayload } from './realtime.events';

describe('ChannelResets', () => {
  const ref = channelRef('acme', 'orders', 'branch:b1');
  const payload: ChannelResetPayload = { channel: 'branch:b1', epoch: 'e2', seq: 0, reason: 'EPOCH_CHANGED' };

  it('tells every listener, even when one throws, and logs the failure', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const resets = new ChannelResets();
    const heard: string[] = [];
    resets.listen(() => {
      throw new Error('broken listener');
    });
    resets.listen((got, what) => heard.push(`${got.key} ${what.reason}`));
    expect(() => resets.announce(ref, payload)).not.toThrow();
    expect(heard).toEqual([`${ref.key} EPOCH_CHANGED`]);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('broken listener'));
    logged.mockRestore();
  });

  it('stops telling a listener that unsubscribed', () => {
    const resets = new ChannelResets();
    const heard: ChannelResetPayload[] = [];
    const stop = resets.listen((_ref, what) => heard.push(what));
    resets.announce(ref, payload);
    stop();
    resets.announce(ref, payload);
    expect(heard).toHaveLength(1);
  });
});
