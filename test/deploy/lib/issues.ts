/** A problem found in a shipped file: where it is and what is wrong. */
export interface Issue {
  readonly file: string;
  /** Field path inside the file (e.g. `spec.template.spec.containers[0].ports`), or ''. */
  readonly path: string;
  readonly message: string;
}

export type PathSegment = string | number;

export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_@-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function formatIssues(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.file}${i.path === '' ? '' : ` ${i.path}`}: ${i.message}`).join('\n');
}

/** Collects issues for one file, with a helper that prefixes a path. */
export class IssueList {
  readonly items: Issue[] = [];

  add(file: string, path: string | readonly PathSegment[], message: string): void {
    this.items.push({ file, path: typeof path === 'string' ? path : formatPath(path), message });
  }

  addAll(issues: readonly Issue[]): void {
    this.items.push(...issues);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
