/**
 * Reads a V8 .cpuprofile and splits the sampled time by layer: each sample is charged to the
 * innermost frame on its stack that belongs to a known layer (a Buffer copy made by the
 * protobuf decoder counts as codec, an HTTP/2 write made by grpc-js as http2), so router and
 * floor profiles can be compared layer by layer.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const LAYERS: readonly (readonly [string, (f: CallFrame) => boolean])[] = [
  ['protobuf codec', (f) => f.url.includes('/src/gen/') || f.url.includes('@bufbuild/protobuf')],
  ['observers (metrics, logs)', (f) => f.url.includes('/src/observability/') || f.url.includes('/prom-client/') || f.url.includes('/pino')],
  ['prefix HMAC', (f) => f.url.includes('/src/stickiness/route-prefix')],
  ['routing (rules, headers, ownership)', (f) => /\/src\/(routing|trino|stickiness|health)\//.test(f.url)],
  ['ext_proc edge', (f) => f.url.includes('/src/envoy/')],
  ['store / write-behind', (f) => /\/src\/(store|runtime|history)\//.test(f.url) || f.url.includes('better-sqlite3')],
  ['profiler', (f) => f.url === 'node:inspector' || f.url.endsWith('/bench/lib/profiler.js') || f.url.endsWith('/bench/lib/profiler.ts')],
  ['bench harness', (f) => f.url.includes('/bench/')],
  ['http2 (node)', (f) => f.url.startsWith('node:internal/http2') || f.url.startsWith('node:http2')],
  ['grpc-js', (f) => f.url.includes('@grpc/grpc-js')],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
];

export interface LayerShare {
  readonly layer: string;
  /** Fraction of the non-idle sampled time. */
  readonly share: number;
}

export function summarizeProfile(path: string): { busyMs: number; layers: LayerShare[]; top: { name: string; share: number }[] } {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const layerOf = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = layerOf.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)!.callFrame;
    const match = LAYERS.find(([, test]) => test(frame));
    const up = parent.get(id);
    const layer = match !== undefined ? match[0] : up === undefined ? 'other (node, V8)' : resolve(up);
    layerOf.set(id, layer);
    return layer;
  };
  const time = new Map<string, number>();
  const self = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = profile.timeDeltas[i] ?? 0;
    const layer = resolve(id);
    if (layer === 'idle' || layer === 'profiler') continue;
    busy += dt;
    time.set(layer, (time.get(layer) ?? 0) + dt);
    const f = byId.get(id)!.callFrame;
    const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(name, (self.get(name) ?? 0) + dt);
  }
  const layers = [...time].map(([layer, t]) => ({ layer, share: t / busy })).sort((a, b) => b.share - a.share);
  const top = [...self].map(([name, t]) => ({ name, share: t / busy })).sort((a, b) => b.share - a.share).slice(0, 25);
  return { busyMs: busy / 1000, layers, top };
}
