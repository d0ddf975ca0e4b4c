import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsListenError, startMetricsServer, type MetricsExposition, type MetricsServer } from '../../../src/observability/metrics-server.js';
import { RouterMetrics } from '../../../src/observability/metrics.js';

const servers: MetricsServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()?.close();
});

function quietLogger() {
  const errors: unknown[] = [];
  return { logger: { warn: () => {}, error: (o: unknown) => void errors.push(o) } as never, errors };
}

async function start(metrics: MetricsExposition, logger = quietLogger().logger): Promise<MetricsServer> {
  const server = await startMetricsServer({ address: { host: '127.0.0.1', port: 0 }, metrics, logger });
  servers.push(server);
  return server;
}

/** Sends raw bytes and returns whatever the server answers before closing. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.end(bytes);
  });
}

describe('metrics HTTP server', () => {
  it('serves the registry at GET /metrics in the Prometheus text format', async () => {
    const metrics = new RouterMetrics();
    metrics.edgeObserver.streamOpened('ext_proc');
    const server = await start(metrics);
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.contentType);
    const text = await response.text();
    expect(text).toContain('trino_router_edge_streams_total{edge="ext_proc"} 1');
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
  });

  it('accepts a query string and HEAD; refuses other methods and paths', async () => {
    const server = await start(new RouterMetrics({ processMetrics: false }));
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/metrics?name[]=x`)).status).toBe(200);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${base}/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    for (const path of ['/', '/metrics/', '/metricsx', '/v1/statement', '/favicon.ico']) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
  });

  it('survives malformed requests and keeps serving', async () => {
    const server = await start(new RouterMetrics({ processMetrics: false }));
    expect(await raw(server.port, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(server.port, `GET /metrics HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/);
    expect(await raw(server.port, `GET /metrics HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 4\d\d/);
    await raw(server.port, 'GET /metr'); // hang up mid-request
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(200);
  });

  it('answers 500 when collecting fails, and logs it', async () => {
    const { logger, errors } = quietLogger();
    const broken: MetricsExposition = { contentType: 'text/plain', text: () => Promise.reject(new Error('collector exploded')) };
    const server = await start(broken, logger);
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(response.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`)).status).toBe(500);
  });

  it('reports a port in use as a typed error naming the address', async () => {
    const first = await start(new RouterMetrics({ processMetrics: false }));
    const attempt = startMetricsServer({
      address: { host: '127.0.0.1', port: first.port },
      metrics: new RouterMetrics({ processMetrics: false }),
      logger: quietLogger().logger,
    });
    await expect(attempt).rejects.toThrow(MetricsListenError);
    await expect(attempt).rejects.toThrow(`127.0.0.1:${first.port}`);
  });

  it('closes even while a scraper holds a keep-alive connection', async () => {
    const server = await startMetricsServer({ address: { host: '127.0.0.1', port: 0 }, metrics: new RouterMetrics({ processMetrics: false }), logger: quietLogger().logger });
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { connection: 'keep-alive' } });
    await response.text();
    await server.close();
    await expect(fetch(`http://127.0.0.1:${server.port}/metrics`)).rejects.toThrow();
  });
});
