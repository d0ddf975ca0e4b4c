/**
 * Scenario 3 (routing engine alone) and the in-process cost of one request, in a child
 * process of their own (own heap and JIT state):
 *
 * Rates are per second of CPU time of this process (not wall time), which keeps them steady
 * on a shared machine.
 *
 *  - `decide` decisions per second on config/example.yaml's routing and on a generated
 *    configuration of 1,000 rules over 100 backends (50 groups), with a pool of request facts
 *    that match rules all along the list (and 10% that match none: the walk of all 1,000).
 *  - The ext_proc request path without the network: bytes in -> the router's request decoder
 *    (src/envoy/ext-proc-codec.ts, what its gRPC server deserializes with) -> the real edge handler (src/envoy/ext-proc-server.ts) with the real RequestRouter ->
 *    ProcessingResponse.encode -> bytes out, against the floor's decode + fixed answer + encode.
 *    This isolates what routing adds per request from grpc-js and HTTP/2, which dominate the
 *    end-to-end figures.
 */
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { loadConfigFile } from '../../src/config/index.js';
import { noopEdgeObserver } from '../lib/noop-observer.js';
import { decodeExtProcRequest, encodeExtProcResponse } from '../../src/envoy/ext-proc-codec.js';
import { createExtProcHandler } from '../../src/envoy/ext-proc-server.js';
import {
  ProcessingRequest,
  ProcessingResponse,
} from '../../src/gen/envoy/service/ext_proc/v3/external_processor.js';
import { decide, type BackendConditions } from '../../src/routing/engine.js';
import { NO_STATEMENT, type Backend, type RequestFacts, type RoutingConfig, type RoutingGroup, type RoutingRule, type StrategyName } from '../../src/routing/model.js';
import { RequestRouter } from '../../src/routing/request-router.js';
import { compileSnapshot, type RoutingSnapshot } from '../../src/routing/snapshot.js';
import { createStrategyState } from '../../src/routing/strategies.js';
import { OwnershipIndex } from '../../src/stickiness/ownership.js';
import { createKeyring, signRoutePrefix } from '../../src/stickiness/route-prefix.js';
import { exampleConfigPath, PREFIX_KEY } from '../lib/bench-config.js';
import { coordinatorIds, queryIds, seededRandom } from '../lib/ids.js';
import { serve } from '../lib/ipc.js';
import { median } from '../lib/stats.js';
import { bearerToken, encodeRequestHeaders, followUpHeaders, nextUriPath, submissionPool } from '../lib/workload.js';

const NO_CONDITIONS: BackendConditions = new Map();

/**
 * Runs `step(i)` in batches for about `ms` of wall time; returns calls per second of this
 * process's CPU time, so time the OS gives other processes (a busy shared machine) does not
 * count against the code measured.
 */
function rate(ms: number, step: (i: number) => void): number {
  let i = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  while (performance.now() - start < ms) {
    for (let k = 0; k < 500; k++) step(i++);
  }
  const cpu = process.cpuUsage(cpuStart);
  return i / ((cpu.user + cpu.system) / 1e6);
}

/** Median of `rounds` measurements of `ms` each, after one warm-up round. */
function measure(rounds: number, ms: number, step: (i: number) => void): { median: number; runs: number[] } {
  rate(ms, step);
  const runs = Array.from({ length: rounds }, () => rate(ms, step));
  return { median: median(runs), runs };
}

// ---- configurations ----

function exampleRouting(): RoutingConfig {
  return loadConfigFile(exampleConfigPath(), { env: {} }).routing;
}

function facts(extra: Partial<RequestFacts>): RequestFacts {
  return {
    method: 'POST', path: '/v1/statement', host: 'trino.example.com:8080', listenerPort: 8080,
    user: 'analyst1', source: 'trino-cli', catalog: 'hive', schema: 'default', clientInfo: undefined,
    clientTags: [], sessionProperties: new Map(), routingGroup: undefined, headers: new Map(), statement: NO_STATEMENT, ...extra,
  };
}

/** Facts like the bench's submissions: ~1/4 tagged etl, 1/8 from airflow, the rest adhoc. */
function exampleFacts(): RequestFacts[] {
  const sources = ['trino-cli', 'trino-jdbc', 'superset', 'dbt-trino', 'airflow', 'trino-js-client', 'metabase', 'tableau'];
  return Array.from({ length: 1024 }, (_, i) => facts({
    user: `analyst${i % 64}`,
    source: sources[i % sources.length],
    clientTags: i % 4 === 1 ? ['etl', 'nightly'] : ['adhoc', `team-${i % 13}`],
    sessionProperties: new Map([['query_max_run_time', '2h'], ['join_distribution_type', 'AUTOMATIC'], ['exchange_compression_codec', 'ZSTD']]),
  }));
}

const STRATEGIES: readonly StrategyName[] = ['round_robin', 'weighted', 'least_load', 'random'];

/**
 * 100 backends, 50 groups of 4 (every strategy, some with fallbacks), 1,000 rules in
 * priority order: 40% user exact, 20% user regex, 15% source anyOf, 15% client tags, 10%
 * session property; 30% also require a catalog.
 */
export function largeRouting(): { config: RoutingConfig; facts: RequestFacts[] } {
  const random = seededRandom(42);
  const backends: Backend[] = Array.from({ length: 100 }, (_, i) => ({
    name: `trino-${String(i).padStart(3, '0')}`, url: `http://trino-${i}:8080`, enabled: true, prefixRouting: i % 2 === 0, schedules: [],
    ...(i % 10 === 0 ? { maxLoad: 100 } : {}),
  }));
  const groups: RoutingGroup[] = Array.from({ length: 50 }, (_, g) => ({
    name: `group-${g}`,
    strategy: STRATEGIES[g % STRATEGIES.length]!,
    members: [0, 1, 2, 3].map((k) => ({ backend: backends[(g * 2 + k * 25) % 100]!.name, weight: 1 + ((g + k) % 3) })),
    ...(g % 5 === 4 ? { fallback: `group-${g - 1}` } : {}),
  }));
  const rules: RoutingRule[] = [];
  const matchingFacts: RequestFacts[] = [];
  for (let r = 0; r < 1000; r++) {
    const kind = random();
    const catalog = random() < 0.3 ? `catalog_${r % 17}` : undefined;
    let match: RoutingRule['match'];
    let f: Partial<RequestFacts>;
    if (kind < 0.4) {
      match = { user: { exact: `user_${r}` } };
      f = { user: `user_${r}` };
    } else if (kind < 0.6) {
      match = { user: { regex: `^team${r}_[a-z]+$` } };
      f = { user: `team${r}_member` };
    } else if (kind < 0.75) {
      match = { source: { anyOf: [`tool-${r}`, `tool-${r}-v2`, `tool-${r}-beta`] } };
      f = { source: `tool-${r}-v2` };
    } else if (kind < 0.9) {
      match = { clientTags: { containsAny: [`tag-${r}`, `alt-${r}`] } };
      f = { clientTags: ['adhoc', `tag-${r}`] };
    } else {
      match = { sessionProperties: { resource_group: `rg-${r}` } };
      f = { sessionProperties: new Map([['query_max_run_time', '2h'], ['resource_group', `rg-${r}`]]) };
    }
    if (catalog !== undefined) {
      match = { ...match, catalog: { exact: catalog } };
      f = { ...f, catalog };
    }
    rules.push({ name: `rule-${String(r).padStart(4, '0')}`, priority: r + 1, group: `group-${r % 50}`, match });
    matchingFacts.push(facts(f));
  }
  const pool: RequestFacts[] = [];
  for (let i = 0; i < 1024; i++) {
    pool.push(i % 10 === 9 ? facts({ user: `nobody_${i}`, source: 'unknown-tool' }) : matchingFacts[Math.floor(random() * 1000)]!);
  }
  return { config: { backends, groups, rules, defaultGroup: 'group-0' }, facts: pool };
}

function engineRate(snapshot: RoutingSnapshot, pool: readonly RequestFacts[], rounds: number, ms: number) {
  const state = createStrategyState();
  const mask = pool.length - 1;
  let routed = 0;
  const result = measure(rounds, ms, (i) => {
    if (decide(snapshot, pool[i & mask]!, NO_CONDITIONS, state).outcome === 'routed') routed++;
  });
  if (routed === 0) throw new Error('engine routed nothing');
  return result;
}

// ---- the request path without the network ----

const encodeGenerated = (message: ProcessingResponse): Buffer => Buffer.from(ProcessingResponse.encode(message).finish());

/** A stream that encodes what is written to it as the server would: the router's serializer or the floor's (generated). */
class FakeCall extends EventEmitter {
  out: Buffer | undefined;
  constructor(private readonly encode: (message: ProcessingResponse) => Buffer = encodeExtProcResponse) {
    super();
  }
  write(message: ProcessingResponse): boolean {
    this.out = this.encode(message);
    return true;
  }
  end(): void {}
  destroy(): void {}
}

export function requestPathRates(rounds: number, ms: number, only?: string) {
  const config = loadConfigFile(exampleConfigPath(), { env: {} });
  const routing: RoutingConfig = {
    ...config.routing,
    backends: config.routing.backends.map((b) => (b.name === 'trino-b' ? { ...b, prefixRouting: false } : b)),
  };
  const keyring = createKeyring([PREFIX_KEY], 24 * 3600);
  const ownership = new OwnershipIndex({ maxQueries: 1_000_000, retentionMs: 24 * 3600_000, transactionRetentionMs: 24 * 3600_000 });
  const snapshot = compileSnapshot(routing, 1);
  const router = new RequestRouter({
    snapshot: () => snapshot,
    conditions: () => NO_CONDITIONS,
    strategy: createStrategyState(),
    ownership,
    keyring,
    probe: undefined,
    headerOptions: { jwtUserClaim: 'sub' },
    unavailable: 'failed-query',
    now: Date.now,
  });
  const handler = createExtProcHandler(router, noopEdgeObserver) as unknown as (call: FakeCall) => void;
  const random = seededRandom(5);
  const token = bearerToken(1024, random);
  // trino-b's queries are known by id; trino-a's come back by prefix and carry trino-a's own
  // coordinator ids (a known owner outranks a prefix, so they must not name trino-b's).
  const coordinators = coordinatorIds(16, random);
  const ids = queryIds(1024, coordinators.slice(0, 8), Date.now() - 3600_000);
  const prefixIds = queryIds(1024, coordinators.slice(8), Date.now() - 3600_000);
  for (const id of ids) ownership.learnQuery(id, 'trino-b', 'response', Date.now());
  const prefix = signRoutePrefix(keyring, 'trino-a', Date.now() / 1000);
  const pools: Record<string, Buffer[]> = {
    'submit-1k': submissionPool(1024, 1),
    'submit-16k': submissionPool(16 * 1024, 2),
    'followup-prefix': prefixIds.map((id, i) => encodeRequestHeaders(followUpHeaders(`${prefix}${nextUriPath(id, 1)}`, i, token))),
    'followup-queryid': ids.map((id, i) => encodeRequestHeaders(followUpHeaders(nextUriPath(id, 1), i, token))),
  };
  /** The backend each follow-up pool must reach: the path measured is the one meant. */
  const expected: Record<string, string> = { 'followup-prefix': 'trino-a', 'followup-queryid': 'trino-b' };
  const floorAnswer = floorResponse();
  const results: Record<string, { routerUs: number; floorUs: number }> = {};
  for (const [name, pool] of Object.entries(pools)) {
    if (only !== undefined && name !== only) continue;
    const mask = pool.length - 1;
    let sink = 0;
    const routerPath = (i: number): void => {
      const call = new FakeCall();
      handler(call);
      call.emit('data', decodeExtProcRequest(pool[i & mask]!));
      call.emit('end');
      sink += call.out!.length;
    };
    const floorPath = (i: number): void => {
      const call = new FakeCall(encodeGenerated);
      const message = ProcessingRequest.decode(pool[i & mask]!);
      if (message.request?.$case === 'requestHeaders') call.write(floorAnswer);
      sink += call.out!.length;
    };
    const want = expected[name];
    if (want !== undefined) {
      const call = new FakeCall();
      handler(call);
      call.emit('data', decodeExtProcRequest(pool[0]!));
      const answer = ProcessingResponse.decode(call.out!).response;
      const cluster = answer?.$case === 'requestHeaders'
        ? answer.value.response?.headerMutation?.setHeaders.find((h) => h.header?.key === 'x-trino-cluster')?.header?.rawValue.toString()
        : undefined;
      if (cluster !== want) throw new Error(`request path ${name}: routed to ${cluster ?? 'nowhere'}, not ${want}`);
    }
    // Interleaved rounds so both see the same machine.
    rate(ms, routerPath);
    rate(ms, floorPath);
    const r: number[] = [];
    const f: number[] = [];
    for (let k = 0; k < rounds; k++) {
      f.push(1e6 / rate(ms, floorPath));
      r.push(1e6 / rate(ms, routerPath));
    }
    if (sink === 0) throw new Error('nothing encoded');
    results[name] = { routerUs: median(r), floorUs: median(f) };
  }
  return results;
}

function floorResponse(): ProcessingResponse {
  return ProcessingResponse.fromPartial({
    response: {
      $case: 'requestHeaders',
      value: {
        response: {
          headerMutation: { setHeaders: [{ header: { key: 'x-trino-cluster', rawValue: Buffer.from('trino-a') }, append: false }] },
          clearRouteCache: true,
        },
      },
    },
  });
}

serve({
  run({ rounds, ms }: { rounds: number; ms: number }) {
    const example = compileSnapshot(exampleRouting(), 1);
    const large = largeRouting();
    const largeSnapshot = compileSnapshot(large.config, 1);
    const exampleResult = engineRate(example, exampleFacts(), rounds, ms);
    const largeResult = engineRate(largeSnapshot, large.facts, rounds, ms);
    return {
      example: { rules: example.rules.length, backends: example.backends.size, ...exampleResult },
      large: { rules: largeSnapshot.rules.length, backends: largeSnapshot.backends.size, groups: largeSnapshot.groups.size, ...largeResult },
      requestPath: requestPathRates(rounds, ms),
    };
  },
});
