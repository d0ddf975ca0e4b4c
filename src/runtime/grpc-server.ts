/**
 * Binding and stopping the router's gRPC servers (ext_proc/ext_authz/xDS and admin), one way
 * for all of them.
 */
import * as grpc from '@grpc/grpc-js';
import { formatListenAddress, type ListenAddress } from '../config/index.js';

/** Binds `server` to `address`; resolves with the bound port. `role` names the config key in errors. */
export function listen(server: grpc.Server, address: ListenAddress, role: string, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(formatListenAddress(address), credentials, (error, port) => {
      if (error !== null) reject(new Error(`cannot listen on ${formatListenAddress(address)} (${role}): ${error.message}`));
      else resolve(port);
    });
  });
}

/** Lets running calls and streams finish, then cuts what is left after `graceMs`. */
export function shutdownGracefully(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
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
}
