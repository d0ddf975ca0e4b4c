/**
 * The sidecar topology (deploy/kubernetes/sidecar): Envoy and the router in one pod, Envoy
 * reaching the router's Unix socket in an emptyDir both mount. Checks that the socket is where
 * both containers see it, that Envoy can open it, and that Envoy runs envoy/envoy-sidecar.yaml.
 */
import { parse as parseYaml } from 'yaml';
import { getPath, metaName, mountedConfigMapFile, objectList, type K8sBuild, type K8sObject } from './kubernetes.js';
import type { RepoFiles } from './repo-files.js';

/** The Envoy file a sidecar pod must run (its copy in the overlay is kept equal to it). */
export const SIDECAR_ENVOY_FILE = 'envoy/envoy-sidecar.yaml';
const ENVOY_IMAGE = 'envoyproxy/envoy:';

type Add = (path: string, message: string) => void;

/** Mount of `path`'s folder in `container`, with the volume behind it. */
function mountOf(deployment: K8sObject, container: Record<string, unknown>, dir: string): { mount: Record<string, unknown>; volume: Record<string, unknown> | undefined } | undefined {
  const mount = objectList(container.volumeMounts).find((m) => m.mountPath === dir);
  if (mount === undefined) return undefined;
  const volume = objectList(getPath(deployment.obj, 'spec', 'template', 'spec', 'volumes')).find((v) => v.name === mount.name);
  return { mount, volume };
}

export function checkSidecarSocket(files: RepoFiles, build: K8sBuild, deployment: K8sObject, router: Record<string, unknown>, socketPath: string, add: Add): void {
  const dir = socketPath.replace(/\/[^/]+$/, '');
  const routerMount = mountOf(deployment, router, dir);
  if (routerMount === undefined) {
    add('volumeMounts', `listen.extProc is unix:${socketPath}: mount a shared emptyDir at ${dir} (the root filesystem is read-only)`);
    return;
  }
  if (routerMount.volume?.emptyDir === undefined) add('volumeMounts', `${dir} must be an emptyDir shared with Envoy (volume ${String(routerMount.mount.name)} is not)`);
  if (routerMount.mount.readOnly === true) add('volumeMounts', `${dir} is read-only: the router creates its socket there`);

  const all = objectList(getPath(deployment.obj, 'spec', 'template', 'spec', 'containers'));
  const envoy = all.find((c) => typeof c.image === 'string' && c.image.startsWith(ENVOY_IMAGE));
  const where = `Deployment ${metaName(deployment.obj)}`;
  if (envoy === undefined) {
    add('', `${where}: a router on a Unix socket needs Envoy (${ENVOY_IMAGE}*) in the same pod`);
    return;
  }
  const envoyMount = mountOf(deployment, envoy, dir);
  if (envoyMount === undefined || envoyMount.mount.name !== routerMount.mount.name) add('', `${where}: the envoy container must mount volume ${String(routerMount.mount.name)} at ${dir}, where the router's socket is`);
  // The socket file is mode 0660 (src/runtime/grpc-server.ts): Envoy needs its uid or group.
  const podGroup = getPath(deployment.obj, 'spec', 'template', 'spec', 'securityContext', 'fsGroup');
  const routerUser = getPath(router, 'securityContext', 'runAsUser') ?? getPath(deployment.obj, 'spec', 'template', 'spec', 'securityContext', 'runAsUser');
  const envoyUser = getPath(envoy, 'securityContext', 'runAsUser') ?? getPath(deployment.obj, 'spec', 'template', 'spec', 'securityContext', 'runAsUser');
  if (podGroup === undefined && routerUser !== envoyUser) add('securityContext.fsGroup', 'set the pod fsGroup: the socket is mode 0660, and Envoy runs as another uid');

  const args = Array.isArray(envoy.args) ? envoy.args.map(String) : [];
  const configPath = args[args.indexOf('-c') + 1];
  if (!args.includes('-c') || configPath === undefined) {
    add('', `${where} envoy container: pass -c <file> (${SIDECAR_ENVOY_FILE})`);
    return;
  }
  const mounted = mountedConfigMapFile(build.objects, deployment, envoy, configPath);
  if ('error' in mounted) {
    add('', `${where} envoy container reads ${configPath}: ${mounted.error}`);
    return;
  }
  if (mounted.text !== files.read(SIDECAR_ENVOY_FILE)) add('', `${where} envoy container: ${configPath} (ConfigMap ${metaName(mounted.configMap.obj)}) differs from ${SIDECAR_ENVOY_FILE}, the tested file`);
  const pipes = objectList(getPath(parseYaml(mounted.text), 'static_resources', 'clusters'))
    .filter((c) => c.name === 'trino_router')
    .flatMap((c) => objectList(getPath(c, 'load_assignment', 'endpoints')).flatMap((l) => objectList(l.lb_endpoints)))
    .map((e) => getPath(e, 'endpoint', 'address', 'pipe', 'path'));
  if (pipes.length !== 1 || pipes[0] !== socketPath) add('', `${where} envoy container: trino_router must have one pipe endpoint at ${socketPath} (listen.extProc), found ${JSON.stringify(pipes)}`);
}
