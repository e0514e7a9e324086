import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { closeAllClients, connect, type TestClient } from '../utils/clients';
import { orderUpdated, publish } from '../utils/http';
import { RawClient } from '../utils/raw-client';
import { buildOnce, startServerProcess, type ServerProcess } from '../utils/server-process';
import { staffToken, TEST_JWT_SECRET } from '../utils/tokens';

const FRAMES = 1200;

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

/** Random frames: free text, Socket.IO-shaped packets with random JSON, and random binary. */
const frame: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .tuple(
      fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7'),
      fc.constantFrom('', '/orders,', '/presence,', '/printing-ws,', '/nope,', '/,'),
      fc.oneof(fc.constant(''), fc.nat({ max: 1_000_000 }).map(String)),
      fc.json({ maxDepth: 6 }),
    )
    .map(([type, namespace, id, json]) => `4${type}${namespace}${id}${json}`),
  fc
    .tuple(
      fc.constantFrom('subscribe', 'unsubscribe', 'presence:update', 'auth:refresh', 'printers:register', 'x'),
      fc.jsonValue({ maxDepth: 5 }),
    )
    .map(([event, payload]) => `42/orders,1${JSON.stringify([event, payload])}`),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
);

/**
 * 1,200 seeded random frames against a real server process, over raw connections that are
 * reopened whenever the server closes one. A control client stays connected and keeps
 * receiving; the process never exits; its RSS ends at most 20 MB above where it started.
 */
describe('frame fuzzer', () => {
  let server: ServerProcess;
  let control: TestClient;
  let disconnects = 0;

  beforeAll(async () => {
    buildOnce();
    server = await startServerProcess({ JWT_SECRET: TEST_JWT_SECRET, RATE_LIMIT_PER_SOCKET: '100000', RATE_LIMIT_PER_USER: '100000' });
    control = await connect(server.url, '/orders', { token: staffToken() });
    control.socket.on('disconnect', () => (disconnects += 1));
    await control.subscribe('branch:b1');
  }, 120_000);
  afterAll(async () => {
    closeAllClients();
    await server.stop();
  });

  it(`survives ${FRAMES} random frames with bounded memory`, async () => {
    const frames = fc.sample(frame, { numRuns: FRAMES, seed: 4242 });
    // Warm up the paths the fuzzer will hit, then take the baseline.
    for (let i = 0; i < 3; i++) await publish(server.url, orderUpdated('branch:b1', `warm-${i}`));
    const before = rssBytes(server.pid);

    let raw = await RawClient.open(server.url);
    await raw.join('/orders', staffToken());
    let reopened = 0;
    for (const [index, next] of frames.entries()) {
      if (!raw.isOpen) {
        raw = await RawClient.open(server.url);
        await raw.join('/orders', staffToken());
        reopened += 1;
      }
      raw.send(next);
      if (index % 100 === 99) {
        // Every hundred frames: the control client still gets a fresh event.
        const id = `probe-${index}`;
        await publish(server.url, orderUpdated('branch:b1', id));
        await control.until((c) => c.envelopes().some((e) => (e.data as { orderId: string }).orderId === id), 5000);
      }
    }
    raw.close();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const after = rssBytes(server.pid);
    process.stdout.write(
      `[fuzz] ${FRAMES} frames, ${reopened} connections closed by the server and reopened, RSS ${(before / 2 ** 20).toFixed(1)} → ${(after / 2 ** 20).toFixed(1)} MB\n`,
    );
    expect(after - before).toBeLessThan(20 * 2 ** 20);
    expect(disconnects).toBe(0);
    expect(control.socket.connected).toBe(true);
    expect(rssBytes(server.pid)).toBeGreaterThan(0); // the process is still there
  }, 120_000);
});
