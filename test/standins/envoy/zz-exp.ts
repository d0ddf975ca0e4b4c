import * as grpc from '@grpc/grpc-js';
import { extProcServiceDefinition, EXT_PROC_METHOD_PATH } from './protos.js';
const N = Number(process.argv[2] ?? 1500);
const server = new grpc.Server();
const fix = process.argv[3];
if (fix === 'invalid') Object.assign((server as any).commonServerOptions, { maxSessionInvalidFrames: 1e9 });
if (fix === 'reset') Object.assign((server as any).commonServerOptions, { streamResetBurst: 1e6, streamResetRate: 1e6 });
server.addService(extProcServiceDefinition(), {
  Process: (call: grpc.ServerDuplexStream<object, object>) => {
    call.on('data', () => call.write({ request_headers: { response: {} } }));
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  },
});
const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
const m = extProcServiceDefinition()['Process']!;
let errors = 0; let firstErr = '';
const t0 = Date.now();
for (let i = 0; i < N; i++) {
  await new Promise<void>((resolve) => {
    const call = client.makeBidiStreamRequest(EXT_PROC_METHOD_PATH, m.requestSerialize as any, m.responseDeserialize as any, new grpc.Metadata(), {});
    call.on('error', () => undefined);
    call.on('status', (s: grpc.StatusObject) => { if (s.code !== 0 && s.code !== 1) { errors++; firstErr ||= i + ': ' + s.details; resolve(); } });
    call.on('data', () => { call.end(); setImmediate(() => { call.cancel(); resolve(); }); });
    call.write({ request_headers: { headers: { headers: [] }, end_of_stream: true } });
  });
}
console.log({ N, fix, errors, firstErr, ms: Date.now() - t0 });
client.close(); server.forceShutdown();
