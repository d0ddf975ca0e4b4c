/**
 * Every Envoy configuration in envoy/ (whatever files are there: the list is read from the
 * folder, so a file added later is checked without being named here) decodes strictly against
 * Envoy's protos and follows the router contract; a copy of each file broken in each way the
 * checker claims to catch (unknown field, wrong type, bad enum, unresolvable "@type", contract
 * breaches) fails. A break that does not apply to a file's shape is reported as skipped, never
 * passed silently; the breaks every bootstrap supports are required to run.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { parse as parseYaml, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOOTSTRAP, bootstrapFacts, checkEnvoyBootstrapFile, envoyConfigFiles, EXT_AUTHZ_TYPE, findConfigSources } from './lib/envoy-config.js';
import { checkEverything } from './lib/index.js';
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

/** Paths of every ext_authz filter config in a bootstrap. */
function extAuthzPaths(doc: unknown): (string | number)[][] {
  const out: (string | number)[][] = [];
  const facts = bootstrapFacts(doc as Record<string, unknown>);
  for (const hcm of facts.hcms) for (const f of hcm.filters) if (f.type === EXT_AUTHZ_TYPE) out.push([...f.path, 'typed_config']);
  return out;
}

describe.each(ENVOY_FILES)('%s', (path) => {
  it('decodes against Envoy\'s protos and follows the router contract', () => {
    const result = checkEnvoyBootstrapFile(repo, path, protos);
    expect(formatIssues(result.issues)).toBe('');
    expect(result.deprecated).toEqual([]);
  });

  it('holds values of the kinds every break below needs: a message, an enum, an Any and a scalar', () => {
    // So that, whatever shape a new file in envoy/ has, the unknown-field, bad-enum,
    // unresolvable-@type and wrong-type breaks all run on it (none is skipped).
    const kinds = new Set(landmarks(path).map((l) => l.kind));
    expect([...kinds]).toEqual(expect.arrayContaining(['message', 'enum', 'any']));
    expect(['integer', 'bool', 'duration'].filter((k) => kinds.has(k as LandmarkKind))).not.toEqual([]);
  });

  it.for(Object.keys(BREAKS) as (keyof typeof BREAKS)[])('a copy with a broken %s value fails', (kind, ctx) => {
    // The deepest landmark of this kind: inside typed_config where there is one, so Any
    // resolution is exercised too.
    const candidates = landmarks(path).filter((l) => l.kind === kind && l.path.length > 0);
    if (candidates.length === 0) {
      ctx.skip(); // the file has no value of this kind (the test above requires the essential ones)
      return;
    }
    const target = candidates.reduce((a, b) => (b.path.length > a.path.length ? b : a));
    const broken = editYaml(repo, path, (docs: Docs) => {
      setAt(docs[0], target.path, BREAKS[kind].value(getAt(docs[0], target.path)));
    });
    expect(check(broken, path)).toContain(BREAKS[kind].expect);
  });

  it('a copy whose route can cut long requests fails', (ctx) => {
    if (!hasStaticHcm(path) || getAt(hcmOf(parseYaml(repo.read(path))), ['route_config', 'virtual_hosts', 0, 'routes', 0, 'route', 'cluster_header']) === undefined) {
      ctx.skip();
      return;
    }
    const broken = editYaml(repo, path, (docs: Docs) => {
      (hcmOf(docs[0]) as Record<string, any>).route_config.virtual_hosts[0].routes[0].route.timeout = '15s';
    });
    expect(check(broken, path)).toContain('needs timeout: 0s');
  });

  it('a copy whose router filter is not last fails', (ctx) => {
    if (!hasStaticHcm(path)) {
      ctx.skip();
      return;
    }
    const broken = editYaml(repo, path, (docs: Docs) => {
      (hcmOf(docs[0]) as Record<string, any>).http_filters.reverse();
    });
    expect(check(broken, path)).toContain('router filter must be last');
  });

  it('a copy without the early strip of a client-sent x-trino-cluster fails', (ctx) => {
    if (!hasStaticHcm(path)) {
      ctx.skip();
      return;
    }
    const broken = editYaml(repo, path, (docs: Docs) => {
      delete (hcmOf(docs[0]) as Record<string, any>).early_header_mutation_extensions;
    });
    expect(check(broken, path)).toContain('x-trino-cluster must be removed in early_header_mutation_extensions');
  });

  it('a copy that strips x-trino-cluster in the filter chain instead (the old config, which a real Envoy ignores for routing) fails', (ctx) => {
    if (!hasStaticHcm(path)) {
      ctx.skip();
      return;
    }
    const broken = editYaml(repo, path, (docs: Docs) => {
      const hcm = hcmOf(docs[0]) as Record<string, any>;
      delete hcm.early_header_mutation_extensions;
      hcm.http_filters.unshift({
        name: 'envoy.filters.http.header_mutation',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
          mutations: { request_mutations: [{ remove: 'x-trino-cluster' }] },
        },
      });
    });
    const issues = check(broken, path);
    expect(issues).toContain('x-trino-cluster must be removed in early_header_mutation_extensions');
    expect(issues).toContain('in an HTTP filter comes after the route is picked');
  });

  it('the early strip is decoded strictly: a misspelt field in its typed_config fails', (ctx) => {
    if (!hasStaticHcm(path)) {
      ctx.skip();
      return;
    }
    const broken = editYaml(repo, path, (docs: Docs) => {
      (hcmOf(docs[0]) as Record<string, any>).early_header_mutation_extensions[0].typed_config.mutations[0] = { remov: 'x-trino-cluster' };
    });
    expect(check(broken, path)).toContain('unknown field "remov"');
  });

  it('a copy whose route forwards x-trino-cluster to the coordinator fails', (ctx) => {
    if (!hasStaticHcm(path)) {
      ctx.skip();
      return;
    }
    const broken = editYaml(repo, path, (docs: Docs) => {
      delete (hcmOf(docs[0]) as Record<string, any>).route_config.virtual_hosts[0].routes[0].request_headers_to_remove;
    });
    expect(check(broken, path)).toContain('request_headers_to_remove: [x-trino-cluster]');
  });

  it('a copy with ext_proc that leaves Envoy resetting every stream (no graceful-close runtime flag, or the flag false) fails', (ctx) => {
    const hasExtProc = hasStaticHcm(path) && JSON.stringify(hcmOf(parseYaml(repo.read(path)))).includes('ExternalProcessor');
    if (!hasExtProc) {
      ctx.skip();
      return;
    }
    const edits: ((doc: Record<string, any>) => void)[] = [
      (doc) => delete doc.layered_runtime,
      (doc) => (doc.layered_runtime.layers[0].static_layer['envoy.reloadable_features.ext_proc_graceful_grpc_close'] = false),
      (doc) => (doc.layered_runtime.layers = [...doc.layered_runtime.layers, { name: 'later', static_layer: { envoy: { reloadable_features: { ext_proc_graceful_grpc_close: 'false' } } } }]),
    ];
    for (const edit of edits) {
      const broken = editYaml(repo, path, (docs: Docs) => edit(docs[0] as Record<string, any>));
      expect(check(broken, path)).toContain('envoy.reloadable_features.ext_proc_graceful_grpc_close: true');
    }
  });

  it('a copy whose ext_proc / ext_authz answers errors with a status clients do not retry fails', (ctx) => {
    if (!hasStaticHcm(path)) {
      ctx.skip();
      return;
    }
    for (const value of [undefined, { code: 'InternalServerError' }]) {
      const broken = editYaml(repo, path, (docs: Docs) => {
        for (const f of (hcmOf(docs[0]) as Record<string, any>).http_filters) {
          if (!/ExternalProcessor|ExtAuthz/.test(String(f.typed_config['@type']))) continue;
          if (value === undefined) delete f.typed_config.status_on_error;
          else f.typed_config.status_on_error = value;
        }
      });
      expect(check(broken, path)).toContain('status_on_error: { code: ServiceUnavailable }');
    }
  });

  it('a copy with a cluster on Envoy\'s default circuit breakers, or other values than the xDS clusters\', fails', () => {
    const doc = parseYaml(repo.read(path)) as Record<string, any>;
    for (const [i, cluster] of (doc.static_resources.clusters as { name: string }[]).entries()) {
      const without = editYaml(repo, path, (docs: Docs) => {
        delete docs[0].static_resources.clusters[i].circuit_breakers;
      });
      expect(check(without, path)).toContain(`cluster ${cluster.name} needs circuit_breakers.thresholds`);
      const other = editYaml(repo, path, (docs: Docs) => {
        docs[0].static_resources.clusters[i].circuit_breakers.thresholds[0].max_requests = 1024;
      });
      expect(check(other, path)).toContain('max_requests: must be 10000');
    }
  });

  it('a copy whose gRPC cluster sends no HTTP/2 keepalive pings fails', () => {
    const broken = editYaml(repo, path, (docs: Docs) => {
      for (const c of docs[0].static_resources.clusters) {
        const h2 = c.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']?.explicit_http_config?.http2_protocol_options;
        if (h2 !== undefined) delete h2.connection_keepalive;
      }
    });
    expect(check(broken, path)).toContain('needs http2_protocol_options.connection_keepalive');
  });

  it('a copy whose gRPC cluster lost HTTP/2 fails', () => {
    const broken = editYaml(repo, path, (docs: Docs) => {
      for (const c of docs[0].static_resources.clusters) delete c.typed_extension_protocol_options;
    });
    expect(check(broken, path)).toContain('needs HTTP/2');
  });

  it('a copy that points a gRPC service at a missing cluster fails', (ctx) => {
    const doc = parseYaml(repo.read(path));
    const facts = bootstrapFacts(doc);
    // A subscription's cluster must always be static; a filter's only when clusters are static.
    const ref = facts.grpcClusterRefs.find((r) => r.path[0] === 'dynamic_resources') ?? (facts.dynamicClusters ? undefined : facts.grpcClusterRefs[0]);
    if (ref === undefined) {
      ctx.skip();
      return;
    }
    const broken = editYaml(repo, path, (docs: Docs) => {
      docs[0].static_resources.clusters = docs[0].static_resources.clusters.filter((c: { name: string }) => c.name !== ref.name);
    });
    expect(check(broken, path)).toMatch(new RegExp(`no (static )?cluster named ${ref.name}`));
  });

  it('a copy with an AUTO xDS / ext_authz transport version fails', (ctx) => {
    const doc = parseYaml(repo.read(path));
    const targets = [...findConfigSources(doc).filter((s) => s.kind === 'api').map((s) => [...s.path]), ...extAuthzPaths(doc)];
    if (targets.length === 0) {
      ctx.skip();
      return;
    }
    for (const target of targets) {
      const broken = editYaml(repo, path, (docs: Docs) => {
        setAt(docs[0], [...target, 'transport_api_version'], 'AUTO');
      });
      expect(check(broken, path)).toContain('must be V3');
    }
  });

  it('a copy with the default header size limit fails', (ctx) => {
    if (!hasStaticHcm(path)) {
      ctx.skip();
      return;
    }
    const broken = editYaml(repo, path, (docs: Docs) => {
      delete (hcmOf(docs[0]) as Record<string, any>).max_request_headers_kb;
    });
    expect(check(broken, path)).toContain('max_request_headers_kb');
  });
});

describe('a new file in envoy/ (here an ADS bootstrap taking its clusters from the router, made in memory)', () => {
  const ADS_FILE = 'envoy/zz-check-ads-bootstrap.yaml';
  const adsBootstrap = (): Record<string, any> => {
    const doc = parseYaml(repo.read('envoy/envoy.yaml')) as Record<string, any>;
    doc.node = { id: 'trino-envoy', cluster: 'trino-envoy' };
    doc.static_resources.clusters = doc.static_resources.clusters.filter((c: { name: string }) => c.name === 'trino_router');
    doc.dynamic_resources = {
      cds_config: { ads: {}, resource_api_version: 'V3' },
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'trino_router' } }] },
    };
    return doc;
  };
  const view = (edit: (doc: Record<string, any>) => void = () => undefined): RepoFiles => {
    const doc = adsBootstrap();
    edit(doc);
    return repo.with({ [ADS_FILE]: stringify(doc) });
  };

  it('is picked up by the checks without being named anywhere, and passes the Envoy checks', () => {
    const files = view();
    expect(envoyConfigFiles(files)).toContain(ADS_FILE);
    const result = checkEverything(files, protos, ['envoy']);
    expect(result.files.has(ADS_FILE)).toBe(true);
    expect(formatIssues(result.issues.envoy)).toBe('');
  });

  it.each([
    ['an AUTO transport version', (d: Record<string, any>) => { d.dynamic_resources.ads_config.transport_api_version = 'AUTO'; }, 'transport_api_version: must be V3'],
    ['no resource version', (d: Record<string, any>) => { delete d.dynamic_resources.cds_config.resource_api_version; }, 'resource_api_version: must be V3'],
    ['ads: {} without ads_config', (d: Record<string, any>) => { delete d.dynamic_resources.ads_config; }, 'dynamic_resources.ads_config is not set'],
    ['the xDS cluster missing', (d: Record<string, any>) => { d.dynamic_resources.ads_config.grpc_services[0].envoy_grpc.cluster_name = 'xds'; }, 'no static cluster named xds'],
    ['no node id', (d: Record<string, any>) => { delete d.node.id; }, 'needs node.id'],
    ['a misspelt field', (d: Record<string, any>) => { d.dynamic_resources.cds_config.ads_config = {}; }, 'unknown field "ads_config"'],
    ['a bad api_type', (d: Record<string, any>) => { d.dynamic_resources.ads_config.api_type = 'gRPC'; }, 'is not a value of enum'],
    ['a router port the compose router does not listen on', (d: Record<string, any>) => { d.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value = 9003; }, 'service router does not listen on 9003'],
  ])('with %s fails', (_what, edit, message) => {
    const result = checkEverything(view(edit), protos, ['envoy', 'compose']);
    expect(formatIssues([...result.issues.envoy, ...result.issues.compose])).toContain(message);
  });
});

describe('envoy/envoy.yaml (ext_proc)', () => {
  const path = 'envoy/envoy.yaml';
  const extProc = (docs: Docs): Record<string, unknown> => docs[0].static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters
    .find((f: { typed_config: Record<string, unknown> }) => String(f.typed_config['@type']).endsWith('ExternalProcessor')).typed_config;

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

describe('envoy/envoy-ext-authz.yaml (ext_authz)', () => {
  const path = 'envoy/envoy-ext-authz.yaml';
  const extAuthz = (docs: Docs): Record<string, unknown> => docs[0].static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters
    .find((f: { typed_config: Record<string, unknown> }) => String(f.typed_config['@type']).endsWith('ExtAuthz')).typed_config;

  it.each([
    ['failure_mode_allow', true, 'must be false'],
    ['clear_route_cache', false, 'must be true: the route must see the x-trino-cluster header'],
    ['transport_api_version', 'V2', 'must be V3'],
  ])('a copy with %s: %s fails', (field, value, message) => {
    const broken = editYaml(repo, path, (docs: Docs) => {
      extAuthz(docs)[field] = value;
    });
    expect(check(broken, path)).toContain(message);
  });
});
