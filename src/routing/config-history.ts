/**
 * The config history (audit trail): every committed routing change, recorded by the store in
 * the same transaction as the change itself, with who made it, how, what it changed and the
 * whole configuration it left. Kept within store.audit's bounds (newest revisions, max age).
 */
import type { RoutingConfig } from './model.js';
import type { RoutingDiff } from './routing-diff.js';

/** Who made a change, as the router knows it. */
export interface ChangeAuthor {
  /** Admin API calls: the bearer token used (`none` when the API needs no token). */
  readonly token?: 'admin' | 'read-only' | 'none' | undefined;
  /** Admin API calls over mutual TLS: the client certificate's subject. */
  readonly certificateSubject?: string | undefined;
  /** Admin API calls: the caller's address as gRPC reports it (10.0.0.7:51234 or ipv4:10.0.0.7:51234). */
  readonly peer?: string | undefined;
  /** Config file applies (seed, watch): the file. */
  readonly file?: string | undefined;
}

/** How a change came about: the admin method (`BackendService/DrainBackend`) or the file apply, and by whom. */
export interface ChangeOrigin {
  readonly method: string;
  readonly author: ChangeAuthor;
}

/** Config file applies are recorded under these methods. */
export const FILE_METHODS = { seed: 'config-file/seed', watch: 'config-file/watch' } as const;

export type RecordedDiff = Omit<RoutingDiff, 'changed'>;

export interface ConfigChangeRecord extends ChangeOrigin {
  readonly revision: number;
  /** Epoch milliseconds of the commit. */
  readonly at: number;
  readonly diff: RecordedDiff;
}

export interface ConfigRevisionRecord extends ConfigChangeRecord {
  /** The whole routing configuration as of this revision. */
  readonly config: RoutingConfig;
}

export interface ConfigHistoryPage {
  /** Newest first. */
  readonly changes: readonly ConfigChangeRecord[];
  /** Pass as `beforeRevision` for the next page; undefined on the last page. */
  readonly nextBeforeRevision: number | undefined;
}

export interface ConfigHistoryStore {
  /** Changes with a revision below `beforeRevision` (all when absent), newest first, at most `limit`. */
  list(options: { readonly beforeRevision?: number | undefined; readonly limit: number }): Promise<ConfigHistoryPage>;
  /** The change that made `revision` and the configuration it left; undefined when not kept. */
  get(revision: number): Promise<ConfigRevisionRecord | undefined>;
  /** The oldest and newest revision kept; undefined while nothing was recorded. */
  range(): Promise<{ readonly oldest: number; readonly newest: number } | undefined>;
}

/** Used when a write names no origin (tools, tests): still recorded. */
export const UNKNOWN_ORIGIN: ChangeOrigin = { method: 'unknown', author: {} };

/** "admin token, certificate CN=ops, from 127.0.0.1:5123" / "file /etc/router/config.yaml". */
export function describeAuthor(author: ChangeAuthor): string {
  const parts: string[] = [];
  if (author.file !== undefined) parts.push(`file ${author.file}`);
  if (author.token !== undefined) parts.push(author.token === 'none' ? 'no token' : `${author.token} token`);
  if (author.certificateSubject !== undefined) parts.push(`certificate ${author.certificateSubject}`);
  if (author.peer !== undefined) parts.push(`from ${author.peer}`);
  return parts.length === 0 ? 'unknown' : parts.join(', ');
}
