import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot } from '../utils/browser';
import { orderUpdated, publish } from '../utils/http';
import { freePort, RedisServer } from '../utils/redis-server';
import { buildOnce, ROOT, startServerProcess, type ServerProcess } from '../utils/server-process';
import { serveStatic, type StaticServer } from '../utils/static-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken, TEST_JWT_SECRET } from '../utils/tokens';
import { Traffic } from '../utils/traffic';

interface PageState {
  log: { id: string; seq: number; epoch: string }[];
  resyncs: unknown[];
  subscribed: { position: { epoch: string; seq: number }; recovered?: boolean; missed?: number }[];
  errors: string[];
  states: string[];
  retryAt?: number;
}

const pageState = (page: Page): Promise<PageState> => page.evaluate(() => (globalThis as unknown as { page: PageState }).page);

/** Waits in the page for its state to satisfy `predicate` (given as source: it runs in the browser). */
function waitPage(page: Page, predicate: string, timeout = 20_000): Promise<unknown> {
  return page.waitForFunction(`(() => { const state = globalThis.page; return !!state && (${predicate}); })()`, undefined, { timeout });
}

function gapsAndDuplicates(log: PageState['log']) {
  const holes = log.filter(
    (entry, index) => index > 0 && (entry.epoch !== log[index - 1].epoch || entry.seq !== log[index - 1].seq + 1),
  ).length;
  return { holes, duplicates: log.length - new Set(log.map((entry) => entry.id)).size };
}

/**
 * A real page using the built SDK in Debian's Chromium (issue 7): it subscribes, survives a
 * restart of its server with a gap-free replay, and resumes from its stored positions after a
 * reload. The server is a real process on a fixed port; a second node on the same Redis keeps
 * publishing while the first one is down.
 */
describe('@switchboard/client in Chromium', () => {
  let redis: RedisServer;
  let publisher: TestApp;
  let server: ServerProcess;
  let port: number;
  let files: StaticServer;
  let browser: Browser;
  let page: Page;
  let pageUrl: string;
  const env = () => ({ REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET, DRAIN_DEADLINE_SECONDS: '2' });

  beforeAll(async () => {
    buildOnce();
    redis = await RedisServer.start();
    publisher = await createTestApp({ REDIS_URL: redis.url });
    port = await freePort();
    server = await startServerProcess(env(), { port });
    files = await serveStatic({
      '/sdk/': join(ROOT, 'packages', 'client', 'dist'),
      '/vendor/socket.io-client.js': join(ROOT, 'node_modules', 'socket.io-client', 'dist', 'socket.io.esm.min.js'),
      '/': join(ROOT, 'test', 'fixtures', 'sdk-page'),
    });
    pageUrl = `${files.url}/#${new URLSearchParams({ url: server.url, token: staffToken('acme', ['b1']) }).toString()}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    page.on('pageerror', (error) => process.stdout.write(`page error: ${error.message}\n`));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await files?.close();
    await server?.kill9();
    await publisher?.close();
    await redis?.stop();
  });

  it('subscribes, then replays without a gap what was published while its server restarted', async () => {
    await page.goto(pageUrl);
    await waitPage(page, 'state.subscribed.length === 1');
    const traffic = new Traffic([publisher.url], ['branch:b1'], 20);
    traffic.start();
    try {
      await waitPage(page, 'state.log.length >= 10');
      expect(await server.stop()).toBe(0);
      server = await startServerProcess(env(), { port });
      await waitPage(page, 'state.subscribed.length >= 2', 30_000);
      const resumedAt = (await pageState(page)).log.length;
      await waitPage(page, `state.log.length >= ${resumedAt + 10}`);
    } finally {
      await traffic.stop();
    }
    const accepted = traffic.accepted.get('branch:b1') ?? [];
    await waitPage(page, `${JSON.stringify(accepted)}.every((id) => state.log.some((entry) => entry.id === id))`);

    const state = await pageState(page);
    const resumed = state.subscribed[state.subscribed.length - 1];
    process.stdout.write(
      `sdk browser restart: ${accepted.length} accepted, ${state.log.length} applied, ${resumed.missed} replayed on resubscribe, ${JSON.stringify(gapsAndDuplicates(state.log))}\n`,
    );
    expect(state.log.map((entry) => entry.id)).toEqual(accepted);
    expect(gapsAndDuplicates(state.log)).toEqual({ holes: 0, duplicates: 0 });
    expect(resumed).toMatchObject({ recovered: true });
    expect(resumed.missed).toBeGreaterThan(0);
    expect(state.resyncs).toEqual([]);
  }, 90_000);

  it('resumes from its stored positions after the page is closed and opened again, and after a reload', async () => {
    const before = await pageState(page);
    const last = before.log[before.log.length - 1];
    await page.goto('about:blank'); // the page is gone (pagehide closes its client)
    for (const n of [1, 2, 3]) expect((await publish(publisher.url, orderUpdated('branch:b1', `while-closed-${n}`))).status).toBe(202);

    await page.goto(pageUrl);
    await waitPage(page, 'state.subscribed.length === 1');
    await waitPage(page, `state.log.length === ${before.log.length + 3}`);
    let state = await pageState(page);
    expect(state.subscribed[0]).toMatchObject({ recovered: true, missed: 3, position: { epoch: last.epoch, seq: last.seq + 3 } });
    expect(gapsAndDuplicates(state.log)).toEqual({ holes: 0, duplicates: 0 });
    expect(state.resyncs).toEqual([]);

    await page.reload();
    await waitPage(page, 'state.subscribed.length === 1');
    state = await pageState(page);
    expect(state.subscribed[0]).toMatchObject({ recovered: true, missed: 0, position: { seq: last.seq + 3 } });
    expect(state.log).toHaveLength(before.log.length + 3);
    expect(state.errors).toEqual([]);
    await screenshot(page, 'sdk-page.png');
  }, 60_000);

  it('reconnects at once when the browser comes back online, instead of waiting out its backoff', async () => {
    const context = await browser.newContext();
    const offline = await context.newPage();
    try {
      // A one-minute backoff: only the `online` event can explain a quick reconnection.
      await offline.goto(`${pageUrl}&backoff=60000`);
      await waitPage(offline, 'state.subscribed.length === 1');
      await server.kill9();
      // Full jitter may draw a short wait; take a state that leaves at least 5 s.
      await waitPage(offline, `state.states.at(-1) === 'waiting' && state.retryAt - Date.now() > 5000`, 70_000);
      server = await startServerProcess(env(), { port });
      const { retryAt } = await pageState(offline);
      const back = Date.now();
      await context.setOffline(true);
      await context.setOffline(false); // the page gets `online`
      await waitPage(offline, 'state.subscribed.length === 2', 10_000);
      expect(Date.now()).toBeLessThan(retryAt as number);
      process.stdout.write(
        `sdk browser online: reconnected ${Date.now() - back} ms after the online event (backoff had ${(retryAt as number) - back} ms to go)\n`,
      );
    } finally {
      await context.close();
    }
  }, 120_000);
});
