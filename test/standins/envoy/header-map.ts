/**
 * An Envoy-like header map: lower-case names, ordered entries, repeated names kept as separate
 * entries, pseudo headers (":method", ":path", ":authority", ":scheme", ":status") always kept
 * before regular headers (Envoy's HeaderMapImpl iterates them first). Values are byte strings
 * held as latin1 JS strings, the way node:http hands them over.
 */
export interface HeaderEntry {
  readonly name: string;
  value: string;
}

/** RFC 7230 token characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/i;

/** Envoy's HeaderUtility::headerNameIsValid: a token, optionally with a leading ':'. */
export function headerNameIsValid(name: string): boolean {
  const bare = name.startsWith(':') ? name.slice(1) : name;
  return bare.length > 0 && TOKEN.test(bare);
}

/** Envoy's HeaderUtility::headerValueIsValid: no NUL, CR or LF. */
export function headerValueIsValid(value: string): boolean {
  return !/[\0\r\n]/.test(value);
}

export class HeaderMap {
  private list: HeaderEntry[] = [];

  static from(entries: Iterable<readonly [string, string]>): HeaderMap {
    const map = new HeaderMap();
    for (const [name, value] of entries) map.add(name, value);
    return map;
  }

  /** All values of a header, in order. */
  get(name: string): string[] {
    const key = name.toLowerCase();
    return this.list.filter((e) => e.name === key).map((e) => e.value);
  }

  getFirst(name: string): string | undefined {
    const key = name.toLowerCase();
    return this.list.find((e) => e.name === key)?.value;
  }

  has(name: string): boolean {
    const key = name.toLowerCase();
    return this.list.some((e) => e.name === key);
  }

  /** Adds an entry (Envoy addCopy): repeated names become separate entries. */
  add(name: string, value: string): void {
    const entry: HeaderEntry = { name: name.toLowerCase(), value };
    if (entry.name.startsWith(':')) {
      const firstRegular = this.list.findIndex((e) => !e.name.startsWith(':'));
      if (firstRegular === -1) this.list.push(entry);
      else this.list.splice(firstRegular, 0, entry);
    } else {
      this.list.push(entry);
    }
  }

  /** Sets a header (Envoy setCopy): the first entry keeps its place, the others go. */
  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const index = this.list.findIndex((e) => e.name === key);
    if (index === -1) {
      this.add(key, value);
      return;
    }
    const first = this.list[index];
    if (first !== undefined) first.value = value;
    this.list = this.list.filter((e, i) => e.name !== key || i === index);
  }

  /**
   * Appends to the first entry of a header with "," (Envoy appendCopy); false when the header
   * is absent, in which case nothing changes.
   */
  appendToFirst(name: string, value: string): boolean {
    const key = name.toLowerCase();
    const first = this.list.find((e) => e.name === key);
    if (first === undefined) return false;
    first.value = first.value === '' ? value : `${first.value},${value}`;
    return true;
  }

  /** Removes every entry of a header; returns how many were removed. */
  remove(name: string): number {
    const key = name.toLowerCase();
    const before = this.list.length;
    this.list = this.list.filter((e) => e.name !== key);
    return before - this.list.length;
  }

  entries(): readonly HeaderEntry[] {
    return this.list;
  }

  get size(): number {
    return this.list.length;
  }

  /** Envoy's HeaderMap::byteSize(): the sum of name and value lengths. */
  byteSize(): number {
    let total = 0;
    for (const e of this.list) total += e.name.length + Buffer.byteLength(e.value, 'latin1');
    return total;
  }

  clone(): HeaderMap {
    const copy = new HeaderMap();
    copy.list = this.list.map((e) => ({ name: e.name, value: e.value }));
    return copy;
  }

  /** Regular (non-pseudo) entries as a flat [name, value, name, value...] array for node:http. */
  toNodeRawHeaders(skip: ReadonlySet<string> = new Set()): string[] {
    const out: string[] = [];
    for (const e of this.list) {
      if (e.name.startsWith(':') || skip.has(e.name)) continue;
      out.push(e.name, e.value);
    }
    return out;
  }
}

/** Builds a header map from node's rawHeaders (name, value, name, value...), lower-casing names. */
export function headerMapFromRaw(raw: readonly string[]): HeaderMap {
  const map = new HeaderMap();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    if (name !== undefined && value !== undefined) map.add(name, value);
  }
  return map;
}

/** Hop-by-hop headers: never forwarded, and stripped by the HCM from requests and responses. */
export const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
