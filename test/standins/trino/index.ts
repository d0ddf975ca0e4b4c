/**
 * A stand-in for a Trino coordinator, speaking the client protocol closely enough for the
 * official `trino-client` to run queries against it, directly or through a proxy.
 *
 *   const trino = await startTrinoStandin({ name: 'trino-a' });
 *   // SQL hints: SELECT * FROM t /* rows=5000 duration=2000 queued=100 *\/
 *   await trino.close();
 */
export { FAST_POLL_HOLD_MS, startTrinoStandin, TRINO_POLL_HOLD_MS } from './standin.js';
export { signTestJwt, type AuthenticationSettings, type AuthenticatorType } from './authentication.js';
export { startFakeIdp, type FakeIdp } from './fake-idp.js';
export type { OAuth2Settings } from './oauth2.js';
export type {
  LoggedStandinRequest, StandinFault, StandinNodeState, StandinQuery, TrinoStandin, TrinoStandinOptions,
} from './types.js';
