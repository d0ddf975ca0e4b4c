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

/**
 * A Unix domain socket, written `unix:/absolute/path` (the form grpc-js binds). Used by the gRPC
 * listeners (ext_proc, ext_authz, xDS) when Envoy runs in the same pod or host (sidecar topology).
 */
export interface UnixSocketAddress {
  /** Absolute path of the socket file. */
  readonly socketPath: string;
}

/** Where a gRPC server (ext_proc, ext_authz, xDS) listens: TCP or a Unix domain socket. */
export type GrpcListenAddress = ListenAddress | UnixSocketAddress;

const UNIX_PREFIX = 'unix:';
/** sun_path holds 108 bytes on Linux, one of them the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export function isUnixSocket(address: GrpcListenAddress): address is UnixSocketAddress {
  return 'socketPath' in address;
}

/** Parses `host:port`, `[ipv6]:port` or `unix:/absolute/path`, or returns what was expected. */
export function parseGrpcListenAddress(text: string): GrpcListenAddress | string {
  if (!text.startsWith(UNIX_PREFIX)) return parseListenAddress(text);
  const socketPath = text.slice(UNIX_PREFIX.length);
  if (!socketPath.startsWith('/')) return `expected unix:/absolute/path (e.g. unix:/run/trino-router/sock), got ${JSON.stringify(text)}`;
  if (socketPath.endsWith('/')) return `a Unix socket path names a file, not a directory: ${JSON.stringify(text)}`;
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH_BYTES) return `Unix socket path is ${bytes} bytes, longer than the ${MAX_SOCKET_PATH_BYTES} the OS allows: ${JSON.stringify(text)}`;
  return { socketPath };
}

/** The address as written in the config (and as grpc-js binds it); `port` replaces a TCP port 0 with the bound one. */
export function formatGrpcListenAddress(address: GrpcListenAddress, port?: number): string {
  if (isUnixSocket(address)) return `${UNIX_PREFIX}${address.socketPath}`;
  return formatListenAddress(port === undefined ? address : { ...address, port });
}

/** Two gRPC addresses written alike (one server may serve both). */
export function sameGrpcAddress(a: GrpcListenAddress, b: GrpcListenAddress): boolean {
  if (isUnixSocket(a) || isUnixSocket(b)) return isUnixSocket(a) && isUnixSocket(b) && a.socketPath === b.socketPath;
  return a.host === b.host && a.port === b.port;
}

/** Two addresses that cannot both be bound: a TCP clash (see addressesClash) or one socket path. */
export function grpcAddressesClash(a: GrpcListenAddress, b: GrpcListenAddress): boolean {
  if (isUnixSocket(a) || isUnixSocket(b)) return sameGrpcAddress(a, b);
  return addressesClash(a, b);
}
