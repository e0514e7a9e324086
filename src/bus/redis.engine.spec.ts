import { refusalOf } from './redis.engine';

describe('refusalOf (why a reachable Redis refused a write)', () => {
  it.each([
    ["OOM command not allowed when used memory > 'maxmemory'.", 'full'],
    ["ERR Error running script (call to f_1): @user_script:3: -OOM command not allowed when used memory > 'maxmemory'", 'full'],
    ["READONLY You can't write against a read only replica.", 'read-only'],
    ["ERR Error running script (call to f_1): @user_script:1: -READONLY You can't write against a read only replica.", 'read-only'],
    ['MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.', 'persistence'],
    ['ERR user_script:1: attempt to compare nil with number', 'error'],
  ])('%s -> %s', (message, reason) => {
    expect(refusalOf(message)).toBe(reason);
  });
});
