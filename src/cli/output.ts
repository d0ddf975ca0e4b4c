/**
 * What the CLI prints: aligned tables and `key: value` blocks for people, the API's
 * response as JSON for scripts (`--json`; every field present, times as ISO 8601).
 */
export interface Output {
  /** The result: a table, a block, a line, or JSON. */
  out(text: string): void;
  /** Notes and warnings (never part of the result). */
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export function json(value: unknown): string {
  return JSON.stringify(plain(value), (_key, v: unknown) => (v instanceof Date ? v.toISOString() : v), 2);
}

/**
 * The response with ts-proto's oneof wrappers (`kind: {$case: "regex", value: "^a"}`) written
 * as protobuf's JSON mapping writes a oneof: the chosen field in the parent (`regex: "^a"`).
 */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== 'object' || value === null || value instanceof Date || Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (isOneof(v)) out[v.$case] = plain(v.value);
    else out[key] = plain(v);
  }
  return out;
}

function isOneof(value: unknown): value is { $case: string; value: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as { $case?: unknown }).$case === 'string' && 'value' in value;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** `key: value` lines with the keys aligned. */
export function block(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...entries.map(([k]) => k.length)) + 1;
  return entries.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n');
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

export function orDash(value: string | number | undefined | null): string {
  return value === undefined || value === null || value === '' ? '-' : String(value);
}

/**
 * The note a read of the routing state gets when the replica answered from memory (its store
 * down, or its change feed cut): since when, at which revision, and why. Undefined when fresh.
 */
export function staleNote(response: unknown, now: number = Date.now()): string | undefined {
  if (typeof response !== 'object' || response === null) return undefined;
  const { freshness, revision } = response as { freshness?: { storeSyncedAt?: Date; staleForMs?: number; staleReason?: string }; revision?: unknown };
  if (freshness === undefined || (freshness.staleForMs ?? 0) <= 0) return undefined;
  const at = typeof revision === 'number' ? ` at revision ${revision}` : '';
  const reason = freshness.staleReason === undefined || freshness.staleReason === '' ? '' : ` (${freshness.staleReason})`;
  return `warning: possibly stale by ${seconds(freshness.staleForMs ?? 0)}: this replica last heard from the store ${when(freshness.storeSyncedAt, now)}; shown as of then${at}${reason}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`;
}

/** `2025-01-02 03:04:05Z (12s ago)`, or `-`. */
export function when(date: Date | undefined, now: number = Date.now()): string {
  if (date === undefined) return '-';
  const text = `${date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z')}`;
  return `${text} (${ago(now - date.getTime())})`;
}

function ago(ms: number): string {
  if (ms < 0) return 'in the future';
  const s = Math.round(ms / 1000);
  if (s < 90) return `${s}s ago`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m}m ago`;
  const h = Math.round(m / 60);
  if (h < 36) return `${h}h ago`;
  return `${Math.round(h / 24)}d ago`;
}
