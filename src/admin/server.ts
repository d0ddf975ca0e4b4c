/**
 * The admin gRPC server: the admin services (bearer token when configured), plus
 * grpc.health.v1 and server reflection (open, for probes and grpcurl), on their own port.
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatusMap } from 'grpc-health-check';
import { formatListenAddress, type AdminTlsFiles, type ListenAddress } from '../config/index.js';
import { listen, shutdownGracefully } from '../runtime/grpc-server.js';
import {
  BackendServiceService,
  ConfigServiceService,
  ExplainServiceService,
  GroupServiceService,
  QueryServiceService,
  RuleServiceService,
  StatusServiceService,
} from '../gen/trino_envoy_router/admin/v1/admin.js';
import { checkAdminExposure, createAuthenticator } from './auth.js';
import { adminServerCredentials, requiresClientCertificates } from './credentials.js';
import { implement, type CallContext } from './call.js';
import type { AdminDeps } from './deps.js';
import { addReflection } from './reflection.js';
import { backendHandlers } from './services/backend-service.js';
import { configHandlers } from './services/config-service.js';
import { explainHandlers } from './services/explain-service.js';
import { groupHandlers } from './services/group-service.js';
import { queryHandlers } from './services/query-service.js';
import { ruleHandlers } from './services/rule-service.js';
import { statusHandlers } from './services/status-service.js';

export interface AdminServerOptions extends AdminDeps {
  readonly address: ListenAddress;
  /** Bearer token every admin call must carry; null: none (loopback addresses only). */
  readonly token: string | null;
  /** A second bearer token allowed only the reads; null: none. Ignored without `token`. */
  readonly readToken?: string | null | undefined;
  /** TLS (and with a client CA, mutual TLS) on the admin port; null or absent: plaintext. */
  readonly tls?: AdminTlsFiles | null | undefined;
  /** Reports each call's full method path and final status (metrics). */
  readonly onCall?: ((method: string, code: grpc.status) => void) | undefined;
}

export interface AdminServer {
  /** The bound port (useful when the address asks for port 0). */
  readonly port: number;
  /** Reports NOT_SERVING to health watchers, lets running calls finish, then stops. */
  close(): Promise<void>;
}

/** Admin calls are short; a call still running after this is cut at shutdown. */
const SHUTDOWN_GRACE_MS = 2_000;

export const ADMIN_SERVICES = [
  BackendServiceService,
  GroupServiceService,
  RuleServiceService,
  ExplainServiceService,
  StatusServiceService,
  QueryServiceService,
  ConfigServiceService,
] as const;

/** `trino_envoy_router.admin.v1.BackendService` from a service definition's method paths. */
export function serviceNameOf(service: Record<string, { readonly path: string }>): string {
  const first = Object.values(service)[0];
  if (first === undefined) throw new Error('a gRPC service needs at least one method');
  return first.path.slice(1, first.path.lastIndexOf('/'));
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const tls = options.tls ?? null;
  // Read before anything binds: a missing certificate stops the start with the field's name.
  const credentials = adminServerCredentials(tls);
  checkAdminExposure(options.address, options.token, requiresClientCertificates(tls));
  const context: CallContext = { authenticate: createAuthenticator(options.token, options.readToken ?? null), logger: options.logger, onCall: options.onCall };
  const server = new grpc.Server();
  server.addService(BackendServiceService, implement(context, BackendServiceService, backendHandlers(options)));
  server.addService(GroupServiceService, implement(context, GroupServiceService, groupHandlers(options)));
  server.addService(RuleServiceService, implement(context, RuleServiceService, ruleHandlers(options)));
  server.addService(ExplainServiceService, implement(context, ExplainServiceService, explainHandlers(options)));
  server.addService(StatusServiceService, implement(context, StatusServiceService, statusHandlers(options)));
  server.addService(QueryServiceService, implement(context, QueryServiceService, queryHandlers(options)));
  server.addService(ConfigServiceService, implement(context, ConfigServiceService, configHandlers(options)));

  const serving: ServingStatusMap = { '': 'SERVING' };
  for (const service of ADMIN_SERVICES) serving[serviceNameOf(service)] = 'SERVING';
  const health = new HealthImplementation(serving);
  health.addToServer(server);
  addReflection(server);

  const port = await listen(server, options.address, 'listen.admin', credentials);
  options.logger.info({ admin: formatListenAddress({ ...options.address, port }), tokenRequired: options.token !== null, tls: tls === null ? 'off' : tls.clientCaFile === null ? 'server' : 'mutual', readOnlyToken: options.token !== null && (options.readToken ?? null) !== null }, 'admin server listening');
  let closing: Promise<void> | undefined;
  return {
    port,
    close() {
      if (closing === undefined) {
        for (const name of Object.keys(serving)) health.setStatus(name, 'NOT_SERVING');
        closing = shutdownGracefully(server, SHUTDOWN_GRACE_MS);
      }
      return closing;
    },
  };
}
