import { MetricsService, OTHER_COMPANIES, TOP_COMPANIES, topCompanies } from './metrics.service';

describe('topCompanies (bounded label cardinality)', () => {
  it('names the largest companies and sums the rest as _other', () => {
    const connections: string[] = [];
    for (let c = 0; c < 25; c++) for (let i = 0; i <= c; i++) connections.push(`company-${String(c).padStart(2, '0')}`);
    const result = topCompanies(connections);
    expect(result).toHaveLength(TOP_COMPANIES + 1);
    expect(result[0]).toEqual(['company-24', 25]);
    expect(result[TOP_COMPANIES - 1]).toEqual(['company-15', 16]);
    // companies 0..14 hold 1 + 2 + ... + 15 = 120 connections
    expect(result[TOP_COMPANIES]).toEqual([OTHER_COMPANIES, 120]);
    expect(result.reduce((sum, [, count]) => sum + count, 0)).toBe(connections.length);
  });

  it('has no _other series when every company fits', () => {
    expect(topCompanies(['a', 'b', 'a'])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });
});

describe('accepted handshakes (counted in a plain number, moved into the counter at scrape)', () => {
  const accepted = async (metrics: MetricsService, namespace: string) =>
    (await metrics.handshakes.get()).values.find((v) => v.labels.namespace === namespace && v.labels.outcome === 'accepted')?.value;

  it('reports every accepted handshake once, across scrapes, beside the refusals', async () => {
    const metrics = new MetricsService();
    metrics.handshakeAccepted('/orders');
    metrics.handshakeAccepted('/orders');
    metrics.handshakeAccepted('/sync');
    metrics.handshakes.inc({ namespace: '/orders', outcome: 'AUTH_INVALID' });
    expect(await accepted(metrics, '/orders')).toBe(2);
    expect(await accepted(metrics, '/sync')).toBe(1);
    // A second scrape adds nothing twice; a later handshake adds one.
    expect(await accepted(metrics, '/orders')).toBe(2);
    metrics.handshakeAccepted('/orders');
    expect(await accepted(metrics, '/orders')).toBe(3);
    const refused = (await metrics.handshakes.get()).values.find((v) => v.labels.outcome === 'AUTH_INVALID');
    expect(refused?.value).toBe(1);
  });
});
