import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, waitText } from '../utils/browser';
import { postJson, publish } from '../utils/http';
import { buildOnce, ROOT, startServerProcess, type ServerProcess } from '../utils/server-process';
import { serveStatic, type StaticServer } from '../utils/static-server';
import { tokenFromCli } from '../utils/token-cli';
import { closeSdkClients, sdkClient } from '../utils/sdk';
import { serviceToken, signToken, TEST_JWT_SECRET } from '../utils/tokens';

const EXAMPLE = join(ROOT, 'examples', 'react-dashboard');
const row = (page: Page, selector: string) => page.locator(selector).innerText();

/**
 * examples/react-dashboard as its README runs it: built with Vite, against the server as
 * `npm start` runs it (embedded engine), with a token from `npm run token`, in Chromium.
 */
describe('examples/react-dashboard in Chromium', () => {
  let server: ServerProcess;
  let staff: string;
  let files: StaticServer;
  let browser: Browser;
  let page: Page;
  let url: string;

  beforeAll(async () => {
    const build = spawnSync('npm', ['run', 'build', '-w', 'switchboard-example-react-dashboard'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (build.status !== 0) throw new Error(`vite build failed:\n${build.stdout}${build.stderr}`);
    buildOnce();
    server = await startServerProcess({ JWT_SECRET: TEST_JWT_SECRET });
    staff = tokenFromCli(['--company', 'acme', '--branch', 'b1', '--role', 'staff']);
    files = await serveStatic({ '/': join(EXAMPLE, 'dist') });
    url = `${files.url}/?server=${encodeURIComponent(server.url)}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    page.on('pageerror', (error) => process.stdout.write(`page error: ${error.message}\n`));
  }, 150_000);
  afterAll(async () => {
    closeSdkClients();
    await browser?.close();
    await files?.close();
    await server?.stop();
  });

  it('logs in with a pasted token and follows orders, tickets and stock live', async () => {
    await page.goto(url);
    await page.fill('#token', staff);
    await page.click('#connect');
    await waitText(page, '[data-testid=state-orders]', /connected/);
    await waitText(page, '[data-testid=state-availability]', /connected/);

    const orders = (event: string, data: Record<string, unknown>) =>
      publish(server.url, { namespace: 'orders', channel: 'branch:b1', event, data });
    expect((await orders('order:created', { orderId: 'o-1' })).status).toBe(202);
    expect((await orders('order:status-changed', { orderId: 'o-1', status: 'ready' })).status).toBe(202);
    expect((await orders('delivery:updated', { orderId: 'o-1', delivery: 'picked up' })).status).toBe(202);
    await waitText(page, '[data-order="o-1"]', /o-1\s+ready\s+picked up/);

    // The kitchen ticket, printed by a print agent on the SDK: its status reaches the dashboard.
    const agent = sdkClient(server.url, { token: signToken({ sub: 'till-1', branchIds: ['b1'], roles: ['printer-agent'] }) }).printAgent();
    agent.onJob(() => undefined);
    await agent.registerPrinters([{ id: 'kitchen-1', name: 'Kitchen', kind: 'kitchen', status: 'ready' }]);
    const job = { jobId: 'ticket-o-1', branchId: 'b1', orderId: 'o-1', document: { contentType: 'text/plain', data: 'o-1: fries' } };
    expect((await postJson(`${server.url}/v1/print-jobs`, job, serviceToken())).status).toBe(202);
    await waitText(page, '[data-order="o-1"]', /printed/);

    const stock = (event: string, data: Record<string, unknown>) =>
      publish(server.url, { namespace: 'availability', channel: 'branch:b1', event, data });
    expect((await stock('stock:changed', { sku: 'fries', quantity: 12 })).status).toBe(202);
    expect((await stock('stock:low', { sku: 'fries', quantity: 3, threshold: 5 })).status).toBe(202);
    expect((await stock('item:unavailable', { sku: 'shake' })).status).toBe(202);
    await waitText(page, '[data-sku="fries"]', /fries\s+3\s+low \(≤ 5\)/);
    await waitText(page, '[data-sku="shake"]', /unavailable/);
    // Another branch's and another company's events never show.
    await publish(server.url, { namespace: 'orders', channel: 'branch:b2', event: 'order:created', data: { orderId: 'elsewhere' } });
    expect(await page.locator('[data-order="elsewhere"]').count()).toBe(0);
  }, 60_000);

  it('keeps its board across a reload and applies what was published meanwhile', async () => {
    await page.goto('about:blank');
    expect(
      (
        await publish(server.url, {
          namespace: 'orders',
          channel: 'branch:b1',
          event: 'order:status-changed',
          data: { orderId: 'o-1', status: 'served' },
        })
      ).status,
    ).toBe(202);
    expect(
      (await publish(server.url, { namespace: 'orders', channel: 'branch:b1', event: 'order:created', data: { orderId: 'o-2' } })).status,
    ).toBe(202);
    await page.goto(url); // the token is still in this tab
    await waitText(page, '[data-testid=state-orders]', /connected/);
    await waitText(page, '[data-order="o-1"]', /served/);
    await waitText(page, '[data-order="o-2"]', /o-2\s+new/);
    expect(await row(page, '[data-sku="fries"]')).toMatch(/low/);
    await screenshot(page, 'react-dashboard.png');
  }, 60_000);
});
