/** The config file: load it, validate it, render it back. */
export { ConfigError, formatIssue, type ConfigIssue } from './config-error.js';
export { loadConfigFile, parseConfig, type ParseOptions } from './load.js';
export { renderConfigYaml, REDACTED, type RenderOptions } from './render.js';
export { toRoutingConfig } from './to-routing.js';
export {
  formatGrpcListenAddress, formatListenAddress, isUnixSocket, parseListenAddress, sameGrpcAddress,
  type GrpcListenAddress, type ListenAddress, type UnixSocketAddress,
} from './listen-address.js';
export type { AdminTlsFiles, AuditRetention, LogLevel, PrefixKeyConfig, RouterConfig, SeedMode, UnavailableMode, XdsSettings } from './router-config.js';
export type { Environment } from './schema.js';
