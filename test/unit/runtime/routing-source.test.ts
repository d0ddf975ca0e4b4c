/**
 * The routing snapshot follows the store: recompiled only when the revision moves, listeners
 * told once per change, and a store that fails leaves the last good snapshot serving.
 */
import { describe, expect, it } from 'vitest';
import { RoutingSource } from '../../../src/runtime/routing-source.js';
import type { RoutingSnapshot } from '../../../src/routing/snapshot.js';
import { openStore } from '../../../src/store/index.js';
import { sampleConfig } from '../routing/fixtures.js';

function quietLogger() {
  const errors: unknown[] = [];
  return { errors, logger: { info: () => {}, error: (fields: unknown) => errors.push(fields) } };
}

describe('RoutingSource', () => {
  it('recompiles only when the store revision moves, and tells listeners once', () => {
    const store = openStore(':memory:');
    store.routing.replaceAll(sampleConfig());
    const { logger } = quietLogger();
    const source = new RoutingSource(store.routing, logger);
    const seen: RoutingSnapshot[] = [];
    source.onChange((s) => seen.push(s));
    const before = source.current();

    expect(source.refresh()).toBe(false);
    expect(source.current()).toBe(before);

    store.routing.setDefaultGroup('etl');
    expect(source.refresh()).toBe(true);
    expect(source.current().defaultGroup).toBe('etl');
    expect(source.current().revision).toBeGreaterThan(before.revision);
    expect(seen).toEqual([source.current()]);
    expect(source.refresh()).toBe(false);
    store.close();
  });

  it('keeps serving the last good snapshot when the store fails', () => {
    const store = openStore(':memory:');
    store.routing.replaceAll(sampleConfig());
    const { logger, errors } = quietLogger();
    const source = new RoutingSource(store.routing, logger);
    const good = source.current();
    store.close();
    expect(source.refresh()).toBe(false);
    expect(source.current()).toBe(good);
    expect(errors).toHaveLength(1);
  });
});
