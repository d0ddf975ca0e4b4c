/**
 * The new rule conditions and targets through the admin API over gRPC: written, stored, read
 * back and updated through masks, with the errors a client reads for bad values.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminClient } from '../../src/cli/admin-client.js';
import type { Rule } from '../../src/gen/trino_envoy_router/admin/v1/admin.js';
import { failure, startRouterWithAdmin, type RouterWithAdmin, storedRule } from './support.js';

let fixture: RouterWithAdmin;
let admin: AdminClient;

beforeAll(async () => {
  fixture = await startRouterWithAdmin();
  admin = fixture.client();
});
afterAll(async () => {
  await fixture?.close();
});

const base = (extra: Partial<Rule>): Rule => ({
  name: 'canary', group: 'adhoc', priority: 7, requestedGroups: [], noFallback: false,
  match: { listenerPort: [], sessionProperties: {}, header: [] }, ...extra,
});

describe('rule targets and header conditions over the admin API', () => {
  it('round-trips header conditions, routing_group, backend, requested groups and no_fallback', async () => {
    const rule = base({
      backend: 'trino-b',
      noFallback: true,
      match: {
        listenerPort: [], sessionProperties: {},
        routingGroup: { kind: { $case: 'exact', value: 'canary' } },
        header: [
          { name: 'X-Team', kind: { $case: 'anyOf', value: { values: ['data', 'ml'] } } },
          { name: 'x-canary', kind: { $case: 'present', value: true } },
        ],
      },
    });
    const created = await admin.rules.createRule({ rule });
    expect(created.rule).toEqual(rule);
    expect(await storedRule(fixture.router.store, 'canary')).toEqual({
      name: 'canary', priority: 7, group: 'adhoc', backend: 'trino-b', fallback: false,
      match: { routingGroup: { exact: 'canary' }, header: [{ name: 'X-Team', anyOf: ['data', 'ml'] }, { name: 'x-canary', present: true }] },
    });
    expect((await admin.rules.getRule({ name: 'canary' })).rule).toEqual(rule);
  });

  it('updates the target options through the mask, leaving the rest', async () => {
    const updated = await admin.rules.updateRule({
      rule: base({ requestedGroups: ['adhoc', 'etl'] }),
      updateMask: ['backend', 'requested_groups', 'no_fallback'],
    });
    expect(updated.rule).toMatchObject({ backend: undefined, requestedGroups: ['adhoc', 'etl'], noFallback: false, priority: 7 });
    expect((await storedRule(fixture.router.store, 'canary')).match.header).toHaveLength(2);
  });

  it('refuses bad values naming the field', async () => {
    await failure(admin.rules.createRule({ rule: base({ name: 'x', backend: 'trino-z' }) }), grpc.status.INVALID_ARGUMENT, /^rule\.backend: unknown backend "trino-z"/);
    await failure(admin.rules.createRule({ rule: base({ name: 'x', requestedGroups: ['nope'] }) }), grpc.status.INVALID_ARGUMENT, /^rule\.requested_groups\[0\]: unknown group "nope"/);
    await failure(
      admin.rules.createRule({ rule: base({ name: 'x', match: { listenerPort: [], sessionProperties: {}, header: [{ name: 'bad name', kind: { $case: 'exact', value: 'a' } }] } }) }),
      grpc.status.INVALID_ARGUMENT, /^rule\.match\.header\[0\]\.name: not a header name/,
    );
    await failure(
      admin.rules.createRule({ rule: base({ name: 'x', match: { listenerPort: [], sessionProperties: {}, header: [{ name: 'x-a', kind: { $case: 'regex', value: '(' } }] } }) }),
      grpc.status.INVALID_ARGUMENT, /^rule\.match\.header\[0\]\.regex: invalid regular expression/,
    );
    await failure(
      admin.rules.createRule({ rule: base({ name: 'x', match: { listenerPort: [], sessionProperties: {}, header: [{ name: 'x-a', kind: undefined }] } }) }),
      grpc.status.INVALID_ARGUMENT, /^rule\.match\.header\[0\]: set exactly one of exact, any_of, regex, present/,
    );
  });
});
