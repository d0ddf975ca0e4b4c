/**
 * Kubernetes manifests: loading (plain folders of YAML, or a kustomization with resources,
 * configMapGenerator and strategic-merge patches, the subset kustomize features the project
 * uses), strict shapes (k8s-schemas.ts), and the cross-references the API server does not
 * check but a working deployment needs:
 *
 * - a Deployment's selector matches its pod labels; Services and PodDisruptionBudgets select
 *   pods of a Deployment; a Service's targetPort names or numbers a container port;
 * - probes use container ports; volume mounts name volumes; ConfigMap, PVC and
 *   ServiceAccount references exist (ConfigMap item keys too); Secrets are either shipped or
 *   listed as created by the operator (with the keys used);
 * - pods run as non-root without privilege escalation, with resource requests and a memory
 *   limit.
 */
import { posix } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { CLUSTER_SCOPED, OBJECT_SCHEMAS, issuePath, kustomizationSchema } from './k8s-schemas.js';
import { isRecord, type Issue } from './issues.js';
import { normalize, resolveFrom, type RepoFiles } from './repo-files.js';

export interface K8sObject {
  /** The file it came from (for a generated ConfigMap: the kustomization). */
  readonly source: string;
  readonly obj: Record<string, unknown>;
}

export interface K8sBuild {
  readonly objects: K8sObject[];
  readonly issues: Issue[];
  /** Every file the build read. */
  readonly files: Set<string>;
}

export function parseYamlDocs(files: RepoFiles, path: string, issues: Issue[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  parseAllDocuments(files.read(path)).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) issues.push({ file: path, path: `document ${i + 1}`, message: `YAML: ${e.message}` });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (!isRecord(value)) issues.push({ file: path, path: `document ${i + 1}`, message: 'expected a mapping' });
    else out.push(value);
  });
  return out;
}

export function kindKey(obj: Record<string, unknown>): string {
  return `${String(obj.apiVersion)}/${String(obj.kind)}`;
}

export function metaName(obj: Record<string, unknown>): string {
  return isRecord(obj.metadata) && typeof obj.metadata.name === 'string' ? obj.metadata.name : '';
}

export function metaNamespace(obj: Record<string, unknown>): string | undefined {
  return isRecord(obj.metadata) && typeof obj.metadata.namespace === 'string' ? obj.metadata.namespace : undefined;
}

/** All YAML files of a folder (not recursive), each document an object. */
export function loadFolder(files: RepoFiles, dir: string): K8sBuild {
  const issues: Issue[] = [];
  const objects: K8sObject[] = [];
  const read = new Set<string>();
  for (const path of files.list(dir).filter((p) => /\.ya?ml$/.test(p))) {
    read.add(path);
    for (const obj of parseYamlDocs(files, path, issues)) objects.push({ source: path, obj });
  }
  if (read.size === 0) issues.push({ file: dir, path: '', message: 'no YAML files' });
  return { objects, issues, files: read };
}

/** What `kubectl apply -k <dir>` would apply (the features the project uses). */
export function buildKustomization(files: RepoFiles, dir: string, seen: ReadonlySet<string> = new Set()): K8sBuild {
  const kpath = normalize(posix.join(dir, 'kustomization.yaml'));
  const issues: Issue[] = [];
  const objects: K8sObject[] = [];
  const read = new Set<string>([kpath]);
  if (seen.has(kpath)) return { objects, issues: [{ file: kpath, path: '', message: 'kustomization cycle' }], files: read };
  if (!files.isFile(kpath)) return { objects, issues: [{ file: kpath, path: '', message: 'no kustomization.yaml' }], files: read };
  const docs = parseYamlDocs(files, kpath, issues);
  const parsed = kustomizationSchema.safeParse(docs[0]);
  if (docs.length !== 1 || !parsed.success) {
    if (!parsed.success) for (const i of parsed.error.issues) issues.push({ file: kpath, path: issuePath(i.path), message: i.message });
    else issues.push({ file: kpath, path: '', message: 'expected one document' });
    return { objects, issues, files: read };
  }
  const k = parsed.data;

  k.resources.forEach((resource, i) => {
    const target = resolveFrom(kpath, resource);
    if (files.isFile(target)) {
      read.add(target);
      for (const obj of parseYamlDocs(files, target, issues)) objects.push({ source: target, obj });
    } else if (files.isDir(target)) {
      const sub = buildKustomization(files, target, new Set([...seen, kpath]));
      objects.push(...sub.objects);
      issues.push(...sub.issues);
      for (const f of sub.files) read.add(f);
    } else {
      issues.push({ file: kpath, path: `resources[${i}]`, message: `${resource} not found` });
    }
  });

  (k.configMapGenerator ?? []).forEach((gen, gi) => {
    const data: Record<string, string> = {};
    gen.files.forEach((file, fi) => {
      const target = resolveFrom(kpath, file);
      if (!files.isFile(target)) {
        issues.push({ file: kpath, path: `configMapGenerator[${gi}].files[${fi}]`, message: `${file} not found` });
        return;
      }
      read.add(target);
      data[posix.basename(target)] = files.read(target);
    });
    const existing = objects.find((o) => o.obj.kind === 'ConfigMap' && metaName(o.obj) === gen.name);
    const behavior = gen.behavior ?? 'create';
    if (behavior === 'create') {
      if (existing !== undefined) issues.push({ file: kpath, path: `configMapGenerator[${gi}]`, message: `ConfigMap ${gen.name} already exists (use behavior: replace or merge)` });
      objects.push({ source: kpath, obj: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: gen.name }, data } });
    } else if (existing === undefined) {
      issues.push({ file: kpath, path: `configMapGenerator[${gi}].behavior`, message: `${behavior}: no ConfigMap ${gen.name} in the resources` });
    } else {
      const merged = behavior === 'merge' && isRecord(existing.obj.data) ? { ...existing.obj.data, ...data } : data;
      objects[objects.indexOf(existing)] = { source: kpath, obj: { ...existing.obj, data: merged } };
    }
  });

  (k.patches ?? []).forEach((patch, pi) => {
    const target = resolveFrom(kpath, patch.path);
    if (!files.isFile(target)) {
      issues.push({ file: kpath, path: `patches[${pi}].path`, message: `${patch.path} not found` });
      return;
    }
    read.add(target);
    for (const doc of parseYamlDocs(files, target, issues)) {
      const index = objects.findIndex((o) => kindKey(o.obj) === kindKey(doc) && metaName(o.obj) === metaName(doc));
      if (index < 0) {
        issues.push({ file: target, path: '', message: `patch target ${kindKey(doc)} ${metaName(doc)} is not among the resources` });
        continue;
      }
      const base = objects[index] as K8sObject;
      objects[index] = { source: base.source, obj: strategicMerge(base.obj, doc) as Record<string, unknown> };
    }
  });

  if (k.namespace !== undefined) {
    for (const o of objects) {
      if (CLUSTER_SCOPED.has(String(o.obj.kind))) continue;
      const meta = isRecord(o.obj.metadata) ? o.obj.metadata : {};
      o.obj.metadata = { ...meta, namespace: k.namespace };
    }
  }
  return { objects, issues, files: read };
}

/**
 * Strategic merge patch, as kustomize applies it for the fields the project patches: maps
 * merge, null deletes, lists of objects with a `name` merge by name, other lists are replaced.
 */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (!isRecord(base) || !isRecord(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else if (Array.isArray(value) && Array.isArray(out[key]) && value.every((v) => isRecord(v) && typeof v.name === 'string')) {
      const merged = [...(out[key] as unknown[])];
      for (const item of value as Record<string, unknown>[]) {
        const at = merged.findIndex((m) => isRecord(m) && m.name === item.name);
        if (at < 0) merged.push(stripNulls(item));
        else merged[at] = strategicMerge(merged[at], item);
      }
      out[key] = merged;
    } else if (isRecord(value) && isRecord(out[key])) {
      out[key] = strategicMerge(out[key], value);
    } else {
      out[key] = stripNulls(value);
    }
  }
  return out;
}

function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (!isRecord(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, stripNulls(v)]));
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/** Secrets the operator creates (README, "Deploying it") and the keys they hold. */
export type ExternalSecrets = Readonly<Record<string, readonly string[]>>;

type Obj = Record<string, unknown>;

function get(obj: unknown, ...keys: string[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) cur = isRecord(cur) ? cur[k] : undefined;
  return cur;
}

function arr(value: unknown): Obj[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export function labelsMatch(selector: unknown, labels: unknown): boolean {
  if (!isRecord(selector) || !isRecord(labels) || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function find(objects: readonly K8sObject[], kind: string, name: string, namespace?: string): K8sObject | undefined {
  return objects.find((o) => o.obj.kind === kind && metaName(o.obj) === name && (namespace === undefined || metaNamespace(o.obj) === namespace || CLUSTER_SCOPED.has(kind)));
}

/** Shape of every object, then the generic cross-references inside one build. */
export function checkObjects(build: K8sBuild, externalSecrets: ExternalSecrets = {}): Issue[] {
  const issues: Issue[] = [...build.issues];
  const add = (o: K8sObject, path: string, message: string): void => {
    issues.push({ file: o.source, path: `${String(o.obj.kind)} ${metaName(o.obj)}${path === '' ? '' : ` ${path}`}`, message });
  };
  const seen = new Set<string>();
  for (const o of build.objects) {
    const schema = OBJECT_SCHEMAS[kindKey(o.obj)];
    if (schema === undefined) {
      add(o, 'apiVersion', `unsupported apiVersion/kind ${kindKey(o.obj)} (known: ${Object.keys(OBJECT_SCHEMAS).join(', ')})`);
      continue;
    }
    const parsed = schema.safeParse(o.obj);
    if (!parsed.success) for (const i of parsed.error.issues) add(o, issuePath(i.path), i.message);
    const namespaced = !CLUSTER_SCOPED.has(String(o.obj.kind));
    if (namespaced && metaNamespace(o.obj) === undefined) add(o, 'metadata.namespace', 'a namespaced object needs metadata.namespace');
    const key = `${String(o.obj.kind)}/${metaNamespace(o.obj) ?? ''}/${metaName(o.obj)}`;
    if (seen.has(key)) add(o, 'metadata.name', 'defined twice');
    seen.add(key);
  }

  const deployments = build.objects.filter((o) => o.obj.kind === 'Deployment');
  for (const d of deployments) issues.push(...checkDeployment(d, build.objects, externalSecrets));

  for (const s of build.objects.filter((o) => o.obj.kind === 'Service')) {
    const selector = get(s.obj, 'spec', 'selector');
    const targets = deployments.filter((d) => metaNamespace(d.obj) === metaNamespace(s.obj) && labelsMatch(selector, get(d.obj, 'spec', 'template', 'metadata', 'labels')));
    if (targets.length === 0) {
      add(s, 'spec.selector', 'selects no Deployment\'s pods');
      continue;
    }
    const containerPorts = targets.flatMap((d) => arr(get(d.obj, 'spec', 'template', 'spec', 'containers')).flatMap((c) => arr(c.ports)));
    arr(get(s.obj, 'spec', 'ports')).forEach((p, i) => {
      const target = p.targetPort ?? p.port;
      const ok = containerPorts.some((cp) => (typeof target === 'string' ? cp.name === target : cp.containerPort === target));
      if (!ok) add(s, `spec.ports[${i}].targetPort`, `${String(target)} is not a container port of the selected pods`);
    });
  }
  for (const p of build.objects.filter((o) => o.obj.kind === 'PodDisruptionBudget')) {
    const selector = get(p.obj, 'spec', 'selector', 'matchLabels');
    if (!deployments.some((d) => labelsMatch(selector, get(d.obj, 'spec', 'template', 'metadata', 'labels')))) add(p, 'spec.selector', 'selects no Deployment\'s pods');
  }
  return issues;
}

function checkDeployment(d: K8sObject, objects: readonly K8sObject[], externalSecrets: ExternalSecrets): Issue[] {
  const issues: Issue[] = [];
  const add = (path: string, message: string): void => {
    issues.push({ file: d.source, path: `Deployment ${metaName(d.obj)} ${path}`, message });
  };
  const ns = metaNamespace(d.obj);
  const template = get(d.obj, 'spec', 'template');
  const labels = get(template, 'metadata', 'labels');
  if (!labelsMatch(get(d.obj, 'spec', 'selector', 'matchLabels'), labels)) add('spec.selector', 'matchLabels must be a subset of the pod template labels');
  const pod = get(template, 'spec');
  const volumes = arr(get(pod, 'volumes'));
  const volumeNames = new Set(volumes.map((v) => v.name));
  const sa = get(pod, 'serviceAccountName');
  if (typeof sa === 'string' && find(objects, 'ServiceAccount', sa, ns) === undefined) add('spec.template.spec.serviceAccountName', `no ServiceAccount ${sa}`);
  volumes.forEach((v, i) => {
    const cm = get(v, 'configMap', 'name');
    if (typeof cm === 'string') {
      const target = find(objects, 'ConfigMap', cm, ns);
      if (target === undefined) add(`spec.template.spec.volumes[${i}]`, `no ConfigMap ${cm}`);
      else {
        arr(get(v, 'configMap', 'items')).forEach((item, j) => {
          if (!isRecord(target.obj.data) || !(String(item.key) in target.obj.data)) add(`spec.template.spec.volumes[${i}].configMap.items[${j}]`, `ConfigMap ${cm} has no key ${String(item.key)}`);
        });
      }
    }
    const claim = get(v, 'persistentVolumeClaim', 'claimName');
    if (typeof claim === 'string' && find(objects, 'PersistentVolumeClaim', claim, ns) === undefined) add(`spec.template.spec.volumes[${i}]`, `no PersistentVolumeClaim ${claim}`);
  });
  const podRunsAsNonRoot = get(pod, 'securityContext', 'runAsNonRoot') === true;
  arr(get(pod, 'containers')).forEach((c, ci) => {
    const at = `spec.template.spec.containers[${ci}]`;
    const ports = arr(c.ports);
    const names = new Set<string>();
    for (const p of ports) {
      if (typeof p.name === 'string') {
        if (names.has(p.name)) add(`${at}.ports`, `port name ${p.name} used twice`);
        names.add(p.name);
      }
    }
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const grpcPort = get(c, probe, 'grpc', 'port');
      if (grpcPort !== undefined && !ports.some((p) => p.containerPort === grpcPort)) add(`${at}.${probe}.grpc.port`, `${String(grpcPort)} is not a container port`);
      const httpPort = get(c, probe, 'httpGet', 'port');
      if (httpPort !== undefined && !ports.some((p) => (typeof httpPort === 'string' ? p.name === httpPort : p.containerPort === httpPort))) {
        add(`${at}.${probe}.httpGet.port`, `${String(httpPort)} is not a container port`);
      }
    }
    if (c.readinessProbe === undefined) add(at, 'needs a readinessProbe');
    arr(c.volumeMounts).forEach((m, mi) => {
      if (!volumeNames.has(m.name)) add(`${at}.volumeMounts[${mi}]`, `no volume named ${String(m.name)}`);
    });
    const envNames = new Set<string>();
    arr(c.env).forEach((e, ei) => {
      if (envNames.has(String(e.name))) add(`${at}.env[${ei}]`, `${String(e.name)} set twice`);
      envNames.add(String(e.name));
      const ref = get(e, 'valueFrom', 'secretKeyRef');
      if (isRecord(ref)) {
        const secret = find(objects, 'Secret', String(ref.name), ns);
        const external = externalSecrets[String(ref.name)];
        if (secret === undefined && external === undefined) add(`${at}.env[${ei}]`, `no Secret ${String(ref.name)} (neither shipped nor documented as created by the operator)`);
        if (external !== undefined && !external.includes(String(ref.key))) add(`${at}.env[${ei}]`, `Secret ${String(ref.name)} is documented with keys ${external.join(', ')}, not ${String(ref.key)}`);
      }
    });
    const sc = isRecord(c.securityContext) ? c.securityContext : {};
    if (!podRunsAsNonRoot && sc.runAsNonRoot !== true) add(at, 'must run as non-root (securityContext.runAsNonRoot: true)');
    if (sc.allowPrivilegeEscalation !== false) add(`${at}.securityContext.allowPrivilegeEscalation`, 'must be false');
    const drop = get(sc, 'capabilities', 'drop');
    if (!Array.isArray(drop) || !drop.includes('ALL')) add(`${at}.securityContext.capabilities.drop`, 'must drop ALL capabilities');
    if (get(c, 'resources', 'requests', 'cpu') === undefined || get(c, 'resources', 'requests', 'memory') === undefined) add(`${at}.resources.requests`, 'needs cpu and memory requests');
    if (get(c, 'resources', 'limits', 'memory') === undefined) add(`${at}.resources.limits.memory`, 'needs a memory limit');
    if (typeof c.image === 'string' && (!c.image.includes(':') || c.image.endsWith(':latest'))) add(`${at}.image`, 'pin the image to a version tag');
  });
  return issues;
}

/** The file a container sees at `path`, from its volume mounts (ConfigMap-backed only). */
export function mountedConfigMapFile(
  objects: readonly K8sObject[],
  deployment: K8sObject,
  container: Obj,
  path: string,
): { text: string; configMap: K8sObject; key: string } | { error: string } {
  const ns = metaNamespace(deployment.obj);
  const volumes = arr(get(deployment.obj, 'spec', 'template', 'spec', 'volumes'));
  for (const m of arr(container.volumeMounts)) {
    const mountPath = String(m.mountPath);
    const volume = volumes.find((v) => v.name === m.name);
    const cmName = get(volume, 'configMap', 'name');
    if (typeof cmName !== 'string') {
      if (path === mountPath || path.startsWith(`${mountPath}/`)) return { error: `${path} is on volume ${String(m.name)}, which is not a ConfigMap` };
      continue;
    }
    const cm = find(objects, 'ConfigMap', cmName, ns);
    let key: string | undefined;
    if (typeof m.subPath === 'string') {
      if (path !== mountPath) continue;
      const item = arr(get(volume, 'configMap', 'items')).find((it) => it.path === m.subPath);
      key = item === undefined ? m.subPath : String(item.key);
    } else if (path.startsWith(`${mountPath}/`)) {
      const rel = path.slice(mountPath.length + 1);
      const items = arr(get(volume, 'configMap', 'items'));
      if (items.length > 0) {
        const item = items.find((it) => it.path === rel);
        if (item === undefined) return { error: `ConfigMap volume ${String(m.name)} projects no ${rel}` };
        key = String(item.key);
      } else key = rel;
    } else continue;
    if (cm === undefined) return { error: `no ConfigMap ${cmName}` };
    const data = isRecord(cm.obj.data) ? cm.obj.data : {};
    const text = data[key];
    if (typeof text !== 'string') return { error: `ConfigMap ${cmName} has no key ${key}` };
    return { text, configMap: cm, key };
  }
  return { error: `nothing is mounted at ${path}` };
}

export function containers(deployment: K8sObject): Obj[] {
  return arr(get(deployment.obj, 'spec', 'template', 'spec', 'containers'));
}

export { arr as objectList, get as getPath };
