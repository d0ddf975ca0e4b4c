/**
 * The port the request router holds submissions through (issue 22): a submission to a limited
 * group is handed to the gate, which keeps it durably and answers QUEUED; every request on the
 * gate's path is answered by the gate. Implemented by src/queue/gateway-queue.ts.
 */
import type { HeaderList } from '../trino/header-list.js';
import type { ReplyInstruction } from './decision.js';
import type { RoutedDecision } from './engine.js';
import type { RequestFacts, RoutingRule } from './model.js';

export interface HeldSubmission {
  readonly headers: HeaderList;
  readonly body: Uint8Array;
  /** `proto://authority` the client used. */
  readonly origin: string;
  readonly facts: RequestFacts;
  readonly decision: RoutedDecision;
  readonly rule: RoutingRule | undefined;
  readonly receivedAt: number;
}

export interface QueueGate {
  /** The path prefix the gate answers. */
  readonly root: string;
  /** Keeps the submission; resolves to the QUEUED answer (or a refusal when it cannot be kept). */
  hold(submission: HeldSubmission): Promise<ReplyInstruction>;
  /** A request on the gate's path: a poll (GET) or a cancel (DELETE). */
  answer(method: string, path: string, origin: string | undefined): Promise<ReplyInstruction>;
}
