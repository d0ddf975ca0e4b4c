/**
 * The request headers a forward instruction changes, independent of the Envoy API that carries
 * them: ext_proc encodes them in `raw_value`, ext_authz in the string `value`. Both edges apply
 * the same plan, so a request is routed the same way whichever filter asked.
 */
import type { ForwardInstruction } from '../routing/decision.js';

/** The header Envoy's route reads (`cluster_header`); the router always sets it. */
export const CLUSTER_HEADER = 'x-trino-cluster';
/** Trino 458+ writes it in front of every URI it hands out (signed route prefixes); 452-457 URL-escape its slashes. */
export const FORWARDED_PREFIX_HEADER = 'x-forwarded-prefix';
export const PATH_HEADER = ':path';

export interface ForwardHeaders {
  /** Headers to overwrite (never append), in this order. */
  readonly set: readonly (readonly [name: string, value: string])[];
  readonly remove: readonly string[];
}

export function forwardHeaders(instruction: ForwardInstruction): ForwardHeaders {
  const set: [string, string][] = [[CLUSTER_HEADER, instruction.backend]];
  const remove: string[] = [];
  // Without a prefix to send, a client-sent one must not reach Trino: it would put it into URIs.
  if (instruction.forwardedPrefix !== undefined) set.push([FORWARDED_PREFIX_HEADER, instruction.forwardedPrefix]);
  else remove.push(FORWARDED_PREFIX_HEADER);
  if (instruction.path !== undefined) set.push([PATH_HEADER, instruction.path]);
  return { set, remove };
}
