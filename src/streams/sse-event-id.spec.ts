import { formatEventId, parseEventId } from './sse-event-id';

describe('SSE event ids', () => {
  const key = 'k'.repeat(43);
  const positions = new Map([
    ['branch:b1', { epoch: 'AbC_-12345678', seq: 42 }],
    ['company:acme', { epoch: 'ZZZZZZZZZZZZ', seq: 0 }],
  ]);

  it('round-trips a key and every channel’s position, in order', () => {
    const id = formatEventId(key, positions);
    expect(id).toBe(`${key} branch:b1=AbC_-12345678.42 company:acme=ZZZZZZZZZZZZ.0`);
    const parsed = parseEventId(id);
    expect(parsed?.key).toBe(key);
    expect([...(parsed?.positions ?? [])]).toEqual([...positions]);
  });

  it('reads positions without a key (the lastEventId query parameter)', () => {
    const parsed = parseEventId(formatEventId(undefined, positions));
    expect(parsed?.key).toBeUndefined();
    expect(parsed?.positions.get('branch:b1')).toEqual({ epoch: 'AbC_-12345678', seq: 42 });
    expect(parseEventId(key)).toEqual({ key, positions: new Map() });
  });

  it.each([
    ['a channel outside the grammar', `${key} Branch:b1=AAAAAAAAAAAA.1`],
    ['a negative seq', 'branch:b1=AAAAAAAAAAAA.-1'],
    ['a seq past 2^53', 'branch:b1=AAAAAAAAAAAA.9999999999999999'],
    ['an epoch with a dot', 'branch:b1=AA.AA.1'],
    ['a word that is neither', `${key} garbage`],
    ['two keys', `${key} ${key}`],
    ['an id longer than 16 KB', `branch:b1=AAAAAAAAAAAA.1 `.repeat(1000)],
  ])('refuses %s', (_what, value) => {
    expect(parseEventId(value)).toBeUndefined();
  });
});
