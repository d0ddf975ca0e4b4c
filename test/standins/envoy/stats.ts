/** Counters the tests read through EnvoyStandin.stats() / lastLocalReply(). */
export interface StatsSnapshot {
  requests: number;
  localReplies: Record<string, number>;
  extProcStreams: number;
  extProcErrors: number;
  /** ext_authz Check calls made, and those that failed (unreachable, deadline, gRPC error). */
  extAuthzChecks: number;
  extAuthzErrors: number;
  /** ext_proc messages sent to the server, by ProcessingRequest field (request_headers, request_body, ...). */
  extProcMessages: Record<string, number>;
}

export interface LocalReplyRecord {
  status: number;
  /** The stats key: a response flag (NC, NR, UH, UF, UC, UT, SI) or a reason (message_timeout, ext_proc_error, ...). */
  reason: string;
  /** Envoy-style response code details, when known. */
  details?: string;
}

export class StandinStats {
  requests = 0;
  extProcStreams = 0;
  extProcErrors = 0;
  extAuthzChecks = 0;
  extAuthzErrors = 0;
  private readonly replies = new Map<string, number>();
  private readonly messages = new Map<string, number>();

  extProcMessage(phase: string): void {
    this.messages.set(phase, (this.messages.get(phase) ?? 0) + 1);
  }
  private last: LocalReplyRecord | undefined;

  localReply(status: number, reason: string, details?: string): void {
    this.replies.set(reason, (this.replies.get(reason) ?? 0) + 1);
    this.last = details === undefined ? { status, reason } : { status, reason, details };
  }

  lastLocalReply(): LocalReplyRecord | undefined {
    return this.last === undefined ? undefined : { ...this.last };
  }

  snapshot(): StatsSnapshot {
    return {
      requests: this.requests,
      localReplies: Object.fromEntries(this.replies),
      extProcStreams: this.extProcStreams,
      extProcErrors: this.extProcErrors,
      extAuthzChecks: this.extAuthzChecks,
      extAuthzErrors: this.extAuthzErrors,
      extProcMessages: Object.fromEntries(this.messages),
    };
  }
}
