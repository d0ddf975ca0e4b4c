/**
 * Binding and stopping the router's gRPC servers (ext_proc/ext_authz/xDS and admin), one way
 * for all of them.
 *
 * Unix domain sockets (sidecar topology): the socket file is made mode 0660 once bound, so an
 * Envoy running as another uid can connect when it shares the socket file's group (in Kubernetes
 * the pod's `fsGroup` owns the shared emptyDir, whose setgid bit gives the socket that group).
 * A socket file left by a process that died is removed at start (nothing answers on it); a live
 * one, or a path that is not a socket, is an error. The file is removed at shutdown.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { formatGrpcListenAddress, isUnixSocket, type GrpcListenAddress } from '../config/index.js';

/** Owner and group read/write: the group is how a second uid (Envoy's) gets in; others get nothing. */
export const UNIX_SOCKET_MODE = 0o660;
/** How long a start-up probe of an existing socket file waits for a listener to answer. */
const STALE_PROBE_MS = 500;

/** Binds `server` to `address`; resolves with the bound port (grpc-js reports 1 for a Unix socket). `role` names the config key in errors. */
export async function listen(server: grpc.Server, address: GrpcListenAddress, role: string, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
  const where = formatGrpcListenAddress(address);
  if (isUnixSocket(address)) await removeStaleSocket(address.socketPath, `${where} (${role})`);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(where, credentials, (error, bound) => {
      if (error !== null) reject(new Error(`cannot listen on ${where} (${role}): ${error.message}`));
      else resolve(bound);
    });
  });
  if (isUnixSocket(address)) {
    try {
      await chmod(address.socketPath, UNIX_SOCKET_MODE);
    } catch (error) {
      server.forceShutdown();
      throw new Error(`cannot set mode ${UNIX_SOCKET_MODE.toString(8)} on ${where} (${role}): ${(error as Error).message}`);
    }
  }
  return port;
}

/** Lets running calls and streams finish, then cuts what is left after `graceMs`; removes a Unix socket file. */
export async function shutdownGracefully(server: grpc.Server, graceMs: number, address?: GrpcListenAddress): Promise<void> {
  await new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    force.unref();
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
  if (address !== undefined && isUnixSocket(address)) await unlinkIfPresent(address.socketPath);
}

async function removeStaleSocket(path: string, where: string): Promise<void> {
  const stats = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new Error(`cannot listen on ${where}: ${error.message}`);
  });
  if (stats === undefined) return;
  if (!stats.isSocket()) throw new Error(`cannot listen on ${where}: the path exists and is not a socket; remove it or choose another path`);
  if (await somethingListens(path)) throw new Error(`cannot listen on ${where}: another process is listening on this socket`);
  await unlinkIfPresent(path);
}

function somethingListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (answer: boolean): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(STALE_PROBE_MS, () => done(true));
    socket.once('connect', () => done(true));
    // ECONNREFUSED: the file outlived its process.
    socket.once('error', () => done(false));
  });
}

async function unlinkIfPresent(path: string): Promise<void> {
  await unlink(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}
