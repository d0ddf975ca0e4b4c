/**
 * What the router tells an Envoy edge (ext_proc or ext_authz) to do with one HTTP request,
 * independent of the wire protocol.
 */
import type { EngineDecision } from './engine.js';

/** How the owning backend was found. */
export type Mechanism = 'rules' | 'prefix' | 'query_id' | 'coordinator_id' | 'transaction' | 'probe' | 'login_flow' | 'ui_session';

/**
 * login_flow: an OAuth2 login step (initiate, callback, token poll) sent to the cluster whose
 * 401 challenge started it; ui_session: a web UI call sent to the cluster the browser logged
 * in to (the router's signed UI session cookie).
 */
export const MECHANISMS: readonly Mechanism[] = ['rules', 'prefix', 'query_id', 'coordinator_id', 'transaction', 'probe', 'login_flow', 'ui_session'];

/** Which parts of the response the router wants to see, to learn ownership from it. */
export type ResponseWatch = 'none' | 'headers' | 'headers_and_body';

export interface ForwardInstruction {
  readonly kind: 'forward';
  readonly backend: string;
  readonly mechanism: Mechanism;
  /** Set when the path must change (a route prefix was stripped). */
  readonly path: string | undefined;
  /** X-Forwarded-Prefix to send; undefined means remove any the client sent. */
  readonly forwardedPrefix: string | undefined;
  readonly watch: ResponseWatch;
  /** The engine's decision, for submissions and other rule-routed requests. */
  readonly decision: EngineDecision | undefined;
}

export interface ReplyInstruction {
  readonly kind: 'reply';
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** Short machine-readable cause, for metrics, logs and Envoy's `details`. */
  readonly reason: string;
}

export type RouteInstruction = ForwardInstruction | ReplyInstruction;
