/**
 * README.md, section "Deploying it": what it tells users to run must match the shipped files.
 *
 * - the section sits after "ext_proc or ext_authz?" (a section, or a subsection of an earlier
 *   one) and before "Layout", with a subsection per
 *   target (Docker Compose, Kubernetes, Istio, Envoy Gateway), the Trino settings and how the
 *   files are validated (statically);
 * - the Compose walk-through runs `docker compose up`, then the Trino CLI against the Envoy
 *   service on the port Envoy listens on, with a query that reads only catalogs the Compose
 *   Trinos mount (or `system`) and shows the cluster (`node_id`);
 * - the Kubernetes walk-through creates every Secret the manifests read, with every key;
 * - the Trino settings name `http-server.process-forwarded=true`;
 * - every repository path the section names exists.
 */
import { parse as parseYaml } from 'yaml';
import { bootstrapFacts } from './envoy-config.js';
import { isRecord, type Issue } from './issues.js';
import { OPERATOR_SECRETS } from './k8s-router.js';
import type { RepoFiles } from './repo-files.js';

export const README = 'README.md';
export const DEPLOYING = 'Deploying it';
const COMPOSE_CATALOGS = 'deploy/compose/trino/catalog';

interface Section {
  readonly title: string;
  readonly body: string;
}

/** Splits markdown into sections at headings of exactly `level` (fenced code ignored). */
export function sections(text: string, level: number): Section[] {
  const out: Section[] = [];
  const marker = `${'#'.repeat(level)} `;
  let fenced = false;
  let current: { title: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (!fenced && line.startsWith(marker)) {
      if (current !== undefined) out.push({ title: current.title, body: current.lines.join('\n') });
      current = { title: line.slice(marker.length).trim(), lines: [] };
    } else current?.lines.push(line);
  }
  if (current !== undefined) out.push({ title: current.title, body: current.lines.join('\n') });
  return out;
}

/** Contents of the fenced code blocks of a text. */
function codeBlocks(text: string): string[] {
  return [...text.matchAll(/^\s*```[a-z]*\n([\s\S]*?)^\s*```/gm)].map((m) => m[1] as string);
}

export function checkReadme(files: RepoFiles): { issues: Issue[]; files: Set<string> } {
  const issues: Issue[] = [];
  const add = (path: string, message: string): void => {
    issues.push({ file: README, path, message });
  };
  const read = new Set([README]);
  const top = sections(files.read(README), 2);
  const titles = top.map((s) => s.title);
  const at = titles.indexOf(DEPLOYING);
  if (at < 0) {
    add('', `no section "## ${DEPLOYING}"`);
    return { issues, files: read };
  }
  // The choice of edge comes first: a section of its own or a subsection (of "Concepts").
  const edges = 'ext_proc or ext_authz?';
  const after = top.findIndex((s) => s.title === edges || sections(s.body, 3).some((sub) => sub.title === edges));
  const before = titles.indexOf('Layout');
  if (!(after >= 0 && after < at && (before < 0 || at < before))) add(`## ${DEPLOYING}`, `must come after "${edges}" and before "## Layout"`);
  const body = (top[at] as Section).body;
  const subs = sections(body, 3);
  const sub = (re: RegExp, what: string): string | undefined => {
    const found = subs.find((s) => re.test(s.title));
    if (found === undefined) add(`## ${DEPLOYING}`, `no subsection for ${what}`);
    return found?.body;
  };

  // ---- Docker Compose: docker compose up, then a query through Envoy that names the cluster ----
  const compose = sub(/docker compose/i, 'Docker Compose');
  if (compose !== undefined) {
    const where = `### Docker Compose`;
    if (!/docker compose up\b/.test(compose)) add(where, 'must show `docker compose up`');
    const cli = codeBlocks(compose).join('\n').replace(/\\\n\s*/g, ' ').split('\n').find((l) => /\btrino\s+--server\s/.test(l));
    if (cli === undefined) add(where, 'must run a query with the Trino CLI (`trino --server ...`)');
    else {
      const server = /--server\s+http:\/\/([^:/\s]+):(\d+)/.exec(cli);
      const envoyPorts = bootstrapFacts(parseYaml(files.read('envoy/envoy.yaml')) as Record<string, unknown>).listeners.map((l) => l.port);
      if (server === null) add(where, 'the Trino CLI must name the server as http://<host>:<port>');
      else {
        const composeDoc: unknown = parseYaml(files.read('docker-compose.yml'));
        const services = isRecord(composeDoc) && isRecord(composeDoc.services) ? composeDoc.services : {};
        const service = services[server[1] as string];
        if (!isRecord(service) || !/envoyproxy\/envoy:/.test(String(service.image))) add(where, `--server ${server[1]} is not the Envoy service of docker-compose.yml`);
        if (!envoyPorts.includes(Number(server[2]))) add(where, `--server port ${server[2]} is not Envoy's listener port (${envoyPorts.join(', ')})`);
      }
      const sql = /--execute\s+"([^"]+)"/.exec(cli)?.[1];
      if (sql === undefined) add(where, 'the Trino CLI must run a query (--execute "...")');
      else {
        const mounted = new Set(files.list(COMPOSE_CATALOGS).filter((p) => p.endsWith('.properties')).map((p) => (p.split('/').pop() as string).replace(/\.properties$/, '')));
        read.add(COMPOSE_CATALOGS);
        for (const m of sql.matchAll(/\b([a-z_][a-z0-9_]*)\.[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*\b/gi)) {
          const catalog = (m[1] as string).toLowerCase();
          if (catalog !== 'system' && !mounted.has(catalog)) add(where, `the query reads catalog ${catalog}, which the Compose Trinos do not mount (${COMPOSE_CATALOGS}: ${[...mounted].join(', ')})`);
        }
        if (!/\bnode_id\b/.test(sql)) add(where, 'the query must show which cluster ran it (node_id of system.runtime.nodes)');
      }
    }
  }

  // ---- Kubernetes: the Secrets the manifests read ----
  const kubernetes = sub(/kubernetes/i, 'Kubernetes');
  if (kubernetes !== undefined) {
    const commands = codeBlocks(kubernetes).join('\n').replace(/\\\n\s*/g, ' ');
    for (const [secret, keys] of Object.entries(OPERATOR_SECRETS)) {
      const line = commands.split('\n').find((l) => new RegExp(`create secret generic ${secret}(\\s|$)`).test(l));
      if (line === undefined) add('### Kubernetes', `must create the Secret ${secret} the Deployment reads`);
      else for (const key of keys) if (!line.includes(`--from-literal=${key}=`) && !line.includes(`--from-file=${key}=`)) add('### Kubernetes', `Secret ${secret} needs key ${key}`);
    }
  }
  sub(/istio/i, 'Istio');
  sub(/envoy gateway/i, 'Envoy Gateway');
  const trino = sub(/trino/i, 'the Trino settings backends need');
  if (trino !== undefined && !trino.includes('http-server.process-forwarded=true')) add('### Trino', 'must name http-server.process-forwarded=true');
  const validated = sub(/validat/i, 'how the files are validated');
  if (validated !== undefined && !/statically/.test(validated)) add('### validation', 'must say the files are validated statically (CI runs no Docker or Kubernetes)');

  // ---- paths named in the section exist ----
  const named = new Set<string>();
  for (const m of body.matchAll(/`(Dockerfile|docker-compose\.yml)`/g)) named.add(m[1] as string);
  for (const m of body.matchAll(/(?<![\w./:$-])((?:deploy|envoy|test)\/[A-Za-z0-9_./-]*)/g)) named.add((m[1] as string).replace(/[.]+$/, ''));
  for (const name of named) {
    if (!files.exists(name.replace(/\/$/, ''))) add(`## ${DEPLOYING}`, `names ${name}, which does not exist`);
  }
  return { issues, files: read };
}
