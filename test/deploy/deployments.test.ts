/**
 * The deployment files (Dockerfile, .dockerignore, docker-compose.yml, deploy/**, and the
 * README's "Deploying it" commands): every check passes on the shipped files, and for every
 * shipped file at least one deliberately broken copy (made in memory) fails the check that owns
 * it, with the message that names the mistake.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { beforeAll, describe, expect, it } from 'vitest';
import { AREAS, checkEverything, type Area } from './lib/index.js';
import { formatIssues } from './lib/issues.js';
import { docOf, editText, editYaml, replaceOnce, type Docs } from './lib/mutate.js';
import { EnvoyProtos } from './lib/proto-json.js';
import { RepoFiles } from './lib/repo-files.js';

const repo = RepoFiles.of();
let protos: EnvoyProtos;

beforeAll(() => {
  protos = new EnvoyProtos();
});

function issuesOf(files: RepoFiles, area: Area): string {
  return formatIssues(checkEverything(files, protos, [area]).issues[area]);
}

describe('the shipped deployment files', () => {
  it.each(AREAS)('pass the %s checks', (area) => {
    expect(issuesOf(repo, area)).toBe('');
  });

  it('use no deprecated Envoy fields', () => {
    const deprecated = checkEverything(repo, protos, ['envoy']).deprecated;
    expect(Object.values(deprecated).flat()).toEqual([]);
  });
});

interface Breakage {
  readonly file: string;
  readonly what: string;
  readonly area: Area;
  readonly break: (files: RepoFiles) => RepoFiles;
  /** Text the check must report. */
  readonly expect: string;
}

const routerDeployment = (docs: Docs): any => docOf(docs, 'Deployment', 'trino-envoy-router');
const routerContainer = (docs: Docs): any => routerDeployment(docs).spec.template.spec.containers[0];
const sidecarContainer = (docs: Docs, name: string): any => docOf(docs, 'Deployment', 'trino-gateway').spec.template.spec.containers.find((c: { name: string }) => c.name === name);

const BREAKAGES: Breakage[] = [
  // ---- Dockerfile and .dockerignore ----
  { file: 'Dockerfile', what: 'runs as root', area: 'docker', break: (f) => editText(f, 'Dockerfile', replaceOnce(/^USER node$/m, '')), expect: 'non-root USER' },
  { file: 'Dockerfile', what: 'has no HEALTHCHECK', area: 'docker', break: (f) => editText(f, 'Dockerfile', replaceOnce(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, '')), expect: 'needs a HEALTHCHECK' },
  { file: 'Dockerfile', what: 'uses an unpinned base image', area: 'docker', break: (f) => editText(f, 'Dockerfile', replaceOnce(/^ARG NODE_IMAGE=.*$/m, 'ARG NODE_IMAGE=node:20-bookworm-slim')), expect: 'pin the official node image' },
  { file: 'Dockerfile', what: 'builds better-sqlite3 on another image than it runs', area: 'docker', break: (f) => editText(f, 'Dockerfile', replaceOnce('FROM ${NODE_IMAGE} AS build', 'FROM node:20.20.2-bookworm AS build')), expect: 'must use the same image' },
  { file: 'Dockerfile', what: 'compiles better-sqlite3 against downloaded Node headers', area: 'docker', break: (f) => editText(f, 'Dockerfile', replaceOnce(' npm_config_nodedir=/usr/local', '')), expect: 'npm_config_nodedir=/usr/local' },
  { file: 'Dockerfile', what: 'never loads the compiled module in the build', area: 'docker', break: (f) => editText(f, 'Dockerfile', replaceOnce(/ \\\n && node -e "require\('better-sqlite3'\)[^\n]*/, '')), expect: 'load better-sqlite3 once in the build stage' },
  { file: 'Dockerfile', what: 'copies a file that does not exist', area: 'docker', break: (f) => editText(f, 'Dockerfile', replaceOnce('COPY proto ./proto', 'COPY protos ./proto')), expect: 'COPY source protos does not exist' },
  { file: 'Dockerfile', what: 'does not expose the admin port', area: 'docker', break: (f) => editText(f, 'Dockerfile', replaceOnce('EXPOSE 9001 9002 9090', 'EXPOSE 9001 9090')), expect: 'EXPOSE 9002' },
  { file: '.dockerignore', what: 'leaves src/ out of the build context', area: 'docker', break: (f) => editText(f, '.dockerignore', (t) => `${t}src\n`), expect: 'COPY source src is excluded by .dockerignore' },
  { file: '.dockerignore', what: 'sends node_modules to the build', area: 'docker', break: (f) => editText(f, '.dockerignore', replaceOnce(/^node_modules$/m, '')), expect: 'node_modules must be excluded' },
  { file: 'deploy/docker/healthcheck.mjs', what: 'is missing', area: 'docker', break: (f) => f.with({ 'deploy/docker/healthcheck.mjs': null }), expect: 'COPY source deploy/docker/healthcheck.mjs does not exist' },

  // ---- docker compose ----
  { file: 'docker-compose.yml', what: 'mounts a file that does not exist', area: 'compose', break: (f) => editText(f, 'docker-compose.yml', replaceOnce('trino-a/node.properties:', 'trino-a/nodes.properties:')), expect: 'does not exist' },
  { file: 'docker-compose.yml', what: 'runs Envoy from a moving tag', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { d[0].services.envoy.image = 'envoyproxy/envoy:latest'; }), expect: 'pin envoyproxy/envoy:latest' },
  { file: 'docker-compose.yml', what: 'has a misspelt key', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { d[0].services.router.depend_on = {}; }), expect: 'depend_on' },
  { file: 'docker-compose.yml', what: 'renames a Trino service Envoy sends to', area: 'compose', break: (f) => editText(f, 'docker-compose.yml', replaceOnce('  trino-b:\n    image', '  trino-two:\n    image')), expect: 'trino-b is not a service' },
  { file: 'docker-compose.yml', what: 'waits for a service with no health check', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { d[0].services.envoy.depends_on = { 'trino-a': { condition: 'service_healthy' }, nothing: { condition: 'service_started' } }; }), expect: 'no service nothing' },
  { file: 'docker-compose.yml', what: 'keeps the store off a volume', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { d[0].services.router.volumes = d[0].services.router.volumes.filter((v: string) => !v.startsWith('router-data')); }), expect: 'is not on a volume' },
  // ---- docker compose: profile fleet ----
  { file: 'docker-compose.yml', what: 'runs a fleet replica on the SQLite config', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { d[0].services['router-fleet-2'] = { ...structuredClone(d[0].services['router-fleet-2']), volumes: ['./deploy/compose/router.yaml:/etc/trino-envoy-router/config.yaml:ro'] }; }), expect: 'keeps its store in sqlite: the fleet replicas need store.kind postgres' },
  { file: 'docker-compose.yml', what: 'leaves a replica out of the name Envoy resolves', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { d[0].services['router-fleet-2'] = { ...structuredClone(d[0].services['router-fleet-2']), networks: ['fleet'] }; }), expect: 'router resolves to [router-fleet-1], not the fleet replicas' },
  { file: 'docker-compose.yml', what: 'puts the SQLite router behind the fleet\'s Envoy', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { d[0].services.router.networks = { default: null, fleet: { aliases: ['router'] } }; }), expect: 'router resolves to [router, router-fleet-1, router-fleet-2]' },
  { file: 'docker-compose.yml', what: 'runs one replica only', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { delete d[0].services['router-fleet-2']; delete d[0].services['envoy-fleet'].depends_on['router-fleet-2']; }), expect: 'needs two or more router replicas' },
  { file: 'docker-compose.yml', what: 'gives the replicas a password PostgreSQL does not have', area: 'compose', break: (f) => editText(f, 'docker-compose.yml', replaceOnce('postgres://router:${POSTGRES_PASSWORD:-compose-development-password}@', 'postgres://router:other@')), expect: 'the password is not postgres\'s POSTGRES_PASSWORD' },
  { file: 'docker-compose.yml', what: 'points the replicas at a database name PostgreSQL does not create', area: 'compose', break: (f) => editText(f, 'docker-compose.yml', replaceOnce('@postgres:5432/router', '@postgres:5432/routing')), expect: 'database routing is not postgres\'s POSTGRES_DB (router)' },
  { file: 'docker-compose.yml', what: 'starts the replicas before PostgreSQL is ready', area: 'compose', break: (f) => editText(f, 'docker-compose.yml', replaceOnce(/( {6}postgres:\n {8}condition: )service_healthy/, '$1service_started')), expect: 'wait for postgres with condition service_healthy' },
  { file: 'docker-compose.yml', what: 'gives PostgreSQL no health check', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { delete d[0].services.postgres.healthcheck; }), expect: 'needs a pg_isready health check' },
  { file: 'docker-compose.yml', what: 'runs PostgreSQL from a major tag', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { d[0].services.postgres.image = 'postgres:17'; }), expect: 'pin postgres:17 to a minor release' },
  { file: 'docker-compose.yml', what: 'keeps PostgreSQL\'s data off a volume', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { delete d[0].services.postgres.volumes; }), expect: 'keep /var/lib/postgresql/data on a named volume' },
  { file: 'docker-compose.yml', what: 'makes a default service wait for the fleet profile', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { d[0].services.envoy.depends_on.postgres = { condition: 'service_healthy' }; }), expect: 'postgres runs only in profile fleet: a plain docker compose up would fail' },
  { file: 'docker-compose.yml', what: 'publishes the fleet\'s Envoy on the default Envoy\'s port', area: 'compose', break: (f) => editYaml(f, 'docker-compose.yml', (d) => { d[0].services['envoy-fleet'].ports = ['8080:8080']; }), expect: 'host port 8080 is already published' },
  { file: 'deploy/compose/router-fleet.yaml', what: 'puts the connection URL in the file', area: 'compose', break: (f) => editText(f, 'deploy/compose/router-fleet.yaml', replaceOnce(/urlEnv: ROUTER_STORE_URL.*$/m, 'url: postgres://router:compose-development-password@postgres:5432/router')), expect: 'name the connection URL by urlEnv' },
  { file: 'deploy/compose/router-fleet.yaml', what: 'reads a variable the replicas do not set', area: 'compose', break: (f) => editText(f, 'deploy/compose/router-fleet.yaml', replaceOnce('urlEnv: ROUTER_STORE_URL', 'urlEnv: ROUTER_DATABASE_URL')), expect: 'ROUTER_DATABASE_URL' },
  { file: 'deploy/compose/router-fleet.yaml', what: 'names a backend the fleet\'s Envoy has no cluster for', area: 'compose', break: (f) => editText(f, 'deploy/compose/router-fleet.yaml', (t) => t.replaceAll('trino-b', 'trino-c')), expect: 'no cluster named trino-c, a backend of the fleet\'s router config' },
  { file: 'deploy/compose/router.yaml', what: 'names a backend Envoy has no cluster for', area: 'compose', break: (f) => editText(f, 'deploy/compose/router.yaml', (t) => t.replaceAll('trino-b', 'trino-c')), expect: 'no cluster named trino-c' },
  { file: 'deploy/compose/router.yaml', what: 'serves ext_proc on loopback only', area: 'compose', break: (f) => editText(f, 'deploy/compose/router.yaml', (t) => t.replaceAll('"0.0.0.0:9001"', '"127.0.0.1:9001"')), expect: 'service router does not listen on 9001' },
  { file: 'deploy/compose/router.yaml', what: 'has a misspelt key', area: 'compose', break: (f) => editText(f, 'deploy/compose/router.yaml', replaceOnce('dataDir: /data', 'datadir: /data')), expect: 'datadir' },
  { file: 'deploy/compose/router.yaml', what: 'points a backend at the wrong port', area: 'compose', break: (f) => editText(f, 'deploy/compose/router.yaml', replaceOnce('http://trino-a:8080', 'http://trino-a:8081')), expect: 'trino-a listens on 8080, not 8081' },
  { file: 'deploy/compose/trino/config.properties', what: 'forgets http-server.process-forwarded', area: 'compose', break: (f) => editText(f, 'deploy/compose/trino/config.properties', replaceOnce('http-server.process-forwarded=true', '')), expect: 'http-server.process-forwarded=true is required' },
  { file: 'deploy/compose/trino/trino-a/node.properties', what: 'gives trino-a the node id of trino-b', area: 'compose', break: (f) => editText(f, 'deploy/compose/trino/trino-a/node.properties', replaceOnce('node.id=trino-a', 'node.id=trino-b')), expect: 'node.id trino-b is also' },
  { file: 'deploy/compose/trino/trino-b/node.properties', what: 'has an invalid environment name', area: 'compose', break: (f) => editText(f, 'deploy/compose/trino/trino-b/node.properties', replaceOnce('node.environment=compose', 'node.environment=Compose Env')), expect: 'node.environment must be set' },
  { file: 'deploy/compose/trino/catalog/tpch.properties', what: 'is not a tpch catalog', area: 'compose', break: (f) => editText(f, 'deploy/compose/trino/catalog/tpch.properties', replaceOnce('connector.name=tpch', 'connector.name=memory')), expect: 'connector.name must be tpch' },

  // ---- Kubernetes: the router ----
  { file: 'deploy/kubernetes/kustomization.yaml', what: 'lists a missing resource', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/kustomization.yaml', replaceOnce('- service.yaml', '- services.yaml')), expect: 'services.yaml not found' },
  { file: 'deploy/kubernetes/namespace.yaml', what: 'has a misspelt field', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/namespace.yaml', (d) => { d[0].metadata.lables = { a: 'b' }; }), expect: 'lables' },
  { file: 'deploy/kubernetes/serviceaccount.yaml', what: 'is not the account the pods use', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/serviceaccount.yaml', (d) => { d[0].metadata.name = 'router'; }), expect: 'no ServiceAccount trino-envoy-router' },
  { file: 'deploy/kubernetes/deployment.yaml', what: 'probes a port the health service is not on', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/deployment.yaml', (d) => { routerContainer(d).livenessProbe.grpc.port = 9001; }), expect: 'is not listen.admin\'s port 9002' },
  { file: 'deploy/kubernetes/deployment.yaml', what: 'has a misspelt probe', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/deployment.yaml', (d) => { const c = routerContainer(d); c.readinesProbe = c.readinessProbe; delete c.readinessProbe; }), expect: 'readinesProbe' },
  { file: 'deploy/kubernetes/deployment.yaml', what: 'does not pass the prefix key', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/deployment.yaml', (d) => { const c = routerContainer(d); c.env = c.env.filter((e: { name: string }) => e.name !== 'ROUTER_PREFIX_KEY'); }), expect: 'reads ROUTER_PREFIX_KEY, which the container does not set' },
  { file: 'deploy/kubernetes/deployment.yaml', what: 'selects pods it does not label', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/deployment.yaml', (d) => { routerDeployment(d).spec.selector.matchLabels['app.kubernetes.io/name'] = 'router'; }), expect: 'matchLabels must be a subset' },
  { file: 'deploy/kubernetes/deployment.yaml', what: 'mounts the config elsewhere', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/deployment.yaml', (d) => { routerContainer(d).volumeMounts[0].mountPath = '/etc/router'; }), expect: 'nothing is mounted at /etc/trino-envoy-router/config.yaml' },
  { file: 'deploy/kubernetes/deployment.yaml', what: 'reads a Secret key the README does not create', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/deployment.yaml', (d) => { routerContainer(d).env[0].valueFrom.secretKeyRef.key = 'prefix'; }), expect: 'not prefix' },
  { file: 'deploy/kubernetes/deployment.yaml', what: 'allows privilege escalation', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/deployment.yaml', (d) => { routerContainer(d).securityContext.allowPrivilegeEscalation = true; }), expect: 'allowPrivilegeEscalation: must be false' },
  { file: 'deploy/kubernetes/service.yaml', what: 'selects no pods', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/service.yaml', (d) => { d[0].spec.selector = { app: 'trino-envoy-router' }; }), expect: 'selects no Deployment' },
  { file: 'deploy/kubernetes/service.yaml', what: 'targets a port the pod does not have', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/service.yaml', (d) => { d[0].spec.ports[0].targetPort = 'grpc-ext-proc'; }), expect: 'grpc-ext-proc is not a container port' },
  { file: 'deploy/kubernetes/poddisruptionbudget.yaml', what: 'protects no pods', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/poddisruptionbudget.yaml', (d) => { d[0].spec.selector.matchLabels = { app: 'router' }; }), expect: 'selects no Deployment' },
  { file: 'deploy/kubernetes/config.yaml', what: 'keeps the admin API (and health) on loopback', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/config.yaml', replaceOnce('admin: "0.0.0.0:9002"', 'admin: "127.0.0.1:9002"')), expect: 'the kubelet probes the pod IP' },
  { file: 'deploy/kubernetes/config.yaml', what: 'opens the admin API without a token', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/config.yaml', replaceOnce(/^admin:\n\s+tokenEnv: .*$/m, '')), expect: 'the router refuses to start' },
  { file: 'deploy/kubernetes/config.yaml', what: 'names a backend with no Service', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/config.yaml', replaceOnce('http://trino-b.trino.svc', 'http://trino-c.trino.svc')), expect: 'no Service trino-c in namespace trino' },
  { file: 'deploy/kubernetes/persistent-store/kustomization.yaml', what: 'patches with a missing file', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/persistent-store/kustomization.yaml', replaceOnce('- path: deployment-patch.yaml', '- path: deploy-patch.yaml')), expect: 'deploy-patch.yaml not found' },
  { file: 'deploy/kubernetes/persistent-store/persistentvolumeclaim.yaml', what: 'is not the claim the pod mounts', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/persistent-store/persistentvolumeclaim.yaml', (d) => { d[0].metadata.name = 'router-data'; }), expect: 'no PersistentVolumeClaim trino-envoy-router-data' },
  { file: 'deploy/kubernetes/persistent-store/deployment-patch.yaml', what: 'keeps rollingUpdate with Recreate', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/persistent-store/deployment-patch.yaml', (d) => { delete d[0].spec.strategy.rollingUpdate; }), expect: 'rollingUpdate is only allowed' },
  { file: 'deploy/kubernetes/persistent-store/poddisruptionbudget-patch.yaml', what: 'leaves both minAvailable and maxUnavailable', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/persistent-store/poddisruptionbudget-patch.yaml', (d) => { delete d[0].spec.minAvailable; }), expect: 'exactly one of minAvailable, maxUnavailable' },
  { file: 'deploy/kubernetes/persistent-store/config.yaml', what: 'has a misspelt key', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/persistent-store/config.yaml', replaceOnce('  seed: if-empty', '  sead: if-empty')), expect: 'sead' },
  { file: 'deploy/kubernetes/sidecar/kustomization.yaml', what: 'generates no Envoy config', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/sidecar/kustomization.yaml', replaceOnce('  - name: trino-gateway-envoy-config\n    files:\n      - envoy.yaml\n', '')), expect: 'no ConfigMap trino-gateway-envoy-config' },
  { file: 'deploy/kubernetes/sidecar/deployment.yaml', what: 'gives Envoy no view of the socket folder', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/sidecar/deployment.yaml', (d) => { const envoy = sidecarContainer(d, 'envoy'); envoy.volumeMounts = envoy.volumeMounts.filter((m: { name: string }) => m.name !== 'router-socket'); }), expect: 'the envoy container must mount volume router-socket at /run/trino-router' },
  { file: 'deploy/kubernetes/sidecar/deployment.yaml', what: 'drops the fsGroup the 0660 socket needs', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/sidecar/deployment.yaml', (d) => { delete docOf(d, 'Deployment', 'trino-gateway').spec.template.spec.securityContext.fsGroup; }), expect: 'set the pod fsGroup' },
  { file: 'deploy/kubernetes/sidecar/deployment.yaml', what: 'puts the socket on a non-shared volume', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/sidecar/deployment.yaml', (d) => { const router = sidecarContainer(d, 'router'); router.volumeMounts = router.volumeMounts.filter((m: { name: string }) => m.name !== 'router-socket'); }), expect: 'mount a shared emptyDir at /run/trino-router' },
  { file: 'deploy/kubernetes/sidecar/config.yaml', what: 'listens where Envoy does not look', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/sidecar/config.yaml', replaceOnce('extProc: "unix:/run/trino-router/sock"', 'extProc: "unix:/run/trino-router/router.sock"')), expect: 'trino_router must have one pipe endpoint at /run/trino-router/router.sock' },
  { file: 'deploy/kubernetes/sidecar/envoy.yaml', what: 'drifts from envoy/envoy-sidecar.yaml', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/sidecar/envoy.yaml', replaceOnce('message_timeout: 1s', 'message_timeout: 0.2s')), expect: 'differs from envoy/envoy-sidecar.yaml' },
  { file: 'deploy/kubernetes/sidecar/service.yaml', what: 'targets a port the pod does not have', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/sidecar/service.yaml', (d) => { d[0].spec.ports[0].targetPort = 'http'; }), expect: 'http is not a container port' },
  { file: 'deploy/kubernetes/sidecar/serviceaccount.yaml', what: 'is not the account the pods use', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/sidecar/serviceaccount.yaml', (d) => { d[0].metadata.name = 'gateway'; }), expect: 'no ServiceAccount trino-gateway' },

  { file: 'deploy/kubernetes/config.yaml', what: 'runs the fleet store without a URL', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/config.yaml', replaceOnce(/^\s+urlEnv: ROUTER_STORE_URL.*\n/m, '')), expect: 'required for kind: postgres' },

  // ---- Kubernetes: the demo Trino clusters ----
  { file: 'deploy/kubernetes/trino-demo/kustomization.yaml', what: 'lists a missing resource', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/trino-demo/kustomization.yaml', replaceOnce('- trino.yaml', '- trinos.yaml')), expect: 'trinos.yaml not found' },
  { file: 'deploy/kubernetes/trino-demo/trino.yaml', what: 'forgets http-server.process-forwarded', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/trino-demo/trino.yaml', replaceOnce('    http-server.process-forwarded=true\n', '')), expect: 'http-server.process-forwarded=true is required' },
  { file: 'deploy/kubernetes/trino-demo/trino.yaml', what: 'runs a Trino too old for prefix routing', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/trino-demo/trino.yaml', replaceOnce('trinodb/trino:479', 'trinodb/trino:450')), expect: 'needs Trino 458+' },
  { file: 'deploy/kubernetes/trino-demo/trino.yaml', what: 'gives a Service another port', area: 'kubernetes', break: (f) => editYaml(f, 'deploy/kubernetes/trino-demo/trino.yaml', (d) => { docOf(d, 'Service', 'trino-a').spec.ports[0].port = 8081; }), expect: 'Service trino-a has no port 8080' },

  { file: 'deploy/kubernetes/trino-demo/postgres.yaml', what: 'reads a Secret key the README does not create', area: 'kubernetes', break: (f) => editText(f, 'deploy/kubernetes/trino-demo/postgres.yaml', replaceOnce('key: postgres-password', 'key: pg-pass')), expect: 'not pg-pass' },

  // ---- Istio ----
  { file: 'deploy/istio/base/gateway.yaml', what: 'serves another host', area: 'istio', break: (f) => editText(f, 'deploy/istio/base/gateway.yaml', replaceOnce('- trino.example.com', '- trino.example.org')), expect: 'trino.example.com is not a host of the Gateway' },
  { file: 'deploy/istio/base/virtualservice.yaml', what: 'sends a backend to the wrong port', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/virtualservice.yaml', (d) => { d[0].spec.http[1].route[0].destination.port.number = 8081; }), expect: 'must go to backend trino-b' },
  { file: 'deploy/istio/base/virtualservice.yaml', what: 'forwards unrouted requests to a cluster', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/virtualservice.yaml', (d) => { d[0].spec.http[2] = { name: 'default', route: [{ destination: { host: 'trino-a.trino.svc.cluster.local' } }] }; }), expect: 'fail closed' },
  { file: 'deploy/istio/base/virtualservice.yaml', what: 'misses a backend', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/virtualservice.yaml', (d) => { d[0].spec.http.splice(1, 1); }), expect: 'no route for backend trino-b' },
  { file: 'deploy/istio/base/virtualservice.yaml', what: 'forwards the routing header to Trino', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/virtualservice.yaml', (d) => { delete d[0].spec.http[0].headers; }), expect: 'remove x-trino-cluster before the request goes upstream' },
  { file: 'deploy/istio/base/envoyfilter-gateway.yaml', what: 'has an unknown field in the Envoy config', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/envoyfilter-gateway.yaml', (d) => { d[0].spec.configPatches[0].patch.value.typed_config.max_request_header_kb = 256; }), expect: 'unknown field "max_request_header_kb"' },
  { file: 'deploy/istio/base/envoyfilter-gateway.yaml', what: 'strips the header in an HTTP filter (too late on a real Envoy)', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/envoyfilter-gateway.yaml', (d) => { const p = d[0].spec.configPatches[0]; delete p.patch.value.typed_config.early_header_mutation_extensions; d[0].spec.configPatches.push({ applyTo: 'HTTP_FILTER', match: { context: 'GATEWAY', listener: { filterChain: { filter: { name: 'envoy.filters.network.http_connection_manager' } } } }, patch: { operation: 'INSERT_FIRST', value: { name: 'strip', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation', mutations: { request_mutations: [{ remove: 'x-trino-cluster' }] } } } } }); }), expect: 'runs after the route is picked' },
  { file: 'deploy/istio/base/envoyfilter-gateway.yaml', what: 'raises the header limit on every listener', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/envoyfilter-gateway.yaml', (d) => { delete d[0].spec.configPatches[0].match.listener.portNumber; }), expect: 'changes every listener of the gateway' },
  { file: 'deploy/istio/base/envoyfilter-gateway.yaml', what: 'no longer strips the client header early', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/envoyfilter-gateway.yaml', (d) => { delete d[0].spec.configPatches[0].patch.value.typed_config.early_header_mutation_extensions; }), expect: 'early_header_mutation_extensions (NETWORK_FILTER MERGE)' },
  { file: 'deploy/istio/ext-proc/envoyfilter.yaml', what: 'names a cluster Istio does not have', area: 'istio', break: (f) => editText(f, 'deploy/istio/ext-proc/envoyfilter.yaml', replaceOnce('cluster_name: outbound|9001||trino-envoy-router.trino.svc.cluster.local', 'cluster_name: trino_router')), expect: 'must be Istio\'s cluster for the router Service: outbound|9001||trino-envoy-router.trino.svc.cluster.local' },
  { file: 'deploy/istio/ext-proc/envoyfilter.yaml', what: 'answers 500 when the router is down', area: 'istio', break: (f) => editText(f, 'deploy/istio/ext-proc/envoyfilter.yaml', replaceOnce('            status_on_error: { code: ServiceUnavailable }\n', '')), expect: 'status_on_error: must be' },
  { file: 'deploy/istio/ext-proc/envoyfilter.yaml', what: 'has a bad processing mode', area: 'istio', break: (f) => editText(f, 'deploy/istio/ext-proc/envoyfilter.yaml', replaceOnce('request_header_mode: SEND', 'request_header_mode: SENT')), expect: 'is not a value of enum' },
  { file: 'deploy/istio/ext-proc/envoyfilter.yaml', what: 'differs from the tested envoy/envoy.yaml', area: 'istio', break: (f) => editText(f, 'deploy/istio/ext-proc/envoyfilter.yaml', replaceOnce('message_timeout: 1s', 'message_timeout: 0.5s')), expect: 'message_timeout is "0.5s", but envoy/envoy.yaml' },
  { file: 'deploy/istio/base/envoyfilter-gateway.yaml', what: 'leaves the router cluster without HTTP/2 pings', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/envoyfilter-gateway.yaml', (d) => { const p = d[0].spec.configPatches.find((x: { applyTo: string }) => x.applyTo === 'CLUSTER'); delete p.patch.value.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options.connection_keepalive; }), expect: 'needs http2_protocol_options.connection_keepalive' },
  { file: 'deploy/istio/base/envoyfilter-gateway.yaml', what: 'patches another Service\'s cluster', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/envoyfilter-gateway.yaml', (d) => { d[0].spec.configPatches.find((x: { applyTo: string }) => x.applyTo === 'CLUSTER').match.cluster.portNumber = 9002; }), expect: 'no EnvoyFilter CLUSTER MERGE patch (match.cluster.service trino-envoy-router.trino.svc.cluster.local, portNumber 9001)' },
  { file: 'deploy/istio/base/envoyfilter-gateway.yaml', what: 'misspells a keepalive field', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/envoyfilter-gateway.yaml', (d) => { const o = d[0].spec.configPatches.find((x: { applyTo: string }) => x.applyTo === 'CLUSTER').patch.value.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options; o.connection_keep_alive = o.connection_keepalive; delete o.connection_keepalive; }), expect: 'connection_keep_alive' },
  { file: 'deploy/istio/base/envoyfilter-gateway.yaml', what: 'puts Envoy\'s 1024 breakers back on the router cluster', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/envoyfilter-gateway.yaml', (d) => { d[0].spec.configPatches.find((x: { applyTo: string }) => x.applyTo === 'CLUSTER').patch.value.circuit_breakers = { thresholds: [{ max_connections: 1024, max_pending_requests: 1024, max_requests: 1024 }] }; }), expect: 'must be 10000' },
  { file: 'deploy/istio/base/virtualservice.yaml', what: 'comes with a DestinationRule that lowers the breakers', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/base/virtualservice.yaml', (d) => { d.push({ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'trino-a', namespace: 'trino' }, spec: { host: 'trino-a.trino.svc.cluster.local', trafficPolicy: { connectionPool: { tcp: { maxConnections: 1024 }, http: { http2MaxRequests: 1024 } } } } }); }), expect: 'connectionPool.tcp.maxConnections: 1024 is below 10000' },
  { file: 'deploy/istio/istiod-ext-proc-values.yaml', what: 'leaves Envoy resetting every ext_proc stream', area: 'istio', break: (f) => editText(f, 'deploy/istio/istiod-ext-proc-values.yaml', replaceOnce('ext_proc_graceful_grpc_close: "true"', 'ext_proc_graceful_grpc_close: "false"')), expect: 'set envoy.reloadable_features.ext_proc_graceful_grpc_close: "true"' },
  { file: 'deploy/istio/istiod-ext-proc-values.yaml', what: 'drops the flag with an empty value', area: 'istio', break: (f) => editText(f, 'deploy/istio/istiod-ext-proc-values.yaml', replaceOnce('ext_proc_graceful_grpc_close: "true"', 'ext_proc_graceful_grpc_close: ""')), expect: 'ext_proc_graceful_grpc_close: "true"' },
  { file: 'deploy/istio/istiod-ext-proc-values.yaml', what: 'gives runtimeValues a boolean', area: 'istio', break: (f) => editText(f, 'deploy/istio/istiod-ext-proc-values.yaml', replaceOnce('ext_proc_graceful_grpc_close: "true"', 'ext_proc_graceful_grpc_close: true')), expect: 'takes strings only' },
  { file: 'deploy/istio/istiod-ext-proc-values.yaml', what: 'puts runtimeValues outside defaultConfig', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/istiod-ext-proc-values.yaml', (d) => { d[0].meshConfig.runtimeValues = d[0].meshConfig.defaultConfig.runtimeValues; delete d[0].meshConfig.defaultConfig; }), expect: 'runtimeValues' },
  { file: 'deploy/istio/ext-authz/authorizationpolicy.yaml', what: 'names no extension provider', area: 'istio', break: (f) => editText(f, 'deploy/istio/ext-authz/authorizationpolicy.yaml', replaceOnce('  provider:\n    name: trino-envoy-router', '  provider:\n    name: trino-router')), expect: 'trino-router is not an extension provider' },
  { file: 'deploy/istio/ext-authz/authorizationpolicy.yaml', what: 'selects another workload', area: 'istio', break: (f) => editYaml(f, 'deploy/istio/ext-authz/authorizationpolicy.yaml', (d) => { d[0].spec.selector.matchLabels = { app: 'gateway' }; }), expect: 'must select the ingress gateway' },
  { file: 'deploy/istio/istiod-ext-authz-values.yaml', what: 'does not clear the route cache', area: 'istio', break: (f) => editText(f, 'deploy/istio/istiod-ext-authz-values.yaml', replaceOnce('clearRouteCache: true', 'clearRouteCache: false')), expect: 'clear_route_cache' },
  { file: 'deploy/istio/istiod-ext-authz-values.yaml', what: 'points at the admin port', area: 'istio', break: (f) => editText(f, 'deploy/istio/istiod-ext-authz-values.yaml', replaceOnce('port: 9001', 'port: 9002')), expect: 'must be the router Service port reaching listen.extAuthz' },

  // ---- Envoy Gateway ----
  { file: 'deploy/envoy-gateway/base/gateway.yaml', what: 'belongs to another controller', area: 'envoy-gateway', break: (f) => editText(f, 'deploy/envoy-gateway/base/gateway.yaml', replaceOnce('controllerName: gateway.envoyproxy.io/gatewayclass-controller', 'controllerName: istio.io/gateway-controller')), expect: 'must be gateway.envoyproxy.io/gatewayclass-controller' },
  { file: 'deploy/envoy-gateway/base/gateway.yaml', what: 'lets a client pick the cluster', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/gateway.yaml', (d) => { docOf(d, 'ClientTrafficPolicy').spec.headers.earlyRequestHeaders.remove = ['x-trino-user']; }), expect: 'removes a client-sent x-trino-cluster' },
  { file: 'deploy/envoy-gateway/base/gateway.yaml', what: 'names no EnvoyProxy (Envoy resets every ext_proc stream)', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/gateway.yaml', (d) => { delete docOf(d, 'Gateway').spec.infrastructure; }), expect: 'name an EnvoyProxy whose bootstrap (type Merge) sets envoy.reloadable_features.ext_proc_graceful_grpc_close: true' },
  { file: 'deploy/envoy-gateway/base/gateway.yaml', what: 'names an EnvoyProxy that does not exist', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/gateway.yaml', (d) => { docOf(d, 'Gateway').spec.infrastructure.parametersRef.name = 'trino-proxy'; }), expect: 'no EnvoyProxy trino-proxy in namespace trino' },
  { file: 'deploy/envoy-gateway/base/gateway.yaml', what: 'turns the graceful-close flag off', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/gateway.yaml', (d) => { const b = docOf(d, 'EnvoyProxy').spec.bootstrap; b.value = b.value.replace('ext_proc_graceful_grpc_close: true', 'ext_proc_graceful_grpc_close: false'); }), expect: 'set envoy.reloadable_features.ext_proc_graceful_grpc_close: true in a static layer' },
  { file: 'deploy/envoy-gateway/base/gateway.yaml', what: 'replaces Envoy Gateway\'s whole bootstrap', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/gateway.yaml', (d) => { docOf(d, 'EnvoyProxy').spec.bootstrap.type = 'Replace'; }), expect: 'must be Merge: Replace replaces' },
  { file: 'deploy/envoy-gateway/base/gateway.yaml', what: 'misspells a Bootstrap field in the merged fragment', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/gateway.yaml', (d) => { const b = docOf(d, 'EnvoyProxy').spec.bootstrap; b.value = b.value.replace('static_layer:', 'static_layers:'); }), expect: 'static_layers' },
  { file: 'deploy/envoy-gateway/base/httproute.yaml', what: 'keeps Envoy\'s 1024 circuit breakers on the backends', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/httproute.yaml', (d) => { d.splice(d.indexOf(docOf(d, 'BackendTrafficPolicy')), 1); }), expect: 'no BackendTrafficPolicy gives its backends circuit breakers' },
  { file: 'deploy/envoy-gateway/base/httproute.yaml', what: 'leaves the backends\' parallel requests at the CRD default', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/httproute.yaml', (d) => { delete docOf(d, 'BackendTrafficPolicy').spec.circuitBreaker.maxParallelRequests; }), expect: 'max_requests): must be 10000' },
  { file: 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', what: 'keeps Envoy\'s 1024 breakers and no pings on the router cluster', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', (d) => { delete d[0].spec.extProc[0].backendSettings; }), expect: 'max_connections): must be 10000' },
  { file: 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', what: 'sends no HTTP/2 pings to the router', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', (d) => { delete d[0].spec.extProc[0].backendSettings.http2.connectionKeepalive.timeout; }), expect: 'needs http2_protocol_options.connection_keepalive' },
  { file: 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', what: 'sets a status on error Envoy Gateway 1.8 does not have', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', (d) => { d[0].spec.extProc[0].statusOnError = 503; }), expect: 'statusOnError' },
  { file: 'deploy/envoy-gateway/ext-authz/securitypolicy.yaml', what: 'lowers the router cluster\'s breakers', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-authz/securitypolicy.yaml', (d) => { d[0].spec.extAuth.grpc.backendSettings.circuitBreaker.maxConnections = 1024; }), expect: 'max_connections): must be 10000' },
  { file: 'deploy/envoy-gateway/ext-authz/securitypolicy.yaml', what: 'sends no HTTP/2 pings to the router', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-authz/securitypolicy.yaml', (d) => { delete d[0].spec.extAuth.grpc.backendSettings.http2; }), expect: 'needs http2_protocol_options.connection_keepalive' },
  { file: 'deploy/envoy-gateway/base/httproute.yaml', what: 'sends a backend to the wrong Service', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/httproute.yaml', (d) => { docOf(d, 'HTTPRoute').spec.rules[0].backendRefs[0].name = 'trino-b'; }), expect: 'must be backend trino-a\'s Service' },
  { file: 'deploy/envoy-gateway/base/httproute.yaml', what: 'forwards the routing header to Trino', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/httproute.yaml', (d) => { delete docOf(d, 'HTTPRoute').spec.rules[0].filters; }), expect: 'remove x-trino-cluster before the request goes upstream' },
  { file: 'deploy/envoy-gateway/base/gateway.yaml', what: 'keeps Envoy\'s 60 KiB header limit', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/gateway.yaml', (d) => { docOf(d, 'EnvoyPatchPolicy').spec.jsonPatches[0].operation.value = 60; }), expect: '60 KiB is below the 256 KiB' },
  { file: 'deploy/envoy-gateway/base/gateway.yaml', what: 'patches a listener the Gateway does not have', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/gateway.yaml', (d) => { docOf(d, 'EnvoyPatchPolicy').spec.jsonPatches[0].name = 'trino/trino/https'; }), expect: 'is not a listener of the Gateway' },
  { file: 'deploy/envoy-gateway/base/httproute.yaml', what: 'keeps the default request timeout', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/httproute.yaml', (d) => { delete docOf(d, 'HTTPRoute').spec.rules[1].timeouts; }), expect: 'timeouts.request: must be 0s' },
  { file: 'deploy/envoy-gateway/base/httproute.yaml', what: 'forwards unrouted requests', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/httproute.yaml', (d) => { const r = docOf(d, 'HTTPRoute').spec.rules[2]; delete r.filters; r.backendRefs = [{ name: 'trino-a', port: 8080 }]; }), expect: 'never forward' },
  { file: 'deploy/envoy-gateway/base/httproute.yaml', what: 'has an invalid duration', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/base/httproute.yaml', (d) => { docOf(d, 'HTTPRoute').spec.rules[0].timeouts.request = '0'; }), expect: 'Gateway API duration' },
  { file: 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', what: 'leaves request headers at Envoy Gateway\'s SKIP', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', (d) => { delete d[0].spec.extProc[0].processingMode.request; }), expect: 'processingMode.request: must be set' },
  { file: 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', what: 'forbids mode overrides', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', (d) => { d[0].spec.extProc[0].processingMode.allowModeOverride = false; }), expect: 'allow_mode_override' },
  { file: 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', what: 'points at the metrics port', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', (d) => { d[0].spec.extProc[0].backendRefs[0].port = 9090; }), expect: 'must be 9001' },
  { file: 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', what: 'targets a route that does not exist', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-proc/envoyextensionpolicy.yaml', (d) => { d[0].spec.targetRefs[0].name = 'trino-route'; }), expect: 'no HTTPRoute trino-route' },
  { file: 'deploy/envoy-gateway/ext-authz/securitypolicy.yaml', what: 'does not recompute the route', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-authz/securitypolicy.yaml', (d) => { d[0].spec.extAuth.recomputeRoute = false; }), expect: 'clear_route_cache' },
  { file: 'deploy/envoy-gateway/ext-authz/securitypolicy.yaml', what: 'uses an HTTP field on the gRPC service', area: 'envoy-gateway', break: (f) => editYaml(f, 'deploy/envoy-gateway/ext-authz/securitypolicy.yaml', (d) => { d[0].spec.extAuth.grpc.path = '/check'; }), expect: 'path' },

  // ---- README, "Deploying it" (the commands users copy) ----
  { file: 'README.md', what: 'queries a catalog the Compose Trinos do not mount', area: 'readme', break: (f) => editText(f, 'README.md', replaceOnce('FROM tpch.tiny.nation"', 'FROM tpcds.tiny.customer"')), expect: 'reads catalog tpcds, which the Compose Trinos do not mount' },
  { file: 'README.md', what: 'points the Trino CLI at the router instead of Envoy', area: 'readme', break: (f) => editText(f, 'README.md', replaceOnce('trino --server http://envoy:8080', 'trino --server http://router:9001')), expect: 'is not the Envoy service' },
  { file: 'README.md', what: 'creates the Secret without the admin token', area: 'readme', break: (f) => editText(f, 'README.md', replaceOnce(/ \\\n\s*--from-literal=admin-token="[^"]*"/, '')), expect: 'Secret trino-envoy-router needs key admin-token' },
  { file: 'README.md', what: 'forgets http-server.process-forwarded', area: 'readme', break: (f) => editText(f, 'README.md', replaceOnce('- `http-server.process-forwarded=true` in every', '- Forwarded headers processed in every')), expect: 'must name http-server.process-forwarded=true' },
  { file: 'README.md', what: 'names a folder that does not exist', area: 'readme', break: (f) => editText(f, 'README.md', replaceOnce('`deploy/istio/ext-proc`', '`deploy/istio/extproc`')), expect: 'names deploy/istio/extproc, which does not exist' },
  { file: 'README.md', what: 'has no Envoy Gateway subsection', area: 'readme', break: (f) => editText(f, 'README.md', replaceOnce('### Envoy Gateway\n', '### Gateway API\n')), expect: 'no subsection for Envoy Gateway' },
];

describe('a deliberately broken copy fails', () => {
  it.each(BREAKAGES.map((b) => [`${b.file} ${b.what}`, b] as const))('%s', (_title, breakage) => {
    const broken = breakage.break(repo);
    const issues = issuesOf(broken, breakage.area);
    expect(issues).toContain(breakage.expect);
  });
});

describe('coverage of the checks', () => {
  const shipped = (files: RepoFiles): string[] => [
    'Dockerfile',
    '.dockerignore',
    'docker-compose.yml',
    ...files.walk('deploy').filter((p) => !p.startsWith('deploy/grafana/')),
  ];

  it('every shipped deployment file is read by a check', () => {
    const read = checkEverything(repo, protos).files;
    expect(shipped(repo).filter((p) => !read.has(p))).toEqual([]);
  });

  it('every shipped deployment file has a broken copy that fails (envoy/ files: envoy-configs.test.ts)', () => {
    const covered = new Set(BREAKAGES.map((b) => b.file));
    expect(shipped(repo).filter((p) => !covered.has(p))).toEqual([]);
  });

  it('a new, unchecked file under deploy/ is noticed', () => {
    const withStray = repo.with({ 'deploy/kubernetes/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\n' });
    const read = checkEverything(withStray, protos).files;
    expect(shipped(withStray).filter((p) => !read.has(p))).toEqual(['deploy/kubernetes/extra.yaml']);
  });
});
