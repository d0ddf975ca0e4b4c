/**
 * The console in a real browser against a running router, the Envoy stand-in and two Trino
 * stand-ins: log in with each token, steer backends and see the routing follow, edit rules
 * with the admin API's field errors, explain, find a refusal in the history; a read-only
 * session and a request without the CSRF token change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { clusterOf, dispatchQuery } from '../e2e/harness.js';
import { HAVE_CHROMIUM, launchBrowser, loggedIn, NO_CHROMIUM_MESSAGE } from './browser.js';
import { ADMIN_TOKEN, login, READ_TOKEN, startConsoleChain, type ConsoleChain } from './support.js';

if (!HAVE_CHROMIUM) console.warn(`test/console/browser.test.ts: ${NO_CHROMIUM_MESSAGE}`);

describe.skipIf(!HAVE_CHROMIUM)('console in a browser', () => {
  let chain: ConsoleChain;
  let browser: Browser;
  let admin: Page;
  beforeAll(async () => {
    chain = await startConsoleChain({ monitor: '{ intervalSeconds: 0.2, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1 }' });
    browser = await launchBrowser();
    admin = await loggedIn(browser, chain.consoleUrl, ADMIN_TOKEN);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await chain?.close();
  });

  const fleetRow = (page: Page, backend: string) => page.locator('#fleet tbody tr', { hasText: backend });
  const enable = async (backend: string): Promise<void> => {
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    expect((await session.admin('BackendService/EnableBackend', { name: backend })).status).toBe(200);
  };

  it('logs in with the admin token: every backend with its state and the buttons', async () => {
    expect(await admin.textContent('#access')).toBe('admin');
    await expect.poll(() => fleetRow(admin, 'trino-a').locator('.state').textContent()).toBe('healthy');
    expect(await fleetRow(admin, 'trino-b').locator('button').allTextContents()).toEqual(['Disable', 'Drain']);
  });

  it('disables a backend from the fleet page: the next query goes elsewhere through Envoy', async () => {
    try {
      await fleetRow(admin, 'trino-a').locator('button[data-action=disable]').click();
      await expect.poll(() => fleetRow(admin, 'trino-a').locator('.state').textContent()).toBe('disabled');
      expect(await admin.textContent('#notice')).toBe('disabled trino-a');
      expect(await clusterOf(chain, 'SELECT 1 /* rows=1 */')).toBe('trino-b');
      await fleetRow(admin, 'trino-a').locator('button[data-action=enable]').click();
      await expect.poll(() => fleetRow(admin, 'trino-a').locator('.state').textContent()).toBe('healthy');
      expect(await clusterOf(chain, 'SELECT 1 /* rows=1 */')).toBe('trino-a');
    } finally {
      await enable('trino-a');
    }
  });

  it('drains a backend and follows the progress without a reload', async () => {
    const queryId = await dispatchQuery(chain, 'alice', 'SELECT 1 /* rows=1 */');
    try {
      await fleetRow(admin, 'trino-a').locator('button[data-action=drain]').click();
      await expect.poll(() => fleetRow(admin, 'trino-a').textContent(), { timeout: 10_000 }).toMatch(/1 running or queued, since/);
      await fetch(`${chain.envoy.url}/v1/query/${queryId}`, { method: 'DELETE', headers: { 'X-Trino-User': 'alice' } });
      await expect.poll(() => fleetRow(admin, 'trino-a').textContent(), { timeout: 10_000 }).toMatch(/drained since/);
      expect(await fleetRow(admin, 'trino-a').locator('.state').textContent()).toBe('drained');
    } finally {
      await enable('trino-a');
    }
  });

  it('shows the admin API validation error next to the field of a new rule', async () => {
    await admin.click('nav a[data-page=routing]');
    await admin.click('#new-rule');
    await admin.fill('#rule-form input[name=name]', 'bad-regex');
    await admin.selectOption('#rule-form select[name=condition-way]', 'regex');
    await admin.fill('#rule-form input[name=condition-value]', '(');
    await admin.click('#rule-form button[type=submit]');
    const error = admin.locator('#rule-form .condition .field-error');
    await expect.poll(() => error.textContent()).toMatch(/^invalid regular expression/);
    // Fixed, it is created and listed in priority order.
    await admin.fill('#rule-form input[name=condition-value]', '^bob$');
    await admin.fill('#rule-form input[name=priority]', '15');
    await admin.click('#rule-form button[type=submit]');
    await expect.poll(() => admin.locator('#rules tbody tr td:nth-child(2)').allTextContents()).toEqual(['pinned', 'bad-regex', 'alice-on-a', 'etl-tags']);
    expect(await admin.locator('#rules tbody tr', { hasText: 'bad-regex' }).textContent()).toContain('user ~ /^bob$/');
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    expect((await session.admin('RuleService/DeleteRule', { name: 'bad-regex' })).status).toBe(200);
  });

  it('edits a rule and a group: the new priority reorders the rules, a bad member is named', async () => {
    await admin.click('nav a[data-page=routing]');
    await admin.locator('#rules tbody tr', { hasText: 'etl-tags' }).locator('button[data-action=edit]').click();
    expect(await admin.inputValue('#rule-form input[name=condition-value]')).toBe('etl');
    await admin.fill('#rule-form input[name=priority]', '5');
    await admin.click('#rule-form button[type=submit]');
    await expect.poll(() => admin.locator('#rules tbody tr td:nth-child(2)').allTextContents()).toEqual(['etl-tags', 'pinned', 'alice-on-a']);
    expect(await admin.locator('#rules tbody tr', { hasText: 'etl-tags' }).textContent()).toContain('client tags has any of etl');
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    expect((await session.admin('RuleService/UpdateRule', { rule: { name: 'etl-tags', priority: 30 }, updateMask: ['priority'] })).status).toBe(200);

    await admin.click('nav a[data-page=explain]');
    await admin.click('nav a[data-page=routing]');
    await admin.locator('#groups tbody tr', { hasText: 'etl' }).locator('button[data-action=edit]').click();
    await admin.fill('#group-form input[name=members]', 'trino-b, trino-z');
    await admin.click('#group-form button[type=submit]');
    await expect.poll(() => admin.textContent('#group-form [data-error-for="group.members"]')).toMatch(/trino-z/);
    expect((await session.admin('GroupService/GetGroup', { name: 'etl' })).body.group.members).toEqual([{ backend: 'trino-b', weight: 1 }]);
  });

  it('explains a request: the decision, every rule tried and every backend', async () => {
    await admin.click('nav a[data-page=explain]');
    await admin.fill('#explain-form input[name=user]', 'alice');
    await admin.fill('#explain-form input[name=source]', 'dashboards');
    await admin.click('#explain-form button[type=submit]');
    await admin.waitForSelector('#explanation');
    expect(await admin.textContent('#summary')).toMatch(/trino-a/);
    const results = await admin.locator('#explain-rules tbody tr').evaluateAll((rows) => rows.map((row) => [row.children[1]?.textContent, row.children[2]?.textContent]));
    expect(results).toEqual([['pinned', 'not matched'], ['alice-on-a', 'matched'], ['etl-tags', 'not reached']]);
    expect(await admin.locator('.eligibility').first().textContent()).toContain('trino-b');
  });

  it('finds a refused query in the history, with what the client was told', async () => {
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    await session.admin('BackendService/DisableBackend', { name: 'trino-a' });
    try {
      expect(await clusterOf(chain, 'SELECT 1 /* rows=1 */', { source: 'pinned' })).toMatch(/^error: /);
    } finally {
      await enable('trino-a');
    }
    await admin.click('nav a[data-page=queries]');
    await admin.waitForSelector('#queries');
    await admin.selectOption('#query-filters select[name=outcome]', 'no_backend_configured');
    await admin.fill('#query-filters input[name=source]', 'pinned');
    await admin.click('#query-filters button[type=submit]');
    await expect.poll(() => admin.locator('#queries tbody tr').count()).toBe(1);
    const row = await admin.locator('#queries tbody tr').textContent();
    expect(row).toContain('no_backend_configured');
    expect(row).toMatch(/alice.*pinned.*no_backend_configured.*pinned/);
    expect(row).toMatch(/trino-a disabled/);
    // A forwarded query names its owner and how the router knows it.
    await admin.fill('#query-filters input[name=source]', '');
    await admin.selectOption('#query-filters select[name=outcome]', 'forwarded');
    await admin.click('#query-filters button[type=submit]');
    await admin.locator('#queries tbody tr button').first().click();
    await expect.poll(() => admin.textContent('#owner')).toMatch(/known by (query_id|coordinator_id)/);
  });

  it('shows the audit trail of the changes made above, who made them, and rolls back from it', async () => {
    await admin.click('nav a[data-page=audit]');
    await admin.waitForSelector('#audit');
    const rows = admin.locator('#audit tbody tr');
    // Newest first: the enable after the refusal test, the disable before it.
    expect(await rows.nth(0).textContent()).toMatch(/BackendService\/EnableBackend.*admin token from .*backends ~trino-a/);
    const disabledAt = await rows.nth(1).locator('td').first().textContent();
    expect(await rows.nth(1).textContent()).toContain('BackendService/DisableBackend');
    expect(await rows.nth(0).locator('button[data-rollback]').count()).toBe(0);
    try {
      await rows.nth(1).locator('button[data-rollback]').click();
      await expect.poll(() => admin.textContent('#notice')).toMatch(new RegExp(`^rolled back to ${disabledAt}: now revision \\d+`));
      await expect.poll(() => admin.locator('#audit tbody tr').first().textContent()).toContain('ConfigService/Rollback');
      const session = await login(chain.consoleUrl, ADMIN_TOKEN);
      expect((await session.admin('BackendService/GetBackend', { name: 'trino-a' })).body.backend.enabled).toBe(false);
    } finally {
      await enable('trino-a');
    }
  });

  it('shows the gateway queue (empty here: no group has a limit)', async () => {
    await admin.click('nav a[data-page=queue]');
    await expect.poll(() => admin.textContent('#queue-summary')).toBe('nothing is queued');
  });

  it('plots queries per backend and decisions by outcome', async () => {
    await admin.click('nav a[data-page=plots]');
    await admin.waitForSelector('#plot-backends svg rect');
    expect(await admin.locator('#plot-backends .legend').textContent()).toMatch(/trino-a.*trino-b/);
    expect(await admin.locator('#plot-outcomes').textContent()).toMatch(/forwarded.*no_backend_configured/);
  });

  it('gives a read-only session no buttons, and refuses its changes even when posted directly', async () => {
    const page = await loggedIn(browser, chain.consoleUrl, READ_TOKEN);
    expect(await page.textContent('#access')).toBe('read-only');
    await expect.poll(() => fleetRow(page, 'trino-a').locator('.state').textContent()).toBe('healthy');
    expect(await page.locator('#fleet button').count()).toBe(0);
    await page.click('nav a[data-page=routing]');
    await page.waitForSelector('#rules');
    expect(await page.locator('#new-rule, #rules button').count()).toBe(0);
    await page.click('nav a[data-page=audit]');
    await page.waitForSelector('#audit');
    expect(await page.locator('#audit button').count()).toBe(0);
    const answer = await page.evaluate(async () => {
      const session = await (await fetch('/api/session')).json() as { csrfToken: string };
      const response = await fetch('/api/admin/BackendService/DisableBackend', {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken }, body: JSON.stringify({ name: 'trino-a' }),
      });
      return { status: response.status, body: await response.json() as { error: { code: string } } };
    });
    expect(answer).toMatchObject({ status: 403, body: { error: { code: 'PERMISSION_DENIED' } } });
    const session = await login(chain.consoleUrl, READ_TOKEN);
    expect((await session.admin('BackendService/GetBackend', { name: 'trino-a' })).body.backend.enabled).toBe(true);
    await page.context().close();
  });

  it('refuses a change without the CSRF token, even from the logged-in page', async () => {
    const answer = await admin.evaluate(async () => {
      const response = await fetch('/api/admin/BackendService/DisableBackend', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'trino-a' }) });
      return { status: response.status, body: await response.json() as { error: { code: string } } };
    });
    expect(answer).toMatchObject({ status: 403, body: { error: { code: 'csrf' } } });
    const session = await login(chain.consoleUrl, READ_TOKEN);
    expect((await session.admin('BackendService/GetBackend', { name: 'trino-a' })).body.backend.enabled).toBe(true);
  });

  it('runs no inline script: the page works under its own Content-Security-Policy', async () => {
    const violations: string[] = [];
    const page = await (await browser.newContext()).newPage();
    page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) violations.push(message.text()); });
    await page.goto(chain.consoleUrl);
    await page.waitForSelector('#token');
    expect(violations).toEqual([]);
    await page.context().close();
  });
});
