import { describe, expect, it } from 'vitest';
import { createStrategyState, pickCandidate, type Candidate } from '../../../src/routing/strategies.js';

function candidate(backend: string, weight = 1, load = 0, maxLoad?: number): Candidate {
  return { member: { backend, weight }, load, maxLoad };
}

/** A seeded generator so statistical tests are reproducible. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('strategies', () => {
  it('weighted 90/10 stays within statistical bounds over 10,000 decisions', () => {
    const state = createStrategyState(seeded(42));
    const candidates = [candidate('stable', 90), candidate('canary', 10)];
    let canary = 0;
    for (let i = 0; i < 10_000; i++) if (pickCandidate('weighted', 'g', candidates, state)?.member.backend === 'canary') canary++;
    // Binomial(10000, 0.1): sd = 30; 4 sd either side.
    expect(canary).toBeGreaterThan(1000 - 120);
    expect(canary).toBeLessThan(1000 + 120);
  });

  it('weighted never picks a zero-weight member', () => {
    const state = createStrategyState(seeded(7));
    const candidates = [candidate('a', 0), candidate('b', 1)];
    for (let i = 0; i < 1000; i++) expect(pickCandidate('weighted', 'g', candidates, state)?.member.backend).toBe('b');
  });

  it('random covers every member', () => {
    const state = createStrategyState(seeded(1));
    const seen = new Set<string>();
    const candidates = [candidate('a'), candidate('b'), candidate('c')];
    for (let i = 0; i < 300; i++) seen.add(pickCandidate('random', 'g', candidates, state)!.member.backend);
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
  });

  it('round robin keeps one counter per group', () => {
    const state = createStrategyState();
    const candidates = [candidate('a'), candidate('b')];
    expect(pickCandidate('round_robin', 'g1', candidates, state)?.member.backend).toBe('a');
    expect(pickCandidate('round_robin', 'g2', candidates, state)?.member.backend).toBe('a');
    expect(pickCandidate('round_robin', 'g1', candidates, state)?.member.backend).toBe('b');
  });

  it('least load picks the most free capacity', () => {
    const state = createStrategyState(seeded(3));
    expect(pickCandidate('least_load', 'g', [candidate('a', 1, 5), candidate('b', 1, 2)], state)?.member.backend).toBe('b');
    // Weight stands for size: 10 running on a weight-4 cluster is lighter than 5 on weight 1.
    expect(pickCandidate('least_load', 'g', [candidate('big', 4, 10), candidate('small', 1, 5)], state)?.member.backend).toBe('big');
    // With ceilings, free capacity decides.
    expect(pickCandidate('least_load', 'g', [candidate('a', 1, 50, 100), candidate('b', 1, 5, 20)], state)?.member.backend).toBe('a');
  });

  it('nothing to pick from yields undefined', () => {
    expect(pickCandidate('round_robin', 'g', [], createStrategyState())).toBeUndefined();
  });
});
