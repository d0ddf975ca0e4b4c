/**
 * Every deployment check, run together over one view of the repository (see ../README notes in
 * each module). `checkEverything` is what the tests assert is clean; the mutation tests run
 * it (or one part) on a view with a deliberately broken file.
 */
import { checkCompose, COMPOSE_FILE } from './compose.js';
import { checkDockerfile, DOCKERFILE, DOCKERIGNORE } from './dockerfile.js';
import { checkEnvoyBootstrapFile, envoyConfigFiles } from './envoy-config.js';
import { checkEnvoyGateway } from './envoy-gateway.js';
import { checkIstio } from './istio.js';
import type { Issue } from './issues.js';
import { checkBackendsAgainstServices, checkRouterKustomization, OPERATOR_SECRETS } from './k8s-router.js';
import { buildKustomization, checkObjects } from './kubernetes.js';
import type { EnvoyProtos } from './proto-json.js';
import { checkReadme } from './readme.js';
import { referenceExtProc, REFERENCE_ENVOY } from './reference.js';
import type { RepoFiles } from './repo-files.js';

export const KUBERNETES_BASE = 'deploy/kubernetes';
export const KUBERNETES_OVERLAYS = ['deploy/kubernetes/persistent-store', 'deploy/kubernetes/sidecar'] as const;
export const TRINO_DEMO = 'deploy/kubernetes/trino-demo';
export const HEALTHCHECK_SCRIPT = 'deploy/docker/healthcheck.mjs';

export type Area = 'envoy' | 'docker' | 'compose' | 'kubernetes' | 'istio' | 'envoy-gateway' | 'readme';

export interface Everything {
  readonly issues: Record<Area, Issue[]>;
  /** Deprecated Envoy fields used, per file. */
  readonly deprecated: Record<string, string[]>;
  /** Every file some check read. */
  readonly files: Set<string>;
}

export const AREAS: readonly Area[] = ['envoy', 'docker', 'compose', 'kubernetes', 'istio', 'envoy-gateway', 'readme'];

/** Runs the checks of `areas` (default: all) over `files`. */
export function checkEverything(files: RepoFiles, protos: EnvoyProtos, areas: readonly Area[] = AREAS): Everything {
  const read = new Set<string>();
  const deprecated: Record<string, string[]> = {};
  const wanted = new Set(areas);
  const none: Issue[] = [];

  const envoy: Issue[] = [];
  for (const path of wanted.has('envoy') ? envoyConfigFiles(files) : []) {
    read.add(path);
    const checked = checkEnvoyBootstrapFile(files, path, protos);
    envoy.push(...checked.issues);
    deprecated[path] = checked.deprecated;
  }

  const docker = checkDockerfile(files);
  read.add(DOCKERFILE).add(DOCKERIGNORE).add(HEALTHCHECK_SCRIPT);
  const compose = wanted.has('compose') ? checkCompose(files, docker.facts) : { issues: none, files: new Set<string>() };
  compose.files.forEach((f) => read.add(f));
  read.add(COMPOSE_FILE);

  const kubernetes: Issue[] = [];
  const base = checkRouterKustomization(files, KUBERNETES_BASE);
  kubernetes.push(...base.issues);
  base.build.files.forEach((f) => read.add(f));
  for (const overlay of KUBERNETES_OVERLAYS) {
    const checked = checkRouterKustomization(files, overlay);
    kubernetes.push(...checked.issues);
    checked.build.files.forEach((f) => read.add(f));
  }
  const demo = buildKustomization(files, TRINO_DEMO);
  demo.files.forEach((f) => read.add(f));
  kubernetes.push(...checkObjects(demo, OPERATOR_SECRETS));
  if (base.facts !== undefined) kubernetes.push(...checkBackendsAgainstServices(base.facts.config, `${KUBERNETES_BASE}/config.yaml`, demo));

  const reference = files.isFile(REFERENCE_ENVOY) ? referenceExtProc(files) : undefined;
  const skipped = { issues: none, files: new Set<string>() };
  const istio = wanted.has('istio') ? checkIstio(files, protos, base.facts, reference) : skipped;
  istio.files.forEach((f) => read.add(f));
  const eg = wanted.has('envoy-gateway') ? checkEnvoyGateway(files, protos, base.facts, reference) : skipped;
  eg.files.forEach((f) => read.add(f));
  const readme = wanted.has('readme') ? checkReadme(files) : skipped;
  readme.files.forEach((f) => read.add(f));

  return {
    issues: {
      envoy: dedupe(envoy),
      docker: wanted.has('docker') ? dedupe(docker.issues) : none,
      compose: dedupe(compose.issues),
      kubernetes: wanted.has('kubernetes') ? dedupe(kubernetes) : none,
      istio: dedupe(istio.issues),
      'envoy-gateway': dedupe(eg.issues),
      readme: dedupe(readme.issues),
    },
    deprecated,
    files: read,
  };
}

export function allIssues(result: Everything): Issue[] {
  return Object.values(result.issues).flat();
}

/** The same problem reached twice (an overlay re-checks its base) is reported once. */
function dedupe(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.file}\u0000${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
