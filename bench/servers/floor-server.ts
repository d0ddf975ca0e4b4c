/**
 * The floor: a bare grpc-js ExternalProcessor on the same stack as the router (grpc-js server,
 * the generated ts-proto codec, the same server options) that answers every message at once:
 * request headers with one fixed header mutation (x-trino-cluster, raw_value, clear_route_cache),
 * every other phase with CONTINUE. No header reading, no routing, no observers. The gap between
 * this and the router is what routing costs.
 */
import * as grpc from '@grpc/grpc-js';
import {
  CommonResponse_ResponseStatus,
  ExternalProcessorService,
  type CommonResponse,
  type ProcessingRequest,
  type ProcessingResponse,
} from '../../src/gen/envoy/service/ext_proc/v3/external_processor.js';
import { HeaderValueOption_HeaderAppendAction } from '../../src/gen/envoy/config/core/v3/base.js';
import { serve } from '../lib/ipc.js';
import { startProfile, stopProfile } from '../lib/profiler.js';
import { usage } from '../lib/usage.js';

const common = (mutate: boolean): CommonResponse => ({
  status: CommonResponse_ResponseStatus.CONTINUE,
  headerMutation: mutate
    ? {
      setHeaders: [{
        header: { key: 'x-trino-cluster', value: '', rawValue: Buffer.from('trino-a') },
        append: false,
        appendAction: HeaderValueOption_HeaderAppendAction.APPEND_IF_EXISTS_OR_ADD,
        keepEmptyValue: false,
      }],
      removeHeaders: [],
    }
    : undefined,
  bodyMutation: undefined,
  trailers: undefined,
  clearRouteCache: mutate,
});

const base = { dynamicMetadata: undefined, modeOverride: undefined, overrideMessageTimeout: undefined };
const ROUTED: ProcessingResponse = { ...base, response: { $case: 'requestHeaders', value: { response: common(true) } } };
const RESPONSE_HEADERS: ProcessingResponse = { ...base, response: { $case: 'responseHeaders', value: { response: common(false) } } };
const RESPONSE_BODY: ProcessingResponse = { ...base, response: { $case: 'responseBody', value: { response: common(false) } } };

function process_(call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>): void {
  call.on('data', (message: ProcessingRequest) => {
    switch (message.request?.$case) {
      case 'requestHeaders':
        call.write(ROUTED);
        break;
      case 'responseHeaders':
        call.write(RESPONSE_HEADERS);
        break;
      default:
        call.write(RESPONSE_BODY);
    }
  });
  call.on('end', () => call.end());
  call.on('error', () => undefined);
}

let server: grpc.Server | undefined;

serve({
  async start() {
    // The router's server options (src/app.ts).
    server = new grpc.Server({ 'grpc.max_receive_message_length': 8 * 1024 * 1024 });
    server.addService(ExternalProcessorService, { process: process_ });
    const port = await new Promise<number>((resolve, reject) => {
      server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, p) => (error === null ? resolve(p) : reject(error)));
    });
    return { port };
  },
  /** Also serves the floor on a Unix socket (the Unix-socket scenario). */
  async startUnix({ socketPath }: { socketPath: string }) {
    await new Promise<number>((resolve, reject) => {
      server!.bindAsync(`unix:${socketPath}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error === null ? resolve(p) : reject(error)));
    });
    return { socketPath };
  },
  usage,
  startProfile,
  stopProfile,
  gc() {
    globalThis.gc?.();
  },
});
