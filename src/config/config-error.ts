/**
 * A config file that cannot be used, with every problem found (not just the first), each
 * naming its field path and line so the operator can fix them all in one edit.
 */
import { RouterError } from '../errors.js';

export interface ConfigIssue {
  /** Field path in the file, e.g. `groups[1].backends[0].weight`; "" is the whole document. */
  readonly path: string;
  /** 1-based line in the file, when the field (or its nearest parent) is in the file. */
  readonly line?: number;
  /** What is wrong and what was expected. */
  readonly message: string;
}

export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  return `${where}: ${issue.path === '' ? '(document)' : issue.path}: ${issue.message}`;
}

export class ConfigError extends RouterError {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(
      'invalid_config',
      `invalid configuration in ${file} (${count}):\n${issues.map((i) => `  - ${formatIssue(file, i)}`).join('\n')}`,
      { file, issues },
    );
  }
}
