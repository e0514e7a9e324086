import fc from 'fast-check';
import type { Envelope } from '../../src/bus/envelope';
import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { publishBatch } from '../utils/http';
import { createTestApp, type TestApp } from '../utils/test-app';
import { serviceToken, signToken } from '../utils/tokens';

const COMPANIES = ['c1', 'c2', 'c3'];
const BRANCHES = ['b1', 'b2', 'b3'];
const USERS = ['u1', 'u2', 'u3'];
const CHANNELS = [...COMPANIES.map((c) => `company:${c}`), ...BRANCHES.map((b) => `branch:${b}`), ...USERS.map((u) => `user:${u}`)];

interface ClientSpec {
  company: string;
  sub: string;
  role: 'admin' | 'staff';
  branchIds: string[];
  wants: string[];
}

const clientSpec: fc.Arbitrary<ClientSpec> = fc.record({
  company: fc.constantFrom(...COMPANIES),
  sub: fc.constantFrom(...USERS),
  role: fc.constantFrom('admin' as const, 'staff' as const),
  branchIds: fc.oneof(fc.constant<string[]>(['*']), fc.subarray(BRANCHES)),
  wants: fc.subarray(CHANNELS),
});
const target = fc.record({ company: fc.constantFrom(...COMPANIES), channel: fc.constantFrom(...CHANNELS) });

/** The authorization rule, restated independently of the server's implementation. */
function allowed(spec: ClientSpec, channel: string): boolean {
  const [kind, id] = channel.split(':');
  if (kind === 'company') return id === spec.company;
  if (kind === 'branch') return spec.branchIds[0] === '*' || spec.branchIds.includes(id);
  return id === spec.sub || spec.role === 'admin';
}

/**
 * Random companies × branches × roles × subscriptions × publish targets, 300 runs (fixed seed):
 * every socket receives exactly the events of the channels it was allowed to subscribe to, in
 * its own company, and nothing else. On the embedded engine delivery is synchronous, so once a
 * final sentinel event has reached a client, anything that could have leaked to it has arrived.
 */
describe('tenancy property', () => {
  let server: TestApp;
  beforeAll(async () => {
    server = await createTestApp({ CONNECTIONS_PER_IP: '0', RATE_LIMIT_PER_SOCKET: '100000', RATE_LIMIT_PER_USER: '100000' });
  });
  afterAll(async () => {
    closeAllClients();
    await server.close();
  });

  it('delivers to every socket only what it is authorized for (300 runs)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(clientSpec, { minLength: 1, maxLength: 4 }),
        fc.array(target, { minLength: 1, maxLength: 20 }),
        async (specs, targets) => {
          run += 1;
          const clients: { spec: ClientSpec; client: TestClient; subscribed: Set<string> }[] = [];
          try {
            for (const spec of specs) {
              const client = await connect(server.url, '/orders', {
                token: signToken({ sub: spec.sub, companyId: spec.company, branchIds: spec.branchIds, roles: [spec.role] }),
              });
              const subscribed = new Set<string>();
              for (const channel of spec.wants) {
                const ack = await client.subscribe(channel);
                // The server's verdict must equal the rule.
                if (ack.ok !== allowed(spec, channel)) return false;
                if (ack.ok) subscribed.add(channel);
              }
              // A private sentinel channel: the user's own, always allowed.
              await client.subscribe(`user:${spec.sub}`);
              clients.push({ spec, client, subscribed });
            }
            const tag = `run-${run}`;
            for (const company of COMPANIES) {
              const mine = targets.filter((t) => t.company === company);
              if (mine.length === 0) continue;
              const messages = mine.map((t, i) => ({
                namespace: 'orders',
                channel: t.channel,
                event: 'order:updated',
                data: { orderId: `${tag}-${i}`, company, tag },
              }));
              if ((await publishBatch(server.url, messages, serviceToken(company))).status !== 202) return false;
            }
            for (const { spec } of clients) {
              await publishBatch(
                server.url,
                [
                  {
                    namespace: 'orders',
                    channel: `user:${spec.sub}`,
                    event: 'order:updated',
                    data: { orderId: `${tag}-sentinel`, sentinel: true, tag },
                  },
                ],
                serviceToken(spec.company),
              );
            }
            for (const { client, spec, subscribed } of clients) {
              await client.until((c) => c.envelopes().some((e) => (e.data as { orderId: string }).orderId === `${tag}-sentinel`), 5000);
              const received = (client.envelopes() as Envelope<{ company?: string; tag: string; sentinel?: boolean }>[])
                .filter((e) => e.data.tag === tag && !e.data.sentinel)
                .map((e) => `${e.data.company}/${e.channel}`)
                .sort();
              const expected = targets
                .filter((t) => t.company === spec.company && (subscribed.has(t.channel) || t.channel === `user:${spec.sub}`))
                .map((t) => `${t.company}/${t.channel}`)
                .sort();
              if (JSON.stringify(received) !== JSON.stringify(expected)) return false;
            }
            return true;
          } finally {
            for (const { client } of clients) client.close();
          }
        },
      ),
      { numRuns: 300, seed: 20261122, endOnFailure: true },
    );
    expect(run).toBeGreaterThanOrEqual(300);
  }, 180_000);
});
