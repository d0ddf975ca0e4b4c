/**
 * The routing snapshot follows the store: recompiled only when the revision moves, listeners
 * told once per change, concurrent refreshes coalesced, and a store that fails leaves the last
 * good snapshot serving.
 */
import { describe, expect, it } from 'vitest';
import { setDefaultGroup } from '../../../src/routing/config-edits.js';
import { RoutingSource } from '../../../src/routing/routing-source.js';
import type { RoutingSnapshot } from '../../../src/routing/snapshot.js';
import { openSqliteStore } from '../../../src/store/index.js';
import { changeRouting, replaceRouting } from '../../support/store-changes.js';
import { sampleConfig } from './fixtures.js';

function quietLogger() {
  const errors: unknown[] = [];
  return { errors, logger: { info: () => {}, error: (fields: unknown) => errors.push(fields) } };
}

describe('RoutingSource', () => {
  it('recompiles only when the store revision moves, and tells listeners once', async () => {
    const store = openSqliteStore(':memory:');
    await replaceRouting(store.routing, sampleConfig());
    const { logger } = quietLogger();
    const source = await RoutingSource.open(store.routing, logger);
    const seen: RoutingSnapshot[] = [];
    source.onChange((s) => seen.push(s));
    const before = source.current();

    expect(await source.refresh()).toBe(false);
    expect(source.current()).toBe(before);

    await changeRouting(store.routing, (c) => setDefaultGroup(c, 'etl'));
    expect(await source.refresh()).toBe(true);
    expect(source.current().defaultGroup).toBe('etl');
    expect(source.current().revision).toBeGreaterThan(before.revision);
    expect(seen).toEqual([source.current()]);
    expect(await source.refresh()).toBe(false);
    await store.close();
  });

  it('a refresh asked for while one runs sees every change committed before it was asked', async () => {
    const store = openSqliteStore(':memory:');
    await replaceRouting(store.routing, sampleConfig());
    const source = await RoutingSource.open(store.routing, quietLogger().logger);
    const first = source.refresh();
    await changeRouting(store.routing, (c) => setDefaultGroup(c, 'etl'));
    const second = source.refresh();
    await Promise.all([first, second]);
    expect(source.current().defaultGroup).toBe('etl');
    await store.close();
  });

  it('keeps serving the last good snapshot when the store fails', async () => {
    const store = openSqliteStore(':memory:');
    await replaceRouting(store.routing, sampleConfig());
    const { logger, errors } = quietLogger();
    const source = await RoutingSource.open(store.routing, logger);
    const good = source.current();
    await store.close();
    expect(await source.refresh()).toBe(false);
    expect(source.current()).toBe(good);
    expect(errors).toHaveLength(1);
  });
});
