/**
 * `npm run screenshots`: the README's pictures of the console (docs/console/*.png), taken from
 * a router with the Envoy and Trino stand-ins after some traffic, so they show the console as
 * it is now. Needs /usr/bin/chromium.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error: a plain ES module script without type declarations
import { buildConsole } from '../../scripts/build-console.mjs';
import { clusterOf, dispatchQuery, REPO_ROOT } from '../e2e/harness.js';
import { HAVE_CHROMIUM, launchBrowser, loggedIn, NO_CHROMIUM_MESSAGE } from './browser.js';
import { ADMIN_TOKEN, login, startConsoleChain } from './support.js';

const OUT = join(REPO_ROOT, 'docs/console');

async function main(): Promise<void> {
  if (!HAVE_CHROMIUM) throw new Error(NO_CHROMIUM_MESSAGE);
  await (buildConsole as () => Promise<string>)();
  mkdirSync(OUT, { recursive: true });
  const chain = await startConsoleChain({ monitor: '{ intervalSeconds: 0.5, timeoutMs: 1000, failureThreshold: 1, successThreshold: 1 }' });
  const browser = await launchBrowser();
  try {
    // Traffic: alice on trino-a, other users round robin, one refusal while trino-a was out.
    for (let i = 0; i < 6; i++) await clusterOf(chain, 'SELECT 1 /* rows=1 */');
    for (let i = 0; i < 8; i++) await dispatchQuery(chain, `etl_job_${i}`, 'SELECT 1 /* rows=1 */');
    const session = await login(chain.consoleUrl, ADMIN_TOKEN);
    await session.admin('BackendService/DisableBackend', { name: 'trino-a' });
    await clusterOf(chain, 'SELECT 1 /* rows=1 */', { source: 'pinned' });
    await session.admin('BackendService/EnableBackend', { name: 'trino-a' });
    // trino-b drains with one query still running on it.
    await dispatchQuery(chain, 'etl_loader', 'SELECT 1 /* rows=1 */');
    await session.admin('BackendService/DrainBackend', { name: 'trino-b' });
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const page = await loggedIn(browser, chain.consoleUrl, ADMIN_TOKEN);
    const shoot = async (name: string): Promise<void> => {
      await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
      console.log(`docs/console/${name}.png`);
    };
    await page.waitForSelector('#fleet .state-draining, #fleet .state-drained');
    await shoot('fleet');
    await page.click('nav a[data-page=routing]');
    await page.waitForSelector('#rules');
    await page.click('#new-rule');
    await page.fill('#rule-form input[name=name]', 'bi-users');
    await page.selectOption('#rule-form select[name=condition-way]', 'regex');
    await page.fill('#rule-form input[name=condition-value]', '^bi_(');
    await page.click('#rule-form button[type=submit]');
    await page.waitForSelector('#rule-form .condition .field-error:not(:empty)');
    await shoot('rules');
    await page.click('nav a[data-page=explain]');
    await page.fill('#explain-form input[name=user]', 'alice');
    await page.fill('#explain-form input[name=source]', 'pinned');
    await page.click('#explain-form button[type=submit]');
    await page.waitForSelector('#explanation');
    await shoot('explain');
    await page.click('nav a[data-page=queries]');
    await page.waitForSelector('#queries');
    await shoot('queries');
    await page.click('nav a[data-page=plots]');
    await page.waitForSelector('#plot-backends svg rect');
    await shoot('plots');
  } finally {
    await browser.close();
    await chain.close();
  }
}

await main();
