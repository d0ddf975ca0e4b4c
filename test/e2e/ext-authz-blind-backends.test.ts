/**
 * ext_authz never sees a response, so a query's first poll can reach its owner only through a
 * signed prefix or a coordinator id named in /v1/info (Trino 477+). For backends with neither,
 * the router says so at start, naming them; the first poll of their queries then fails as it
 * would on real Trino (the query is only registered until that poll).
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { get, submit } from '../support/statement-protocol.js';
import { startChain, type Chain } from './harness.js';

function captureLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function eventuallyWarned(lines: Record<string, unknown>[]): Promise<Record<string, unknown> | undefined> {
  for (let i = 0; i < 100; i++) {
    const warn = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('ext_authz cannot tell'));
    if (warn !== undefined) return warn;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return undefined;
}

describe('ext_authz with backends that have neither prefix routing nor a coordinator id source', () => {
  let chain: Chain | undefined;
  afterEach(async () => {
    await chain?.close();
    chain = undefined;
  });

  it('warns at start naming them, and their queries fail at the first poll', async () => {
    const capture = captureLogger();
    chain = await startChain({ edge: 'ext_authz', prefixRouting: false, trino: { version: '476' }, logger: capture.logger });
    const warn = await eventuallyWarned(capture.lines);
    expect(warn).toMatchObject({ level: 40, backends: ['trino-a', 'trino-b'] });
    const submitted = await submit(chain.envoy.url, 'SELECT 1', { 'X-Trino-User': 'etl_blind' });
    const poll = await get(submitted.body.nextUri, { 'X-Trino-User': 'etl_blind' });
    expect(poll.body.error?.message).toContain('is not known to any Trino cluster');
  });

  it('says nothing when the coordinators report their coordinator id (Trino 477+)', async () => {
    const capture = captureLogger();
    chain = await startChain({ edge: 'ext_authz', prefixRouting: false, logger: capture.logger });
    const submitted = await submit(chain.envoy.url, 'SELECT 1', { 'X-Trino-User': 'etl_seen' });
    const poll = await get(submitted.body.nextUri, { 'X-Trino-User': 'etl_seen' });
    expect(poll.status).toBe(200);
    expect(poll.body.error).toBeUndefined();
    expect(capture.lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('ext_authz cannot tell'))).toBeUndefined();
  });
});
