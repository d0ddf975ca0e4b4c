/**
 * Client tags sent on two header lines: Trino reads only the first line. Under ext_proc the
 * router sees the lines and does the same; under ext_authz Envoy joins them with "," in the
 * CheckRequest's `headers` map, so the router cannot tell them from one line and reads both
 * (the README says so, "ext_proc or ext_authz?").
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGES, startChain, type Chain, type Edge } from './harness.js';

/** Submits a statement with X-Trino-Client-Tags on two lines; resolves with the cluster that ran it. */
function submitWithTagLines(chain: Chain, first: string, second: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(`${chain.envoy.url}/v1/statement`, {
      method: 'POST',
      // An array value goes out as one header line per element.
      headers: { 'X-Trino-User': 'alice', 'X-Trino-Client-Tags': [first, second], 'Content-Type': 'text/plain' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${text}`));
        else resolve((JSON.parse(text) as { nextUri?: string }).nextUri ?? '');
      });
    });
    req.on('error', reject);
    req.end('SELECT 1');
  });
}

describe.each(EDGES)('client tags on two header lines through %s', (edge: Edge) => {
  let chain: Chain;
  beforeAll(async () => {
    chain = await startChain({ edge });
  });
  afterAll(async () => {
    await chain?.close();
  });

  it(edge === 'ext_proc' ? 'count from the first line only, as Trino reads them' : 'count from both lines: Envoy joined them before the router saw them', async () => {
    // The etl-tags rule sends "etl" to trino-b; alice alone goes to trino-a.
    const beforeA = chain.trinoA.queries().length;
    const beforeB = chain.trinoB.queries().length;
    await submitWithTagLines(chain, 'nightly', 'etl');
    const ranOn = chain.trinoB.queries().length > beforeB ? 'trino-b' : chain.trinoA.queries().length > beforeA ? 'trino-a' : 'none';
    expect(ranOn).toBe(edge === 'ext_proc' ? 'trino-a' : 'trino-b');
  });
});
