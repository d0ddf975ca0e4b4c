/**
 * The ext_proc edge over a real gRPC connection, driven the way Envoy drives it: one stream
 * per HTTP request, request headers in raw_value, request attributes on the first message.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../../src/app.js';
import { ProcessingMode_BodySendMode, ProcessingMode_HeaderSendMode } from '../../../src/gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode.js';
import {
  ExternalProcessorService,
  ProcessingRequest,
  ProcessingResponse,
} from '../../../src/gen/envoy/service/ext_proc/v3/external_processor.js';

const ExtProcClient = grpc.makeGenericClientConstructor(ExternalProcessorService, 'ExternalProcessor');

let dir: string;
let router: RunningRouter;
let client: grpc.Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ter-extproc-'));
  const configPath = join(dir, 'router.yaml');
  writeFileSync(configPath, `
listen: { extProc: "127.0.0.1:0", admin: null, metrics: null }
dataDir: ${JSON.stringify(dir)}
logging: { level: silent }
monitor: null
routing: { defaultGroup: all }
backends:
  - { name: trino-a, url: "http://127.0.0.1:1" }
  - { name: trino-b, url: "http://127.0.0.1:2" }
groups:
  - { name: all, backends: [trino-a] }
  - { name: tls, backends: [trino-b] }
rules:
  - { name: tls-listener, group: tls, match: { listenerPort: 8443 } }
`);
  router = await startRouter({ configPath });
  client = new ExtProcClient(`127.0.0.1:${router.extProcPort}`, grpc.credentials.createInsecure());
});
afterAll(async () => {
  client?.close();
  await router?.close();
  rmSync(dir, { recursive: true, force: true });
});

function headers(pairs: [string, string][]) {
  return { headers: pairs.map(([key, value]) => ({ key, value: '', rawValue: Buffer.from(value) })) };
}

/** Opens one stream, sends the messages, collects every answer until the server ends it. */
function exchange(messages: ProcessingRequest[]): Promise<ProcessingResponse[]> {
  return new Promise((resolve, reject) => {
    const call = (client as unknown as { process(): grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse> }).process();
    const answers: ProcessingResponse[] = [];
    call.on('data', (answer: ProcessingResponse) => {
      answers.push(answer);
      if (answers.length === messages.length) call.end();
    });
    call.on('end', () => resolve(answers));
    call.on('error', reject);
    for (const message of messages) call.write(message);
  });
}

function requestHeaders(pairs: [string, string][], port?: number): ProcessingRequest {
  return ProcessingRequest.fromPartial({
    request: { $case: 'requestHeaders', value: { headers: headers(pairs), endOfStream: true } },
    attributes: port === undefined ? {} : { 'envoy.filters.http.ext_proc': { 'destination.port': port } },
  });
}

function clusterOf(answer: ProcessingResponse | undefined): string | undefined {
  if (answer?.response?.$case !== 'requestHeaders') return undefined;
  const set = answer.response.value.response?.headerMutation?.setHeaders ?? [];
  const header = set.find((h) => h.header?.key === 'x-trino-cluster');
  return header?.header?.rawValue.toString('utf8');
}

const SUBMIT: [string, string][] = [[':method', 'POST'], [':path', '/v1/statement'], [':authority', 'trino'], ['x-trino-user', 'alice']];

describe('ext_proc over gRPC', () => {
  it('routes by the listener port Envoy sends as a request attribute', async () => {
    expect(clusterOf((await exchange([requestHeaders(SUBMIT, 8443)]))[0])).toBe('trino-b');
    expect(clusterOf((await exchange([requestHeaders(SUBMIT, 8080)]))[0])).toBe('trino-a');
    expect(clusterOf((await exchange([requestHeaders(SUBMIT)]))[0])).toBe('trino-a');
  });

  it('answers with raw_value only, overwrite, and clear_route_cache next to the mutation', async () => {
    const [answer] = await exchange([requestHeaders([...SUBMIT, ['x-trino-cluster', 'trino-b']])]);
    expect(answer?.response?.$case).toBe('requestHeaders');
    if (answer?.response?.$case !== 'requestHeaders') return;
    const common = answer.response.value.response!;
    expect(common.clearRouteCache).toBe(true);
    for (const option of common.headerMutation!.setHeaders) {
      expect(option.header!.value).toBe('');
      expect(option.header!.rawValue.length).toBeGreaterThan(0);
      expect(option.append).toBe(false);
    }
    expect(clusterOf(answer)).toBe('trino-a');
    // A submission asks for its own response (headers and buffered body) to learn the query id.
    expect(answer.modeOverride).toMatchObject({ responseHeaderMode: ProcessingMode_HeaderSendMode.SEND, responseBodyMode: ProcessingMode_BodySendMode.BUFFERED });
  });

  it('answers every message of the stream in order, response phases included', async () => {
    const answers = await exchange([
      requestHeaders(SUBMIT),
      ProcessingRequest.fromPartial({ request: { $case: 'responseHeaders', value: { headers: headers([[':status', '200']]) } } }),
      ProcessingRequest.fromPartial({ request: { $case: 'responseBody', value: { body: Buffer.from('{"id":"20261122_120000_00001_abcde"}'), endOfStream: true } } }),
    ]);
    expect(answers.map((a) => a.response?.$case)).toEqual(['requestHeaders', 'responseHeaders', 'responseBody']);
    // What the body taught is used by the next request's stream.
    const poll = await exchange([requestHeaders([[':method', 'GET'], [':path', '/v1/statement/executing/20261122_120000_00001_abcde/y1/1'], [':authority', 'trino']])]);
    expect(clusterOf(poll[0])).toBe('trino-a');
  });
});
