/**
 * Many requests through Envoy and the real router on one HTTP/2 connection. Envoy without the
 * runtime flag envoy.reloadable_features.ext_proc_graceful_grpc_close resets every ext_proc
 * stream when its request is done; the router's HTTP/2 server (nghttp2's guard against rapid
 * resets) answers about a thousand of them with GOAWAY, and the requests whose streams were
 * open then fail with status_on_error (503). The shipped envoy/envoy.yaml turns the flag on:
 * Envoy half-closes, the router ends each stream, nothing is reset.
 */
import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { envoyYamlVariant } from '../standins/envoy/fakes.js';
import { startChain, type Chain } from './harness.js';

const CLIENTS = 20;
const REQUESTS = 3_000;

let chain: Chain | undefined;
afterEach(async () => {
  await chain?.close();
  chain = undefined;
});

/** REQUESTS GETs of /v1/info from CLIENTS keep-alive clients; the count of each status. */
async function load(url: string): Promise<Map<number, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const statuses = new Map<number, number>();
  let next = 0;
  const one = (): Promise<number> =>
    new Promise((resolve) => {
      const req = request(`${url}/v1/info`, { agent, headers: { 'x-trino-user': 'load' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end();
    });
  const client = async (): Promise<void> => {
    while (next < REQUESTS) {
      next++;
      const status = await one();
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  agent.destroy();
  return statuses;
}

describe('ext_proc streams under load (one HTTP/2 connection to the router)', () => {
  it(`with the shipped envoy.yaml: ${REQUESTS} requests from ${CLIENTS} clients all succeed, no stream fails`, async () => {
    chain = await startChain();
    const statuses = await load(chain.envoy.url);
    expect(Object.fromEntries(statuses)).toEqual({ 200: REQUESTS });
    expect(chain.envoy.stats().extProcErrors).toBe(0);
  });

  it('without the graceful-close flag the same load loses requests to the GOAWAY the resets bring (503)', async () => {
    chain = await startChain({ envoyConfig: envoyYamlVariant([[['layered_runtime'], undefined]]) });
    const statuses = await load(chain.envoy.url);
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0);
    expect(chain.envoy.stats().extProcErrors).toBeGreaterThan(0);
  });
});
