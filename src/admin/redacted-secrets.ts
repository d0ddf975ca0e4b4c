/**
 * An export written without secrets holds the placeholder REDACTED where an inline secret
 * was. Importing it back means "keep the secret the router runs with": each placeholder is
 * replaced by the running value (prefix keys matched by id) before the text is validated,
 * in place, so error line numbers still point into the operator's text.
 */
import { isScalar, parseDocument } from 'yaml';
import { REDACTED, type RouterConfig } from '../config/index.js';

interface Replacement {
  readonly start: number;
  readonly end: number;
  readonly value: string;
}

export function restoreRedactedSecrets(text: string, running: RouterConfig): string {
  const doc = parseDocument(text);
  // Let the config loader report syntax errors with its own messages.
  if (doc.errors.length > 0) return text;
  const replacements: Replacement[] = [];
  const replace = (path: readonly (string | number)[], secret: string | null | undefined): void => {
    const node: unknown = doc.getIn(path, true);
    if (secret === null || secret === undefined || !isScalar(node) || node.value !== REDACTED || node.range == null) return;
    replacements.push({ start: node.range[0], end: node.range[1], value: JSON.stringify(secret) });
  };

  if (running.admin.tokenEnv === null) replace(['admin', 'token'], running.admin.token);
  if (running.admin.readTokenEnv === null) replace(['admin', 'readToken'], running.admin.readToken);
  if (running.store.postgres !== null && running.store.postgres.urlEnv === null) replace(['store', 'url'], running.store.postgres.url);
  const keys = prefixKeysOf(doc);
  if (Array.isArray(keys)) {
    keys.forEach((key: unknown, i) => {
      const id = (key as { id?: unknown } | null)?.id;
      const runningKey = running.prefix?.keys.find((k) => k.id === id && k.secretEnv === null);
      replace(['routing', 'prefix', 'keys', i, 'secret'], runningKey?.secret);
    });
  }

  let out = text;
  for (const r of [...replacements].sort((a, b) => b.start - a.start)) out = `${out.slice(0, r.start)}${r.value}${out.slice(r.end)}`;
  return out;
}

function prefixKeysOf(doc: ReturnType<typeof parseDocument>): unknown {
  try {
    return (doc.toJS({ maxAliasCount: 100 }) as { routing?: { prefix?: { keys?: unknown } } } | null)?.routing?.prefix?.keys;
  } catch {
    // Alias trouble: the config loader reports it.
    return undefined;
  }
}
