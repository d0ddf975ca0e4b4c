/**
 * The load score the least_load strategy and the per-backend ceiling (maxLoad) compare:
 * running and queued queries, weighted. Running queries weigh more by default: they hold
 * memory and CPU now, while a queued query only says the cluster is saturated.
 */
export interface LoadWeights {
  readonly running: number;
  readonly queued: number;
}

export const DEFAULT_LOAD_WEIGHTS: LoadWeights = { running: 1, queued: 0.5 };

export function loadScore(running: number, queued: number, weights: LoadWeights): number {
  return running * weights.running + queued * weights.queued;
}

/**
 * What one query routed since the last poll adds to the score. It will run or queue, which is
 * not known yet; the larger weight keeps a burst from overfilling a backend.
 */
export function inFlightWeight(weights: LoadWeights): number {
  return Math.max(weights.running, weights.queued);
}
