import type { RedisConfig } from '../config';
import { SentinelWatch } from './sentinel-watch';

const config: RedisConfig = {
  target: { mode: 'sentinel', sentinels: [{ host: '127.0.0.1', port: 26379 }], masterName: 'sb' },
  description: 'sentinel sb',
  replicaAckMs: 1000,
};
const STARTING = '+failover-state-send-slaveof-noone';
const SWITCHED = '+switch-master';

function watch() {
  const events: string[] = [];
  const sentinels = new SentinelWatch(config);
  sentinels.on('starting', () => events.push('starting'));
  sentinels.on('switched', (master) => events.push(`switched ${master}`));
  sentinels.on('aborted', () => events.push('aborted'));
  return { sentinels, events };
}

describe('SentinelWatch', () => {
  it('announces a failover of our master: starting, then the new master', () => {
    const { sentinels, events } = watch();
    sentinels.onEvent(STARTING, 'slave 127.0.0.1:7002 127.0.0.1 7002 @ sb 127.0.0.1 7001');
    sentinels.onEvent(SWITCHED, 'sb 127.0.0.1 7001 127.0.0.1 7002');
    sentinels.onEvent(STARTING, 'slave 127.0.0.1:9 127.0.0.1 9 @ other 127.0.0.1 8');
    expect(events).toEqual(['starting', 'switched 127.0.0.1:7002']);
  });

  // Each sentinel is heard on its own connection: another sentinel's +switch-master can overtake
  // the leader's start of the same failover. Holding writes then would last until the timeout.
  it('ignores the start of a failover whose switch was already heard', () => {
    const { sentinels, events } = watch();
    sentinels.onEvent(SWITCHED, 'sb 127.0.0.1 7001 127.0.0.1 7002');
    sentinels.onEvent(STARTING, 'slave 127.0.0.1:7002 127.0.0.1 7002 @ sb 127.0.0.1 7001');
    expect(events).toEqual(['switched 127.0.0.1:7002']);
    // A later failover back to the first server is a new one.
    sentinels.onEvent(STARTING, 'slave 127.0.0.1:7001 127.0.0.1 7001 @ sb 127.0.0.1 7002');
    sentinels.onEvent(SWITCHED, 'sb 127.0.0.1 7002 127.0.0.1 7001');
    sentinels.onEvent(STARTING, 'slave 127.0.0.1:7002 127.0.0.1 7002 @ sb 127.0.0.1 7001');
    expect(events).toEqual(['switched 127.0.0.1:7002', 'starting', 'switched 127.0.0.1:7001', 'starting']);
  });
});
