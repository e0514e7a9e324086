import type { Browser } from 'playwright-core';
import { launchChromium, screenshot, waitText } from '../utils/browser';
import { createTestApp, type TestApp } from '../utils/test-app';

/** Swagger UI at /docs in Debian's headless Chromium, under its own CSP (no inline script, this origin only). */
describe('Swagger UI in Chromium', () => {
  let server: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    server = await createTestApp();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders the HTTP API with its operations, and the page breaks no CSP rule', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(`${server.url}/docs`);
    await waitText(page, '.info .title', /Switchboard HTTP API/);
    await page.waitForSelector('.opblock-summary-path[data-path="/v1/publish"]');
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(15);
    await screenshot(page, 'openapi-docs.png');
    expect(problems).toEqual([]);
  }, 60_000);
});
