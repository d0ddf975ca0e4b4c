/**
 * Rule conditions on the command line, written as in the config file's `match:` (YAML or
 * JSON flow: `{user: {regex: "^etl_"}, clientTags: {containsAny: [etl]}}`), and read back
 * as one line per rule for tables.
 */
import { parse } from 'yaml';
import { routingPartSchema } from '../config/schema.js';
import { schemaProblems } from '../config/schema-issues.js';
import { toRoutingConfig } from '../config/to-routing.js';
import { matchFromApi, matchToApi } from '../admin/convert/rule.js';
import type { RuleMatch as ApiRuleMatch } from '../gen/trino_envoy_router/admin/v1/admin.js';
import { compileConditions } from '../routing/matchers.js';
import { formatPath } from '../routing/validate.js';
import { UsageError } from './errors.js';

/** Parses `--match` with the config file's own schema, so the syntax is the file's. */
export function parseMatch(text: string): ApiRuleMatch {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    // The whole message: yaml puts the line, the column and the snippet with a caret after the first line.
    throw new UsageError(`--match: not YAML: ${(error as Error).message.trimEnd()}`);
  }
  // Parsed as the match of a one-rule file, through the file's schema.
  const part = routingPartSchema.safeParse({
    routing: { defaultGroup: 'g' },
    backends: [],
    groups: [],
    rules: [{ name: 'r', group: 'g', match: data ?? {} }],
  });
  if (!part.success) {
    const problems = schemaProblems(part.error.issues).map((p) => {
      const path = formatPath(p.path.slice(3));
      return path === '' ? p.message : `${path}: ${p.message}`;
    });
    throw new UsageError(`--match: ${problems.join('; ')}`);
  }
  const rule = toRoutingConfig(part.data).rules[0];
  return matchToApi(rule?.match ?? {});
}

/** The match of a rule without conditions (`--match-all`). */
export function noConditions(): ApiRuleMatch {
  return matchToApi({});
}

/** What describeMatch says of a rule without conditions. */
export const EVERY_REQUEST = '(every request)';

/** `user ~ /^etl_/, clientTags contains any of ["etl"]`, or `(every request)`. */
export function describeMatch(match: ApiRuleMatch | undefined): string {
  const conditions = compileConditions(matchFromApi(match, 'match'));
  if (conditions.length === 0) return EVERY_REQUEST;
  return conditions.map((c) => `${c.field} ${c.expected}`).join(', ');
}
