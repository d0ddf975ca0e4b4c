/**
 * Playwright on Debian's chromium (/usr/bin/chromium; never a downloaded browser). Browser
 * tests skip, saying why, when it is absent; `.ci/run` installs it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const NO_CHROMIUM_MESSAGE = `skipped: ${CHROMIUM} is absent (apt-get install -y --no-install-recommends chromium)`;

export async function launchBrowser(): Promise<Browser> {
  // --no-sandbox: the tests run as root, where chromium's sandbox cannot start.
  return await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A fresh browser context (its own cookies) on the console, logged in with `token`. */
export async function loggedIn(browser: Browser, consoleUrl: string, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(consoleUrl);
  await page.fill('#token', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('#fleet');
  return page;
}
