import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, waitText } from '../utils/browser';
import { closeAllClients, connect, connectError } from '../utils/clients';
import { getJson, orderUpdated, postJson, publish } from '../utils/http';
import { TestAgent } from '../utils/printer-agent';
import { createTestApp, type TestApp } from '../utils/test-app';
import { adminToken, serviceToken, signToken, staffToken } from '../utils/tokens';

const text = (page: Page, selector: string) => page.locator(selector).innerText();

/** The /admin page in Debian's headless Chromium, against a real server, updating live over /admin-ws. */
describe('admin dashboard in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await createTestApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 60_000);
  afterAll(async () => {
    closeAllClients();
    await browser?.close();
    await server?.close();
  });

  it('refuses a token without the admin role, with its code', async () => {
    await page.goto(`${server.url}/admin`);
    await page.fill('#token', staffToken('acme'));
    await page.click('#connect');
    await waitText(page, '#login-error', /FORBIDDEN/);
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
  });

  it('logs in with an admin token and follows connections, events, agents and auth failures live', async () => {
    await page.fill('#token', adminToken('acme'));
    await page.click('#connect');
    await page.waitForSelector('#dashboard:not([hidden])');
    expect(await text(page, '#company')).toBe('company acme');
    // The dashboard's own connection.
    await waitText(page, '#connections-total', /^1$/);

    // A client connects: the count changes. Another company's client does not show.
    await connect(server.url, '/orders', { token: staffToken('beta') });
    const client = await connect(server.url, '/orders', { token: staffToken('acme', ['b1']) });
    await waitText(page, '#connections-total', /^2$/);
    expect(await text(page, '#connections')).toMatch(/\/orders\s+1/);

    // Events are published: the rate and latency show them (a rate covers the last second, so keep publishing until seen).
    await client.subscribe('branch:b1');
    const seen = waitText(page, '#published-rate', /^[1-9]\d*$/);
    let published = 0;
    const publisher = setInterval(() => {
      if (published++ < 50) void publish(server.url, orderUpdated('branch:b1', published));
    }, 100);
    try {
      await seen;
    } finally {
      clearInterval(publisher);
    }
    await waitText(page, '#latency-p99', /ms$/);
    expect(Number(await text(page, '#delivered-rate'))).toBeGreaterThan(0);

    // A printing agent comes online for a branch.
    const agent = await TestAgent.connect(server.url, { branch: 'kitchen-1' });
    await agent.register([{ id: 'p1' }]);
    await waitText(page, '#branches', /kitchen-1\s+online\s+agent-1/);

    // A print job goes through: its statuses are counted.
    const ticket = { jobId: 'dash-1', branchId: 'kitchen-1', document: { contentType: 'text/plain', data: 'ticket' } };
    expect((await postJson(`${server.url}/v1/print-jobs`, ticket, serviceToken())).status).toBe(202);
    await agent.until((a) => a.received('dash-1').length === 1);
    expect((await agent.report('dash-1', 'printed')).ok).toBe(true);
    await waitText(page, '#print-jobs', /printed\s+1/);

    // A refused token that claims this company appears among the auth failures.
    const expired = signToken({ sub: 'late', companyId: 'acme', roles: ['staff'] }, { expiresIn: -60 });
    await connectError(server.url, '/orders', { token: expired });
    await waitText(page, '#auth-failures', /AUTH_EXPIRED\s+\/orders/);

    // The trend charts: a point every 10 s with the traffic above (published at more than 1/s)
    // and the /orders connection, drawn as SVG.
    await waitText(page, '#trend-events-legend', /max ([1-9]|\d{2,})/, 25_000);
    await waitText(page, '#trend-connections-legend', /\/orders [1-9]/, 25_000);
    expect(Number(await page.getAttribute('#trend-events', 'data-points'))).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#trend-events polyline').count()).toBe(2); // published and delivered

    await screenshot(page, 'admin-dashboard.png');
  }, 90_000);

  it('revokes and kicks users, cancels and resends a print job from the page, after a confirmation, and shows each in the audit trail', async () => {
    page.on('dialog', (dialog) => void dialog.accept());
    const victim = await connect(server.url, '/orders', { token: staffToken('acme', ['b1'], 'mallory') });
    await page.fill('#revoke-user', 'mallory');
    await page.click('#revoke');
    await waitText(page, '#action-result', /revoked every token of mallory/);
    await victim.until((c) => c.events.some(([event]) => event === 'session:ended'), 10_000);
    expect(victim.events.find(([event]) => event === 'session:ended')?.[1]).toMatchObject({ reason: 'REVOKED' });

    const stray = await connect(server.url, '/orders', { token: staffToken('acme', ['b1'], 'stray-tab') });
    await page.fill('#revoke-user', 'stray-tab');
    await page.click('#kick');
    await waitText(page, '#action-result', /ended the live sessions of stray-tab/);
    await stray.until((c) => c.events.some(([event]) => event === 'session:ended'), 10_000);
    expect(stray.events.find(([event]) => event === 'session:ended')?.[1]).toMatchObject({ reason: 'KICKED' });

    const ticket = { jobId: 'dash-cancel', branchId: 'nobody-here', document: { contentType: 'text/plain', data: 'ticket' } };
    expect((await postJson(`${server.url}/v1/print-jobs`, ticket, serviceToken())).status).toBe(202);
    await page.fill('#cancel-job', 'dash-cancel');
    await page.click('#cancel');
    await waitText(page, '#action-result', /job dash-cancel is cancelled/);
    // Again: refused, with its code, and audited as refused.
    await page.click('#cancel');
    await waitText(page, '#action-result', /PRINT_JOB_CONFLICT/);
    await waitText(page, '#audit', /cancel-print-job\s+dash-cancel\s+PRINT_JOB_CONFLICT/);
    expect(await text(page, '#audit')).toMatch(/cancel-print-job\s+dash-cancel\s+ok/);
    // The cancelled ticket printed after all: resend it, as a new job that names the original.
    await page.click('#resend');
    await waitText(page, '#action-result', /job dash-cancel resent as dash-cancel\.r1 \(queued\)/);
    expect(await page.isDisabled('#resend')).toBe(false);
    const copy = await getJson<{ resentFrom: string; status: string }>(`${server.url}/v1/print-jobs/dash-cancel.r1`, serviceToken());
    expect(copy.body).toMatchObject({ resentFrom: 'dash-cancel', status: 'queued' });
    await waitText(page, '#audit', /resend-print-job\s+dash-cancel\s+ok/);
    expect(await text(page, '#audit')).toMatch(/revoke-user\s+mallory\s+ok/);
    expect(await text(page, '#audit')).toMatch(/kick-user\s+stray-tab\s+ok/);
    await screenshot(page, 'admin-dashboard-actions.png');
  }, 60_000);
  it('shows a platform admin every company, from GET /v1/admin/platform', async () => {
    await connect(server.url, '/orders', { token: staffToken('tenant-two', ['b1'], 'someone') });
    const platform = await browser.newPage({ viewport: { width: 1280, height: 600 } });
    try {
      await platform.goto(`${server.url}/admin`);
      await platform.fill('#token', adminToken('*', 'root'));
      await platform.click('#connect');
      await platform.waitForSelector('#platform:not([hidden])');
      await waitText(platform, '#companies', /acme\s+\d+/);
      await waitText(platform, '#companies', /tenant-two\s+1\s/);
      expect(await platform.locator('#dashboard').isHidden()).toBe(true);
      await screenshot(platform, 'admin-platform.png');
    } finally {
      await platform.close();
    }
  });
});
