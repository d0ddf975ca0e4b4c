/** The gRPC admin API: routing changes, explain, status, queries, config export/import. */
export { startAdminServer, type AdminServer, type AdminServerOptions } from './server.js';
export { AdminExposureError, isLoopbackHost } from './auth.js';
export type { AdminDeps } from './deps.js';
