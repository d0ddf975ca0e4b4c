/**
 * The gateway queue as the request path sees it (the QueueGate port): holds a submission
 * (sealed, in the store) and answers the client's polls of the router's own signed path as
 * Trino answers a queued query, until the dispatcher has handed the query to a cluster; then
 * the poll gets the cluster's own answer, and the client follows the cluster's URIs from there.
 */
import type { ReplyInstruction } from '../routing/decision.js';
import type { HeldSubmission, QueueGate } from '../routing/queue-gate.js';
import { routerErrorReply, type QueueReplyReason } from '../routing/replies.js';
import type { PrefixKeyring } from '../stickiness/route-prefix.js';
import {
  ABANDONED_QUERY, failedQueryResultsJson, QUERY_RESULTS_CONTENT_TYPE, queuedQueryResultsJson, USER_CANCELED,
} from '../trino/query-results.js';
import type { EntrySignals } from './entry-signals.js';
import { newEntryId, QUEUE_ROOT, queuePath, verifyQueuePath } from './queue-path.js';
import type { QueueEntry, QueueStore } from './queue-store.js';
import { sealRequest } from './sealed-request.js';
import { decodeAnswer } from './stored-answer.js';

/** How many waiting entries explain counts at most. */
const PREVIEW_LIMIT = 10_000;

/** Headers never kept: Envoy's pseudo-headers and what the dispatcher sets itself. */
const NOT_KEPT: ReadonlySet<string> = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'x-trino-cluster', 'x-forwarded-prefix', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-proto', 'x-envoy-expected-rq-timeout-ms']);

export interface GatewayQueueOptions {
  readonly store: QueueStore;
  readonly keyring: PrefixKeyring;
  readonly signals: EntrySignals;
  /** How long a poll of a waiting query is held for news (Trino holds up to 1 s; Envoy's ext_proc message_timeout bounds it). */
  readonly pollHoldMs: number;
  /** A poll is written to the store at most this often per query (the abandonment clock's precision). */
  readonly touchEveryMs: number;
  readonly now: () => number;
  /** A submission was queued (the dispatcher looks at once). */
  readonly onHeld?: (entry: { readonly id: string; readonly group: string }) => void;
}

export class GatewayQueue implements QueueGate {
  readonly root = QUEUE_ROOT;

  constructor(private readonly options: GatewayQueueOptions) {}

  async hold(submission: HeldSubmission): Promise<ReplyInstruction> {
    const { store, keyring, onHeld } = this.options;
    if (!submission.bodyComplete) {
      throw new QueueRefusal(`group ${submission.decision.group} queues its queries, but the router did not receive this submission's whole body (Envoy's buffer limit, or ext_authz without with_request_body), so it could not submit it later`);
    }
    if (submission.origin === undefined) throw new QueueRefusal('a submission without a valid Host or :authority header cannot be queued (its URLs could not be built)');
    const origin = submission.origin;
    const id = newEntryId();
    const headers = submission.headers.filter(([name]) => !name.startsWith(':') && !NOT_KEPT.has(name));
    const request = sealRequest(keyring, { headers, body: submission.body, origin });
    const group = submission.decision.group;
    await store.enqueue({
      id,
      group,
      rule: submission.decision.rule,
      user: submission.facts.user,
      source: submission.facts.source,
      priority: submission.rule?.queuePriority ?? 0,
      userLimit: submission.rule?.maxRunningPerUser,
      enqueuedAt: submission.receivedAt,
      request,
    });
    onHeld?.({ id, group });
    return this.queuedReply(origin, id, 0, undefined);
  }

  async preview(submission: HeldSubmission): Promise<ReplyInstruction> {
    const { store, now } = this.options;
    const group = submission.decision.group;
    const priority = submission.rule?.queuePriority ?? 0;
    const ahead = (await store.waiting(group, now(), PREVIEW_LIMIT)).filter((e) => e.priority >= priority).length;
    const behind = ahead >= PREVIEW_LIMIT ? `${PREVIEW_LIMIT}+` : String(ahead);
    return {
      kind: 'reply',
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({
        message: `would be queued behind ${behind} in group ${group} (priority ${priority}); handed to a backend of the group as soon as one is under its running-query limits`,
        queuedBehind: ahead,
      }),
      reason: 'queued',
    };
  }

  async answer(method: string, path: string, origin: string | undefined): Promise<ReplyInstruction> {
    const verdict = verifyQueuePath(this.options.keyring, path);
    if (!verdict.valid) {
      return routerErrorReply('forged_prefix', `The router's queue URL is not valid (${verdict.reason.replaceAll('_', ' ')})`, {
        method, path, origin, unavailable: 'failed-query',
      });
    }
    const { store, now } = this.options;
    if (method === 'DELETE') {
      await store.cancel(verdict.id, now());
      return { kind: 'reply', status: 204, contentType: 'text/plain; charset=utf-8', body: '', reason: 'queue_cancelled' };
    }
    const touchEveryMs = this.options.touchEveryMs;
    const started = now();
    let polled = await store.poll(verdict.id, started, started - touchEveryMs);
    if (polled !== undefined && isWaiting(polled.entry)) {
      // Held for news as Trino holds a poll, within a budget that includes the store read, so the
      // answer reaches Envoy well inside its message timeout. Read again only when this replica
      // handed the query over meanwhile; another replica's hand-over shows at the next poll.
      const budget = this.options.pollHoldMs - (now() - started);
      const handedOver = budget > 0 && await this.options.signals.wait(verdict.id, budget);
      if (handedOver) polled = await store.poll(verdict.id, now(), now() - touchEveryMs);
    }
    if (polled === undefined) return gone(verdict.id, 'This queued query is not known to the router (it ended long ago, or never existed)', 'queue_gone');
    const entry = polled.entry;
    switch (entry.state) {
      case 'queued':
      case 'claimed':
        if (origin === undefined) return gone(entry.id, 'The router cannot answer a poll without a valid Host or :authority header', 'queue_gone');
        return this.queuedReply(origin, entry.id, now() - entry.enqueuedAt, polled.ahead);
      case 'dispatched':
      case 'failed': {
        const answer = entry.answer === undefined ? undefined : decodeAnswer(entry.answer);
        if (answer === undefined) return gone(entry.id, 'The router lost the answer of this query\'s cluster', 'queue_gone');
        return { kind: 'reply', status: answer.status, contentType: answer.contentType, body: answer.body, reason: 'queue_handover' };
      }
      case 'cancelled':
        return failed(entry.id, 'Query was canceled while it waited in the router\'s queue', USER_CANCELED);
      case 'abandoned':
        return failed(entry.id, 'Query was abandoned in the router\'s queue: the client stopped polling it', ABANDONED_QUERY);
    }
  }

  private queuedReply(origin: string, id: string, waitedMs: number, position: number | undefined): ReplyInstruction {
    const nextUri = `${origin}${queuePath(this.options.keyring, id)}`;
    return {
      kind: 'reply',
      status: 200,
      contentType: QUERY_RESULTS_CONTENT_TYPE,
      body: queuedQueryResultsJson({ queryId: queuedQueryId(id), nextUri, queuedTimeMillis: waitedMs, ...(position === undefined ? {} : { position }) }),
      reason: 'queued' satisfies QueueReplyReason,
    };
  }
}

/** Why a submission cannot be queued (the client gets it as the refusal's message). */
export class QueueRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueRefusal';
  }
}

/** The id a queued query shows until its cluster gives it a Trino query id. */
export function queuedQueryId(entryId: string): string {
  return `router_queued_${entryId}`;
}

function isWaiting(entry: QueueEntry): boolean {
  return entry.state === 'queued' || entry.state === 'claimed';
}

function failed(entryId: string, message: string, error: typeof USER_CANCELED): ReplyInstruction {
  return {
    kind: 'reply',
    status: 200,
    contentType: QUERY_RESULTS_CONTENT_TYPE,
    body: failedQueryResultsJson({ queryId: queuedQueryId(entryId), message, error }),
    reason: 'queue_gone' satisfies QueueReplyReason,
  };
}

function gone(entryId: string, message: string, reason: QueueReplyReason): ReplyInstruction {
  return { ...failed(entryId, message, ABANDONED_QUERY), reason };
}
