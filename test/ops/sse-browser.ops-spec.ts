import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot } from '../utils/browser';
import { orderUpdated, publish } from '../utils/http';
import { freePort, RedisServer } from '../utils/redis-server';
import { buildOnce, ROOT, startServerProcess, type ServerProcess } from '../utils/server-process';
import { serveStatic, type StaticServer } from '../utils/static-server';
import { createTestApp, type TestApp } from '../utils/test-app';
import { staffToken, TEST_JWT_SECRET } from '../utils/tokens';

interface PageState {
  log: { id: string; seq: number; epoch: string; orderId: number }[];
  subscribed: { recovered?: boolean; missed?: number; reason?: string }[];
  resets: unknown[];
  sessions: number;
  errors: number;
  opens: number;
  failures: string[];
}

const pageState = (page: Page): Promise<PageState> =>
  page.evaluate(() => {
    const { source: _source, ...state } = (globalThis as unknown as { page: PageState & { source?: unknown } }).page;
    return state;
  });

function waitPage(page: Page, predicate: string, timeout = 20_000): Promise<unknown> {
  return page.waitForFunction(`(() => { const state = globalThis.page; return !!state && (${predicate}); })()`, undefined, { timeout });
}

/**
 * Chromium's own `EventSource` on /v1/sse (issue 16): the page follows a channel, its server is
 * killed (-9) and restarted on the same port while a second node on the same Redis keeps
 * publishing, and the browser's automatic reconnect with `Last-Event-ID` resumes the stream.
 * Nothing in the page handles reconnection: the resume key and positions in the event ids do it.
 */
describe('SSE in Chromium: EventSource across a server restart', () => {
  let redis: RedisServer;
  let publisher: TestApp;
  let server: ServerProcess;
  let port: number;
  let files: StaticServer;
  let browser: Browser;
  let page: Page;
  const env = () => ({ REDIS_URL: redis.url, JWT_SECRET: TEST_JWT_SECRET });

  beforeAll(async () => {
    buildOnce();
    redis = await RedisServer.start();
    publisher = await createTestApp({ REDIS_URL: redis.url });
    port = await freePort();
    server = await startServerProcess(env(), { port });
    files = await serveStatic({ '/': join(ROOT, 'test', 'fixtures', 'sse-page') });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => process.stdout.write(`page error: ${error.message}\n`));
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await files?.close();
    await server?.kill9();
    await publisher?.close();
    await redis?.stop();
  });

  it('replays what was published while the server was down: 0 missing, 0 twice, in order', async () => {
    await page.goto(`${files.url}/#${new URLSearchParams({ url: server.url, token: staffToken('acme', ['b1']) }).toString()}`);
    await waitPage(page, 'state.subscribed.length === 1');
    let next = 1;
    const publishUpTo = async (last: number) => {
      for (; next <= last; next++) expect((await publish(publisher.url, orderUpdated('branch:b1', next))).status).toBe(202);
    };
    await publishUpTo(10);
    await waitPage(page, 'state.log.length === 10');

    await server.kill9();
    await publishUpTo(40);
    server = await startServerProcess(env(), { port });
    await waitPage(page, 'state.subscribed.length === 2', 30_000);
    await publishUpTo(50);
    await waitPage(page, 'state.log.length >= 50');

    const state = await pageState(page);
    const ids = state.log.map((entry) => entry.orderId);
    const holes = state.log.filter(
      (entry, i) => i > 0 && (entry.epoch !== state.log[i - 1].epoch || entry.seq !== state.log[i - 1].seq + 1),
    ).length;
    const twice = ids.length - new Set(ids).size;
    process.stdout.write(
      `sse browser restart: 50 published, ${ids.length} received, ${state.subscribed[1].missed} replayed after the restart, ${holes} holes, ${twice} twice, ${state.errors} EventSource errors\n`,
    );
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(holes).toBe(0);
    expect(state.subscribed[1]).toMatchObject({ recovered: true, missed: 30 });
    // Two sessions: the stream was re-established by the browser, on its own.
    expect(state.sessions).toBe(2);
    expect(state.resets).toEqual([]);
    expect(state.failures).toEqual([]);
    await screenshot(page, 'sse-page.png');
  }, 90_000);
});
