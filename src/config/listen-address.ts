/**
 * Listen addresses: `host:port`, with IPv6 hosts in brackets (`[::]:9001`).
 */
export interface ListenAddress {
  /** Host or IP without brackets, e.g. `0.0.0.0` or `::1`. */
  readonly host: string;
  /** 0-65535; 0 asks the OS for a free port. */
  readonly port: number;
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/** Parses an address, or returns what was expected. */
export function parseListenAddress(text: string): ListenAddress | string {
  const match = HOST_PORT.exec(text);
  const expected = `expected host:port (e.g. 0.0.0.0:9001 or [::]:9001), got ${JSON.stringify(text)}`;
  if (match === null) return expected;
  const host = match[1] ?? match[2] ?? '';
  const port = Number(match[3]);
  if (port > 65535) return `port ${port} is out of range 0-65535`;
  return { host, port };
}

export function formatListenAddress(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

const WILDCARD_HOSTS: ReadonlySet<string> = new Set(['0.0.0.0', '::']);

/** Two addresses that cannot both be bound: same port, and same host or a wildcard (port 0 never clashes). */
export function addressesClash(a: ListenAddress, b: ListenAddress): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  return a.host === b.host || WILDCARD_HOSTS.has(a.host) || WILDCARD_HOSTS.has(b.host);
}
