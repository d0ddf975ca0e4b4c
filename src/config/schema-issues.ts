/**
 * Turns zod's issues into plain "field path: what was expected" problems: one per unknown key
 * (with a did-you-mean), the relevant branch of a union instead of "Invalid input", and
 * "required" for a missing field.
 */
import type { z } from 'zod';
import { didYouMean } from '../did-you-mean.js';
import type { PathSegment } from '../routing/validate.js';

export interface SchemaProblem {
  readonly path: readonly PathSegment[];
  readonly message: string;
}

type Issue = z.core.$ZodIssue;

export function schemaProblems(issues: readonly Issue[]): SchemaProblem[] {
  return issues.flatMap((issue) => problemsOf(issue, []));
}

function toSegments(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

function problemsOf(issue: Issue, base: readonly PathSegment[]): SchemaProblem[] {
  const path = [...base, ...toSegments(issue.path)];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = issue.message.startsWith('allowed: ') ? issue.message.slice('allowed: '.length).split(', ') : [];
      return issue.keys.map((key) => ({ path: [...path, key], message: unknownKeyMessage(key, allowed) }));
    }
    case 'invalid_union': {
      const branch = relevantBranch(issue.errors);
      if (branch !== undefined) return branch.flatMap((inner) => problemsOf(inner, path));
      return [{ path, message: unionExpectation(issue.errors) }];
    }
    case 'invalid_type':
      if (/received undefined$/.test(issue.message)) return [{ path, message: `required: expected ${issue.expected}` }];
      return [{ path, message: issue.message.replace(/^Invalid input: /, '') }];
    case 'invalid_value':
      return [{ path, message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` }];
    default:
      return [{ path, message: issue.message.replace(/^Invalid input: /, '') }];
  }
}

/**
 * The branch the author evidently meant: the only one whose failure is not about the value's
 * type or keys at the union's own level (e.g. `{regex: 5}` meant the regex branch).
 */
function relevantBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  const plausible = branches.filter((issues) =>
    !issues.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'unrecognized_keys')));
  return plausible.length === 1 ? plausible[0] : undefined;
}

/** "expected a string or {exact} or {anyOf} or {regex}", from what each branch wanted. */
function unionExpectation(branches: readonly (readonly Issue[])[]): string {
  const kinds = new Set<string>();
  for (const issues of branches) {
    const rootType = issues.find((i) => i.code === 'invalid_type' && i.path.length === 0);
    const allowedKeys = issues.find((i) => i.code === 'unrecognized_keys' && i.path.length === 0)?.message;
    if (rootType?.code === 'invalid_type' && rootType.expected !== 'object') kinds.add(withArticle(rootType.expected));
    else if (allowedKeys?.startsWith('allowed: ')) kinds.add(`{${allowedKeys.slice('allowed: '.length)}}`);
    else {
      const keys = new Set(issues.filter((i) => i.path.length > 0).map((i) => String(i.path[0])));
      kinds.add(keys.size === 0 ? 'a mapping' : `{${[...keys].join(', ')}}`);
    }
  }
  return `expected ${[...kinds].join(' or ')}`;
}

function withArticle(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  const hint = didYouMean(key, allowed);
  return allowed.length === 0
    ? `unknown key ${JSON.stringify(key)}${hint}`
    : `unknown key ${JSON.stringify(key)}${hint}; expected one of: ${allowed.join(', ')}`;
}
