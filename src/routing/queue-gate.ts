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
  /** False when the router does not have the whole body (cut by Envoy, or never sent): it cannot be resubmitted. */
  readonly bodyComplete: boolean;
  /** `proto://authority` the client used; undefined when the request names no valid authority. */
  readonly origin: string | undefined;
  readonly facts: RequestFacts;
  readonly decision: RoutedDecision;
  readonly rule: RoutingRule | undefined;
  readonly receivedAt: number;
}

export interface QueueGate {
  /** The path prefix the gate answers. */
  readonly root: string;
  /** Keeps the submission; resolves to the QUEUED answer; rejects with the reason when it cannot be kept. */
  hold(submission: HeldSubmission): Promise<ReplyInstruction>;
  /** A request on the gate's path: a poll (GET) or a cancel (DELETE). */
  answer(method: string, path: string, origin: string | undefined): Promise<ReplyInstruction>;
  /** What hold() would do, changing nothing (explain): "would be queued behind N". */
  preview(submission: HeldSubmission): Promise<ReplyInstruction>;
}

/** The gate an explain dry run uses: previews instead of holding, and never reads a poll. */
export function dryRunGate(live: QueueGate): QueueGate {
  return {
    root: live.root,
    hold: (submission) => live.preview(submission),
    preview: (submission) => live.preview(submission),
    answer: () => Promise.resolve({
      kind: 'reply', status: 200, contentType: 'application/json', reason: 'queued',
      body: JSON.stringify({ message: "a poll or cancel of a query in the router's queue: the router answers it itself" }),
    }),
  };
}
