/**
 * Queries the router has just sent to each backend, which the last load poll could not see
 * yet. least_load adds them to the polled load so a burst between two polls spreads across
 * the group instead of landing on whichever backend looked idle at the last poll.
 *
 * A poll takes a mark when it starts; when its round is over, only the submissions routed
 * before the mark are dropped from the count (its answer includes them), those routed while
 * the poll was on its way still count. A round that could not read the load ends the count
 * too: the last known load plus one interval's submissions is the best estimate there is.
 */
import type { EdgeObserver } from '../envoy/edge-observer.js';
import type { RequestContext } from '../routing/request-router.js';

interface Counts {
  /** Submissions routed to the backend since it was first counted. */
  total: number;
  /** `total` at the start of the last poll whose answer arrived. */
  settled: number;
}

export class InFlightCounter {
  private readonly counts = new Map<string, Counts>();

  /** One new query was routed to `backend`. */
  record(backend: string): void {
    const counts = this.counts.get(backend);
    if (counts === undefined) this.counts.set(backend, { total: 1, settled: 0 });
    else counts.total++;
  }

  /** Queries routed since the last settled poll. */
  count(backend: string): number {
    const counts = this.counts.get(backend);
    return counts === undefined ? 0 : counts.total - counts.settled;
  }

  /** Taken when a load poll starts; pass it to settle() when its answer arrives. */
  mark(backend: string): number {
    return this.counts.get(backend)?.total ?? 0;
  }

  /** A poll started at `mark` answered: what was routed before it is in the polled load now. */
  settle(backend: string, mark: number): void {
    const counts = this.counts.get(backend);
    if (counts !== undefined && mark > counts.settled) counts.settled = Math.min(mark, counts.total);
  }

  forget(backend: string): void {
    this.counts.delete(backend);
  }
}

/** A new query the rules sent to a backend: a submission (POST /v1/statement) that was forwarded. */
export function routedSubmission(context: RequestContext): string | undefined {
  const instruction = context.instruction;
  if (instruction.kind !== 'forward' || instruction.mechanism !== 'rules' || instruction.decision === undefined) return undefined;
  // Rules also route status and UI paths; only a statement submission starts a query.
  const facts = context.facts;
  if (facts?.method !== 'POST' || facts.path !== '/v1/statement') return undefined;
  return instruction.backend;
}

/** Feeds routed submissions to `onSubmission`; every other report is ignored. */
export function submissionObserver(onSubmission: (backend: string) => void): EdgeObserver {
  return {
    streamOpened: () => undefined,
    streamClosed: () => undefined,
    streamError: () => undefined,
    routed: (_edge, context) => {
      const backend = routedSubmission(context);
      if (backend !== undefined) onSubmission(backend);
    },
  };
}
