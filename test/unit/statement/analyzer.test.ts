import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StatementAnalyzer } from '../../../src/statement/analyzer.js';

const bigStatement = (bytes: number): string => {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) { const p = `SELECT a${i} FROM t${i % 7}`; parts.push(p); size += p.length + 11; }
  return parts.join(' UNION ALL ');
};

let analyzer: StatementAnalyzer | undefined;
afterEach(async () => { await analyzer?.close(); analyzer = undefined; });

describe('StatementAnalyzer', () => {
  it('answers facts from a worker', async () => {
    analyzer = new StatementAnalyzer({ timeoutMs: 10_000 });
    await analyzer.ready();
    const o = await analyzer.analyze('INSERT INTO hive.etl.t SELECT * FROM s', { catalog: 'hive', schema: 'web' });
    expect(o).toMatchObject({ status: 'parsed', facts: { kind: 'insert', tablesRead: [{ catalog: 'hive', schema: 'web', table: 's' }] } });
    expect(o.status === 'parsed' && o.parseMicros).toBeGreaterThan(0);
  });

  it('times out a statement that overruns the budget, then keeps serving', async () => {
    analyzer = new StatementAnalyzer({ timeoutMs: 300, maxBytes: 4 * 1024 * 1024 });
    expect(await analyzer.analyze(bigStatement(1024 * 1024))).toMatchObject({ status: 'unknown', reason: 'timeout' });
    await analyzer.ready();
    expect(await analyzer.analyze('COMMIT')).toMatchObject({ status: 'parsed', facts: { kind: 'transaction', transaction: 'commit' } });
  }, 60_000);

  it('counts the wait for a worker in the budget: a statement asked while the grammar loads is unknown in time', async () => {
    // No worker loads and warms the grammar within 1 ms.
    analyzer = new StatementAnalyzer({ timeoutMs: 1 });
    expect(await analyzer.analyze('SELECT 1')).toMatchObject({ status: 'unknown', reason: 'timeout', detail: expect.stringMatching(/no parser thread was free/) });
  });

  it('answers too_large before copying to a worker, and overloaded past the queue bound', async () => {
    analyzer = new StatementAnalyzer({ maxBytes: 100, maxQueue: 1, timeoutMs: 10_000 });
    expect(await analyzer.analyze(`SELECT '${'x'.repeat(200)}'`)).toMatchObject({ status: 'unknown', reason: 'too_large' });
    const first = analyzer.analyze('SELECT 1');
    const second = analyzer.analyze('SELECT 2');
    expect(await second).toMatchObject({ status: 'unknown', reason: 'overloaded' });
    expect(await first).toMatchObject({ status: 'parsed' });
  }, 60_000);

  it('answers closed after close(), including statements still waiting', async () => {
    analyzer = new StatementAnalyzer({ timeoutMs: 10_000 });
    const waiting = analyzer.analyze('SELECT 1');
    await analyzer.close();
    expect(await waiting).toMatchObject({ status: 'unknown', reason: 'closed' });
    expect(await analyzer.analyze('SELECT 1')).toMatchObject({ status: 'unknown', reason: 'closed' });
  });

  it('rejects a bad pool size at construction', () => {
    expect(() => new StatementAnalyzer({ poolSize: 0 })).toThrow(RangeError);
  });

  it('answers every random input, within its budget', async () => {
    analyzer = new StatementAnalyzer({ timeoutMs: 2000, poolSize: 2 });
    const a = analyzer;
    // Warm both workers so the budget below measures parsing, not grammar loading.
    await Promise.all([a.analyze('SELECT 1'), a.analyze('SELECT 2')]);
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 300 }), async (sql) => {
      const o = await a.analyze(sql);
      expect(['parsed', 'unknown']).toContain(o.status);
    }), { numRuns: 40, seed: 19 });
  }, 120_000);
});
