/** A small valid config as text, and helpers to get at a ConfigError's issues. */
import { ConfigError, parseConfig, type ConfigIssue, type ParseOptions } from '../../../src/config/index.js';

export const VALID_YAML = `listen:
  extProc: "127.0.0.1:9001"
routing:
  defaultGroup: adhoc
  prefix:
    keys: [{ id: k1, secret: "0123456789abcdef-0123456789abcdef-secret" }]
backends:
  - name: trino-a
    url: http://127.0.0.1:8081
    prefixRouting: true
  - name: trino-b
    url: http://127.0.0.1:8082
groups:
  - name: adhoc
    backends: [trino-a, trino-b]
rules: []
`;

export function issuesOf(text: string, options: ParseOptions = {}): ConfigIssue[] {
  try {
    parseConfig(text, 'router.yaml', { env: {}, ...options });
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

export function errorOf(text: string, options: ParseOptions = {}): ConfigError {
  try {
    parseConfig(text, 'router.yaml', { env: {}, ...options });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

/** VALID_YAML with these rules (YAML list items, indented two spaces) instead of none. */
export function withRules(rules: string): string {
  return VALID_YAML.replace('rules: []\n', `rules:\n${rules}`);
}
