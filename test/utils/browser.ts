import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './server-process';

/** Debian's Chromium, headless, with nothing that phones home (this machine's network is closed). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Waits until the element's rendered text matches (evaluated in the page; the test has no DOM types). */
export function waitText(page: Page, selector: string, pattern: RegExp, timeout = 10_000): Promise<unknown> {
  return page.waitForFunction(
    ([sel, source, flags]) => {
      const element = (
        globalThis as unknown as { document: { querySelector(s: string): { innerText: string } | null } }
      ).document.querySelector(sel);
      return element !== null && new RegExp(source, flags).test(element.innerText);
    },
    [selector, pattern.source, pattern.flags] as const,
    { timeout },
  );
}

/** Saves a full-page screenshot under test-artifacts/ (kept by CI) and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const directory = join(ROOT, 'test-artifacts');
  mkdirSync(directory, { recursive: true });
  const path = join(directory, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}
