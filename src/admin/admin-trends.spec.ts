import { TrendHistory } from './admin-trends';

const NONE = new Map();

describe('TrendHistory (the dashboard’s last 15 minutes)', () => {
  it('turns the one-second reports of every node into one point per company per bucket, as rates', () => {
    const trends = new TrendHistory(0, 10_000, 90);
    // Two nodes, ten seconds each: 10 and 30 published per second.
    for (let second = 0; second < 10; second++) {
      trends.add('acme', { published: 10, delivered: 20, latencies: [second + 1] });
      trends.add('acme', { published: 30, delivered: 40, latencies: [100] });
    }
    expect(trends.due(9_999)).toBe(false);
    expect(trends.due(10_000)).toBe(true);
    trends.close(10_000, new Map([['acme', { connections: { '/orders': 3 }, agentsOnline: 2 }]]));
    expect(trends.of('acme')).toEqual([
      { at: 10_000, publishedPerSecond: 40, deliveredPerSecond: 60, p99Ms: 100, connections: { '/orders': 3 }, agentsOnline: 2 },
    ]);
    expect(trends.version).toBe(1);
  });

  it('keeps each company apart, and a point for a quiet bucket of a company that has a series', () => {
    const trends = new TrendHistory(0, 10_000, 90);
    trends.add('acme', { published: 5, delivered: 5, latencies: [3] });
    trends.add('beta', { published: 1, delivered: 0, latencies: [] });
    trends.close(10_000, NONE);
    trends.close(20_000, NONE);
    expect(trends.of('acme').map((point) => point.publishedPerSecond)).toEqual([0.5, 0]);
    expect(trends.of('beta').map((point) => [point.publishedPerSecond, point.p99Ms])).toEqual([
      [0.1, null],
      [0, null],
    ]);
  });

  it('holds 90 points at most, oldest first', () => {
    const trends = new TrendHistory(0, 10_000, 90);
    for (let i = 1; i <= 100; i++) {
      trends.add('acme', { published: i * 10, delivered: 0, latencies: [] });
      trends.close(i * 10_000, NONE);
    }
    const series = trends.of('acme');
    expect(series).toHaveLength(90);
    expect(series[0]).toMatchObject({ at: 110_000, publishedPerSecond: 11 });
    expect(series[89]).toMatchObject({ at: 1_000_000, publishedPerSecond: 100 });
  });

  it('shows connections and agents without traffic, and forgets a company quiet for its whole window', () => {
    const trends = new TrendHistory(0, 10_000, 3);
    trends.close(10_000, new Map([['idle', { connections: { '/presence': 1 }, agentsOnline: 0 }]]));
    expect(trends.of('idle')).toHaveLength(1);
    for (let i = 2; i <= 4; i++) trends.close(i * 10_000, NONE);
    expect(trends.of('idle')).toEqual([]);
  });

  it('samples the latencies of a busy bucket and still finds its p99', () => {
    const trends = new TrendHistory(0, 10_000, 90);
    // 10,000 deliveries, 2 % of them at 500 ms: more than the bucket keeps, so it samples.
    for (let i = 0; i < 100; i++) trends.add('acme', { published: 0, delivered: 100, latencies: [...Array<number>(98).fill(5), 500, 500] });
    trends.close(10_000, NONE);
    expect(trends.of('acme')[0]).toMatchObject({ deliveredPerSecond: 1000, p99Ms: 500 });
  });
});
