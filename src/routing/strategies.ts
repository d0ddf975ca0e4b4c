/**
 * Picking one backend among the eligible members of a group. Pure: counters, randomness and
 * recent-submission counts come in through StrategyState and the candidates so tests can
 * drive them.
 */
import type { GroupMember, StrategyName } from './model.js';

export interface StrategyState {
  /** Returns the group's round-robin counter and advances it. */
  nextTick(group: string): number;
  /** Uniform in [0, 1). */
  random(): number;
}

/** An eligible member with what the load-aware strategy needs to know. */
export interface Candidate {
  readonly member: GroupMember;
  /** Load from the last poll plus submissions routed since then. */
  readonly load: number;
  /** Backend's load ceiling, if any: free capacity is ceiling - load. */
  readonly maxLoad: number | undefined;
  /** Submissions routed since the last load poll (counted in `load`); absent: 0. */
  readonly inFlight?: number | undefined;
  /** Load of the last poll alone; absent: `load`. */
  readonly polledLoad?: number | undefined;
}

export function pickCandidate(
  strategy: StrategyName,
  group: string,
  candidates: readonly Candidate[],
  state: StrategyState,
): Candidate | undefined {
  if (candidates.length === 0) return undefined;
  if (candidates.length === 1) return candidates[0];
  switch (strategy) {
    case 'round_robin':
      return candidates[state.nextTick(group) % candidates.length];
    case 'random':
      return candidates[Math.floor(state.random() * candidates.length)];
    case 'weighted':
      return pickWeighted(candidates, state.random());
    case 'least_load':
      return pickLeastLoaded(candidates, state.random());
  }
}

function pickWeighted(candidates: readonly Candidate[], roll: number): Candidate | undefined {
  let total = 0;
  for (const c of candidates) total += c.member.weight;
  if (total <= 0) return undefined;
  let point = roll * total;
  for (const c of candidates) {
    point -= c.member.weight;
    if (point < 0 && c.member.weight > 0) return c;
  }
  // Floating-point leftovers: the last member with weight.
  for (let i = candidates.length - 1; i >= 0; i--) if (candidates[i]!.member.weight > 0) return candidates[i];
  return undefined;
}

/**
 * Least load, in one of two ways depending on what the group's members declare:
 *
 * - Every candidate has a ceiling (maxLoad): free capacity is known, so a burst is spread in
 *   proportion to it. Each pick goes to the highest `headroom / (inFlight + 1)`, where
 *   headroom is maxLoad minus the polled load and inFlight counts the queries already sent
 *   since that poll: the largest-remainder (D'Hondt) rule, so after n picks each backend holds
 *   about n * its share of the free capacity, and none goes past its ceiling.
 * - Otherwise the member's weight stands for its size and the lowest `load / weight` wins;
 *   `load` includes the queries sent since the poll, so a burst alternates instead of landing
 *   on whichever backend was idle at the last poll.
 *
 * Ties break at random so equal clusters share a burst.
 */
function pickLeastLoaded(candidates: readonly Candidate[], roll: number): Candidate | undefined {
  const allCapped = candidates.every((c) => c.maxLoad !== undefined);
  let best: Candidate[] = [];
  let bestScore = Infinity;
  for (const c of candidates) {
    const score = allCapped ? -headroomShare(c) : c.load / Math.max(c.member.weight, Number.EPSILON);
    if (score < bestScore) {
      bestScore = score;
      best = [c];
    } else if (score === bestScore) {
      best.push(c);
    }
  }
  return best[Math.floor(roll * best.length)];
}

/** Free capacity at the last poll, divided among the queries sent since plus this one. */
function headroomShare(c: Candidate): number {
  const headroom = Math.max(0, (c.maxLoad ?? 0) - (c.polledLoad ?? c.load));
  return headroom / ((c.inFlight ?? 0) + 1);
}

/** A StrategyState whose round-robin counters can also be read without advancing them (explain). */
export interface PeekableStrategyState extends StrategyState {
  peekTick(group: string): number;
}

/** Default StrategyState: counters in a Map, Math.random; peekable so explain can name the next backend. */
export function createStrategyState(random: () => number = Math.random): PeekableStrategyState {
  const ticks = new Map<string, number>();
  return {
    nextTick(group) {
      const tick = ticks.get(group) ?? 0;
      ticks.set(group, tick + 1 >= Number.MAX_SAFE_INTEGER ? 0 : tick + 1);
      return tick;
    },
    peekTick: (group) => ticks.get(group) ?? 0,
    random,
  };
}
