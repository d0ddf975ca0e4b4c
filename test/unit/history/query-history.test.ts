import { afterEach, describe, expect, it } from 'vitest';
import { QueryHistory, type QueryHistoryStore } from '../../../src/history/query-history.js';
import type { QueryRecord } from '../../../src/history/query-record.js';
import { NO_STATEMENT, type RequestFacts } from '../../../src/routing/model.js';
import type { QuerySubmitted } from '../../../src/routing/request-router.js';
import { tempStore } from '../store/temp-store.js';
import type { Store } from '../../../src/store/index.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10);

/** A clock the test moves by hand. */
function fakeClock(start = T0) {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

function logSink() {
  const entries: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: object, msg?: string) => void entries.push({ level, msg: msg ?? '', fields: fields as Record<string, unknown> });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as never, entries };
}

function facts(user: string, extra: Partial<RequestFacts> = {}): RequestFacts {
  return {
    method: 'POST', path: '/v1/statement', host: 'envoy:8080', listenerPort: 8080, user, source: 'trino-cli',
    catalog: undefined, schema: undefined, clientInfo: undefined, clientTags: ['etl'], sessionProperties: new Map(), routingGroup: undefined, headers: new Map(), statement: NO_STATEMENT, ...extra,
  };
}

let sequence = 0;
function submitted(at: number, user = 'alice', backend = 'trino-a'): QuerySubmitted {
  sequence++;
  return {
    queryId: `20260110_000000_${String(sequence).padStart(5, '0')}_abcde`,
    backend,
    mechanism: 'rules',
    facts: facts(user),
    decision: { outcome: 'routed', backend, group: 'etl', rule: 'etl-tags', fellBackFrom: [] }, statement: undefined,
    at,
  };
}

const open: QueryHistory[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.close();
});

function history(options: Partial<ConstructorParameters<typeof QueryHistory>[0]> & { store: QueryHistoryStore }) {
  const clock = fakeClock();
  const created = new QueryHistory({
    retention: { retentionDays: 7, maxRows: 1000 },
    logger: logSink().logger,
    now: clock.read,
    pruneIntervalMs: 0,
    ...options,
  });
  open.push(created);
  return { history: created, clock };
}

describe('QueryHistory', () => {
  it('records a submission off the request path and lists it once written', async () => {
    const store = tempStore();
    const { history: h } = history({ store: store.history });
    const query = submitted(T0);
    h.record(query);
    expect((await countRows(store))).toBe(0); // only buffered so far
    expect((await h.list({}))).toStrictEqual<QueryRecord[]>([{
      queryId: query.queryId,
      backend: 'trino-a',
      group: 'etl',
      rule: 'etl-tags',
      mechanism: 'rules',
      user: 'alice',
      source: 'trino-cli',
      clientTags: ['etl'],
      submittedAt: T0,
      statement: null,
      outcome: 'forwarded',
      message: null,
      queuedMs: null,
    }]);
    expect((await countRows(store))).toBe(1);
  });

  it('a query routed without the rules (a transaction) has no group or rule', async () => {
    const store = tempStore();
    const { history: h } = history({ store: store.history });
    h.record({ ...submitted(T0), mechanism: 'transaction', decision: undefined, facts: undefined });
    expect((await h.list({}))[0]).toMatchObject({ group: null, rule: null, user: null, source: null, clientTags: [], mechanism: 'transaction' });
  });

  it('prunes what is older than the retention period (fake clock)', async () => {
    const store = tempStore();
    const { history: h, clock } = history({ store: store.history, retention: { retentionDays: 7, maxRows: 1000 } });
    h.record(submitted(T0 - 8 * DAY, 'old'));
    h.record(submitted(T0 - 6 * DAY, 'recent'));
    h.record(submitted(T0, 'new'));
    await h.flush();
    expect(await h.prune()).toStrictEqual({ retention: 1, cap: 0 });
    expect((await h.list({})).map((r) => r.user)).toEqual(['new', 'recent']);

    clock.now = T0 + 2 * DAY; // 'recent' is now 8 days old
    expect(await h.prune()).toStrictEqual({ retention: 1, cap: 0 });
    expect((await h.list({})).map((r) => r.user)).toEqual(['new']);
    expect(h.prunedTotals()).toStrictEqual({ retention: 2, cap: 0 });
  });

  it('keeps at most maxRows, the newest', async () => {
    const store = tempStore();
    const { history: h } = history({ store: store.history, retention: { retentionDays: 7, maxRows: 3 } });
    for (let i = 0; i < 5; i++) h.record(submitted(T0 + i, `u${i}`));
    await h.flush();
    expect(await h.prune()).toStrictEqual({ retention: 0, cap: 2 });
    expect((await h.list({})).map((r) => r.user)).toEqual(['u4', 'u3', 'u2']);
  });

  it('prunes a large backlog in several bounded steps', async () => {
    const store = tempStore();
    const { history: h } = history({ store: store.history, retention: { retentionDays: 7, maxRows: 5 }, pruneStepRows: 4 });
    for (let i = 0; i < 23; i++) h.record(submitted(T0 - (i < 8 ? 30 * DAY : 0) + i));
    await h.flush();
    const steps: number[] = [];
    const counting: QueryHistoryStore = {
      append: (records) => store.history.append(records),
      list: (filter) => store.history.list(filter),
      prune: async (options) => {
        const counts = await store.history.prune(options);
        steps.push(counts.retention + counts.cap);
        return counts;
      },
    };
    const { history: pruner } = history({ store: counting, retention: { retentionDays: 7, maxRows: 5 }, pruneStepRows: 4 });
    expect(await pruner.prune()).toStrictEqual({ retention: 8, cap: 10 });
    expect(steps).toEqual([4, 4, 4, 4, 2]);
    expect((await countRows(store))).toBe(5);
  });

  it('start() prunes at once, so a restart after a long stop catches up', async () => {
    const store = tempStore();
    await store.history.append([{ queryId: 'q-old', backend: 'a', group: null, rule: null, mechanism: 'rules', user: null, source: null, clientTags: [], submittedAt: T0 - 30 * DAY, statement: null, outcome: 'forwarded', message: null, queuedMs: null }]);
    const { history: h } = history({ store: store.history });
    h.start();
    await h.prune(); // joins the run start() began
    expect((await countRows(store))).toBe(0);
  });

  it('a store outage is logged when it starts and when it ends, and nothing is lost', async () => {
    const store = tempStore();
    const { logger, entries } = logSink();
    let failing = true;
    const flaky: QueryHistoryStore = {
      append: async (records) => {
        if (failing) throw new Error('database is locked');
        return store.history.append(records);
      },
      list: (filter) => store.history.list(filter),
      prune: (options) => store.history.prune(options),
    };
    const { history: h } = history({ store: flaky, logger });
    h.record(submitted(T0));
    expect(await h.flush()).toBe(false);
    h.record(submitted(T0 + 1));
    expect(await h.flush()).toBe(false);
    expect(entries.filter((e) => e.level === 'error')).toHaveLength(1);
    expect(h.writerStats()).toMatchObject({ pending: 2, failures: 2 });
    failing = false;
    expect(await h.flush()).toBe(true);
    expect(entries.filter((e) => e.level === 'info').map((e) => e.msg)).toEqual(['query history is being written again']);
    expect((await countRows(store))).toBe(2);
  });

  it('close writes what is buffered and stops recording', async () => {
    const store = tempStore();
    const { history: h } = history({ store: store.history });
    h.record(submitted(T0));
    await h.close();
    h.record(submitted(T0 + 1));
    expect((await countRows(store))).toBe(1);
    expect(h.writerStats()).toMatchObject({ written: 1, dropped: 1 });
  });
});

async function countRows(store: Store): Promise<number> {
  return (await store.history.list({ limit: 10_000 })).length;
}
