/**
 * store.seed: watch end to end: trino-client -> Envoy stand-in -> router -> Trino stand-ins.
 * Editing the watched file moves alice's next query to the other cluster; a broken edit
 * leaves routing as it was.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { clusterOf, startChain, type Chain } from './harness.js';

vi.setConfig({ testTimeout: 60_000 });

describe('the watched config file moves queries (ext_proc)', () => {
  let chain: Chain;

  beforeAll(async () => {
    chain = await startChain({ store: '{ seed: watch }' });
  });
  afterAll(() => chain?.close());

  it('an edit of the analysts group routes alice to trino-b; a broken edit changes nothing', async () => {
    // The harness's rules send alice to the analysts group, trino-a alone.
    expect(await clusterOf(chain, 'SELECT 1 /* rows=1 */')).toBe('trino-a');
    const original = readFileSync(chain.configPath, 'utf8');
    const moved = original.replace('{ name: analysts, strategy: round_robin, backends: [trino-a] }', '{ name: analysts, strategy: round_robin, backends: [trino-b] }');
    expect(moved).not.toBe(original);
    writeFileSync(chain.configPath, moved);
    await vi.waitFor(async () => expect(await clusterOf(chain, 'SELECT 1 /* rows=1 */')).toBe('trino-b'), { timeout: 15_000, interval: 200 });

    writeFileSync(chain.configPath, moved.replace('group: analysts', 'group: nowhere'));
    await vi.waitFor(() => expect(chain.router.configFile.status().rejections).toBe(1), { timeout: 15_000, interval: 100 });
    expect(chain.router.configFile.status().lastError).toMatch(/nowhere/);
    expect(await clusterOf(chain, 'SELECT 1 /* rows=1 */')).toBe('trino-b');
  });
});
