/**
 * Scenario 9: statement facts (src/statement) for a 2 KB and a 100 KB query: µs per parse on
 * a thread that parses synchronously (that whole time is an event-loop block), and the longest
 * event-loop block of the main thread while the same statements go through the
 * StatementAnalyzer's worker pool (perf_hooks monitorEventLoopDelay, 1 ms resolution).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { analyzeStatement } from '../../src/statement/analyze.js';
import { StatementAnalyzer } from '../../src/statement/analyzer.js';
import { loadTrinoGrammar } from '../../src/statement/trino-grammar.js';
import { loadConfigFile } from '../../src/config/index.js';
import { AwaitingBody, RequestRouter, type Incoming, type RequestContext } from '../../src/routing/request-router.js';
import type { RoutingConfig } from '../../src/routing/model.js';
import { compileSnapshot } from '../../src/routing/snapshot.js';
import { createStrategyState } from '../../src/routing/strategies.js';
import { OwnershipIndex } from '../../src/stickiness/ownership.js';
import { exampleConfigPath } from '../lib/bench-config.js';
import { serve } from '../lib/ipc.js';
import { median } from '../lib/stats.js';

/** A TPC-H-like query repeated under UNION ALL up to `bytes`, each branch on its own tables. */
export function queryOfSize(bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const p = `SELECT l_returnflag, sum(l_extendedprice * (1 - l_discount)) AS revenue FROM lineitem_${i % 13} l JOIN orders o ON l.l_orderkey = o.o_orderkey WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY AND o.o_custkey IN (SELECT c_custkey FROM customer WHERE c_mktsegment = 'BUILDING') GROUP BY l_returnflag`;
    parts.push(p);
    size += p.length + 11;
  }
  return parts.join(' UNION ALL ');
}

export interface StatementSizeResult { readonly bytes: number; readonly mainThreadUs: number; readonly poolUs: number; readonly poolMaxBlockMs: number; readonly runs: number }

export interface SubmissionPathResult {
  readonly name: string;
  readonly submissionsPerSecond: number;
  /** Messages the edge exchanges with Envoy for one submission's request (headers, and the body when held). */
  readonly requestMessages: number;
  readonly maxBlockMs: number;
}

/**
 * Submissions through the RequestRouter as an edge drives it (route, and routeWithBody when it
 * holds the submission for its body), `inFlight` at a time, for `ms`: the example config as
 * shipped, the same with a statement rule in front (its 2 KB statements parsed in the pool),
 * and Java-client submissions (Transaction-Id: NONE, whose body decides whether polls are watched).
 */
async function submissionPath(name: string, routing: RoutingConfig, headers: Incoming['headers'], sql: string, ms: number, analyzer: StatementAnalyzer): Promise<SubmissionPathResult> {
  const snapshot = compileSnapshot(routing, 1);
  const router = new RequestRouter({
    snapshot: () => snapshot, conditions: () => new Map(), strategy: createStrategyState(),
    ownership: new OwnershipIndex({ maxQueries: 100_000, retentionMs: 3_600_000, transactionRetentionMs: 3_600_000 }),
    keyring: undefined, probe: undefined, headerOptions: {}, unavailable: 'failed-query', now: Date.now,
    statements: (text, session) => analyzer.analyze(text, session),
  });
  const body = { bytes: Buffer.from(sql), complete: true, sent: true };
  let done = 0;
  let messages = 0;
  const one = async (): Promise<void> => {
    const routed = router.route({ headers, listenerPort: 8080 });
    messages++;
    let context: RequestContext;
    if (routed instanceof AwaitingBody) {
      messages++;
      context = await router.routeWithBody(routed, body);
    } else {
      context = await routed;
    }
    if (context.instruction.kind !== 'forward') throw new Error(`bench submission was refused: ${context.instruction.reason}`);
    done++;
  };
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const end = performance.now() + ms;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => { while (performance.now() < end) await one(); }));
  const seconds = (performance.now() - t0) / 1000;
  delay.disable();
  return { name, submissionsPerSecond: done / seconds, requestMessages: messages / done, maxBlockMs: delay.max / 1e6 };
}

serve({
  async submissions({ ms }: { ms: number }) {
    const example = loadConfigFile(exampleConfigPath(), { env: {} }).routing;
    const withStatementRule: RoutingConfig = {
      ...example,
      rules: [{ name: 'etl-writes', priority: 1, group: 'etl', match: { tablesWritten: { glob: ['hive.etl.*'] } } }, ...example.rules],
    };
    const headers: Incoming['headers'] = [[':method', 'POST'], [':path', '/v1/statement'], [':authority', 'trino'], ['x-trino-user', 'analyst1'], ['x-trino-catalog', 'hive'], ['x-trino-schema', 'web']];
    const jdbc: Incoming['headers'] = [...headers, ['x-trino-transaction-id', 'NONE'], ['x-trino-source', 'trino-jdbc']];
    const sql = queryOfSize(2 * 1024);
    const analyzer = new StatementAnalyzer({ poolSize: 2, timeoutMs: 5_000 });
    try {
      await analyzer.analyze(sql, {});
      return [
        await submissionPath('example config, no statement rule', example, headers, sql, ms, analyzer),
        await submissionPath('example config + a tablesWritten rule (2 KB SQL, 2 workers)', withStatementRule, headers, sql, ms, analyzer),
        await submissionPath('example config, Java client (Transaction-Id: NONE)', example, jdbc, sql, ms, analyzer),
      ];
    } finally {
      await analyzer.close();
    }
  },
  async run({ runs }: { runs: number }) {
    const grammar = await loadTrinoGrammar();
    const session = { catalog: 'tpch', schema: 'sf1' };
    const limits = { maxBytes: 4 * 1024 * 1024 };
    const analyzer = new StatementAnalyzer({ poolSize: 1, timeoutMs: 60_000, maxBytes: limits.maxBytes });
    const results: StatementSizeResult[] = [];
    try {
      for (const bytes of [2 * 1024, 100 * 1024]) {
        const sql = queryOfSize(bytes);
        analyzeStatement(grammar, sql, session, limits); // warm the parser's DFA cache
        const sync: number[] = [];
        for (let i = 0; i < runs; i++) {
          const t0 = process.hrtime.bigint();
          const o = analyzeStatement(grammar, sql, session, limits);
          sync.push(Number(process.hrtime.bigint() - t0) / 1000);
          if (o.status !== 'parsed') throw new Error(`bench statement did not parse: ${o.reason} ${o.detail}`);
        }
        await analyzer.analyze(sql, session); // warm the worker
        const delay = monitorEventLoopDelay({ resolution: 1 });
        delay.enable();
        const pooled: number[] = [];
        for (let i = 0; i < runs; i++) {
          const t0 = process.hrtime.bigint();
          const o = await analyzer.analyze(sql, session);
          pooled.push(Number(process.hrtime.bigint() - t0) / 1000);
          if (o.status !== 'parsed') throw new Error(`bench statement did not parse in the pool: ${o.reason}`);
        }
        delay.disable();
        results.push({ bytes: Buffer.byteLength(sql), mainThreadUs: median(sync), poolUs: median(pooled), poolMaxBlockMs: delay.max / 1e6, runs });
      }
    } finally {
      await analyzer.close();
    }
    return results;
  },
});
