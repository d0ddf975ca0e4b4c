/**
 * Every Envoy configuration in envoy/ (whatever files are there) decodes strictly against
 * Envoy's protos and follows the router contract; a copy broken in each way the checker claims
 * to catch (unknown field, wrong type, bad enum, unresolvable "@type", contract breaches) fails.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { parse as parseYaml } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP, bootstrapFacts, checkEnvoyBootstrapFile, envoyConfigFiles } from './lib/envoy-config.js';
import { formatIssues } from './lib/issues.js';
import { editYaml, getAt, setAt, type Docs } from './lib/mutate.js';
import { checkProtoJson, EnvoyProtos, type Landmark, type LandmarkKind } from './lib/proto-json.js';
import { RepoFiles } from './lib/repo-files.js';

const repo = RepoFiles.of();
const ENVOY_FILES = envoyConfigFiles(repo);
let protos: EnvoyProtos;

beforeAll(() => {
  protos = new EnvoyProtos();
});

function check(files: RepoFiles, path: string): string {
  return formatIssues(checkEnvoyBootstrapFile(files, path, protos).issues);
}

/** The first HTTP connection manager of a bootstrap (undefined: the file has another shape). */
function hcmOf(doc: unknown): Record<string, any> | undefined {
  const hcm = getAt(doc, ['static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config']);
  return typeof hcm === 'object' && hcm !== null && String((hcm as Record<string, unknown>)['@type']).endsWith('HttpConnectionManager') ? hcm as Record<string, any> : undefined;
}

function hasStaticHcm(path: string): boolean {
  return hcmOf(parseYaml(repo.read(path))) !== undefined;
}

function landmarks(path: string): Landmark[] {
  return checkProtoJson(protos, BOOTSTRAP, parseYaml(repo.read(path))).landmarks;
}

/** How each kind of accepted value is broken, and what the checker must then say. */
const BREAKS: Record<Exclude<LandmarkKind, 'string'>, { readonly value: (current: unknown) => unknown; readonly expect: string }> = {
  message: { value: (m) => ({ ...(m as object), not_a_field_of_this_message: true }), expect: 'unknown field "not_a_field_of_this_message"' },
  enum: { value: () => 'NOT_A_VALUE_OF_THIS_ENUM', expect: 'is not a value of enum' },
  integer: { value: () => 'not-a-number', expect: 'expected an integer' },
  bool: { value: () => 'yes', expect: 'expected true or false' },
  duration: { value: () => 5, expect: 'expected a duration' },
  any: { value: (a) => ({ ...(a as object), '@type': 'type.googleapis.com/envoy.extensions.filters.http.does_not_exist.v3.Nothing' }), expect: 'names no message in Envoy\'s protos' },
};

it('envoy/ holds the reference config and the checker finds it', () => {
  expect(ENVOY_FILES).toContain('envoy/envoy.yaml');
});

describe.each(ENVOY_FILES)('%s', (path) => {
  it('decodes against Envoy\'s protos and follows the router contract', () => {
    const result = checkEnvoyBootstrapFile(repo, path, protos);
    expect(formatIssues(result.issues)).toBe('');
    expect(result.deprecated).toEqual([]);
  });

  it.each(Object.keys(BREAKS) as (keyof typeof BREAKS)[])('a copy with a broken %s value fails', (kind) => {
    // The deepest landmark of this kind: inside typed_config where there is one, so Any
    // resolution is exercised too.
    const candidates = landmarks(path).filter((l) => l.kind === kind && l.path.length > 0);
    if (candidates.length === 0) return; // the file has no value of this kind
    const target = candidates.reduce((a, b) => (b.path.length > a.path.length ? b : a));
    const broken = editYaml(repo, path, (docs: Docs) => {
      setAt(docs[0], target.path, BREAKS[kind].value(getAt(docs[0], target.path)));
    });
    expect(check(broken, path)).toContain(BREAKS[kind].expect);
  });

  it('a copy whose route can cut long requests fails', () => {
    if (!hasStaticHcm(path) || getAt(hcmOf(parseYaml(repo.read(path))), ['route_config', 'virtual_hosts', 0, 'routes', 0, 'route', 'cluster_header']) === undefined) return;
    const broken = editYaml(repo, path, (docs: Docs) => {
      (hcmOf(docs[0]) as Record<string, any>).route_config.virtual_hosts[0].routes[0].route.timeout = '15s';
    });
    expect(check(broken, path)).toContain('needs timeout: 0s');
  });

  it('a copy whose router filter is not last fails', () => {
    if (!hasStaticHcm(path)) return;
    const broken = editYaml(repo, path, (docs: Docs) => {
      (hcmOf(docs[0]) as Record<string, any>).http_filters.reverse();
    });
    expect(check(broken, path)).toContain('router filter must be last');
  });

  it('a copy whose gRPC cluster lost HTTP/2 fails', () => {
    const broken = editYaml(repo, path, (docs: Docs) => {
      for (const c of docs[0].static_resources.clusters) delete c.typed_extension_protocol_options;
    });
    expect(check(broken, path)).toContain('needs HTTP/2');
  });

  it('a copy that points a gRPC service at a missing cluster fails', () => {
    const facts = bootstrapFacts(parseYaml(repo.read(path)));
    const ref = facts.grpcClusterRefs[0];
    if (ref === undefined || facts.dynamicClusters) return;
    const broken = editYaml(repo, path, (docs: Docs) => {
      docs[0].static_resources.clusters = docs[0].static_resources.clusters.filter((c: { name: string }) => c.name !== ref.name);
    });
    expect(check(broken, path)).toContain(`no cluster named ${ref.name}`);
  });

  it('a copy with the default header size limit fails', () => {
    if (!hasStaticHcm(path)) return;
    const broken = editYaml(repo, path, (docs: Docs) => {
      delete (hcmOf(docs[0]) as Record<string, any>).max_request_headers_kb;
    });
    expect(check(broken, path)).toContain('max_request_headers_kb');
  });
});

describe('envoy/envoy.yaml (ext_proc)', () => {
  const path = 'envoy/envoy.yaml';
  const extProc = (docs: Docs): Record<string, unknown> => docs[0].static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters
    .find((f: { typed_config: Record<string, unknown> }) => String(f.typed_config['@type']).endsWith('ExternalProcessor')).typed_config;

  it('a copy that lets a client pick the cluster (no header_mutation before ext_proc) fails', () => {
    const broken = editYaml(repo, path, (docs: Docs) => {
      const hcm = docs[0].static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
      hcm.http_filters = hcm.http_filters.filter((f: { name: string }) => f.name !== 'envoy.filters.http.header_mutation');
    });
    expect(check(broken, path)).toContain('must be removed (header_mutation) before ext_proc runs');
  });

  it.each([
    ['failure_mode_allow', true, 'must be false'],
    ['allow_mode_override', false, 'must be true'],
    ['message_timeout', '0.2s', 'above the 200 ms default'],
  ])('a copy with %s: %s fails', (field, value, message) => {
    const broken = editYaml(repo, path, (docs: Docs) => {
      extProc(docs)[field] = value;
    });
    expect(check(broken, path)).toContain(message);
  });

  it('a copy that sends response headers on every request fails', () => {
    const broken = editYaml(repo, path, (docs: Docs) => {
      (extProc(docs).processing_mode as Record<string, unknown>).response_header_mode = 'SEND';
    });
    expect(check(broken, path)).toContain('response_header_mode: must be SKIP');
  });
});
