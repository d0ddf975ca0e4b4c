/**
 * Trino coordinator settings the router depends on, read from the .properties files the
 * deployments mount.
 */

/** Java .properties (the subset Trino's files use): key=value lines, # and ! comments. */
export function parseProperties(text: string): { values: Map<string, string>; problems: string[] } {
  const values = new Map<string, string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) return;
    const eq = line.search(/[=:]/);
    if (eq <= 0) {
      problems.push(`line ${i + 1}: expected key=value, got ${JSON.stringify(line)}`);
      return;
    }
    const key = line.slice(0, eq).trim();
    if (values.has(key)) problems.push(`line ${i + 1}: ${key} set twice`);
    values.set(key, line.slice(eq + 1).trim());
  });
  return { values, problems };
}

/** Problems of a coordinator's config.properties for a Trino behind Envoy and the router. */
export function coordinatorConfigProblems(text: string): { problems: string[]; httpPort: number } {
  const { values, problems } = parseProperties(text);
  if (values.get('coordinator') !== 'true') problems.push('coordinator=true is required (the router talks to coordinators)');
  if (values.get('http-server.process-forwarded') !== 'true') {
    problems.push('http-server.process-forwarded=true is required behind Envoy (Trino 451+ answers 406 to X-Forwarded-* otherwise, and prefix routing needs X-Forwarded-Prefix)');
  }
  const port = Number(values.get('http-server.http.port') ?? '8080');
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push('http-server.http.port must be a port');
  return { problems, httpPort: port };
}

/** node.properties: the node id (names the cluster in system.runtime.nodes). */
export function nodeProperties(text: string): { problems: string[]; nodeId: string | undefined } {
  const { values, problems } = parseProperties(text);
  const env = values.get('node.environment');
  if (env === undefined || !/^[a-z0-9][_a-z0-9]*$/.test(env)) problems.push('node.environment must be set (lower-case letters, digits, _)');
  const nodeId = values.get('node.id');
  if (nodeId !== undefined && !/^[A-Za-z0-9][_\-A-Za-z0-9]*$/.test(nodeId)) problems.push(`node.id ${nodeId} is not a valid node id`);
  return { problems, nodeId };
}

/** A catalog file: its connector. */
export function catalogConnector(text: string): string | undefined {
  return parseProperties(text).values.get('connector.name');
}

/** The Trino version of an official image reference (trinodb/trino:479 -> 479). */
export function trinoImageVersion(image: string): number | undefined {
  const m = /^(?:docker\.io\/)?trinodb\/trino:(\d+)$/.exec(image);
  return m === null ? undefined : Number(m[1]);
}

/**
 * Trino puts X-Forwarded-Prefix in front of its URIs as sent (the router's multi-segment prefix
 * routing) from this release on: 452-457 URL-escape the prefix's slashes.
 */
export const PREFIX_ROUTING_MIN_TRINO = 458;
