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

serve({
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
