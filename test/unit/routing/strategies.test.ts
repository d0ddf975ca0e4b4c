import { describe, expect, it } from 'vitest';
import { decide } from '../../../src/routing/engine.js';
import type { RoutingConfig } from '../../../src/routing/model.js';
import { compileSnapshot } from '../../../src/routing/snapshot.js';
import { createStrategyState, pickCandidate, type Candidate } from '../../../src/routing/strategies.js';
import { backend, facts } from './fixtures.js';

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

  it('weighted 90/10 canary through the engine: within bounds over 10,000 decisions', () => {
    const config: RoutingConfig = {
      backends: [backend('stable'), backend('canary')],
      groups: [{ name: 'g', strategy: 'weighted', members: [{ backend: 'stable', weight: 90 }, { backend: 'canary', weight: 10 }] }],
      rules: [],
      defaultGroup: 'g',
    };
    const snapshot = compileSnapshot(config, 1);
    const state = createStrategyState(seeded(2026));
    const counts = { stable: 0, canary: 0 };
    for (let i = 0; i < 10_000; i++) {
      const decision = decide(snapshot, facts(), new Map(), state);
      if (decision.outcome === 'routed') counts[decision.backend as 'stable' | 'canary']++;
    }
    expect(counts.stable + counts.canary).toBe(10_000);
    // Binomial(10000, 0.1): sd = 30; 4 sd either side.
    expect(Math.abs(counts.canary - 1000)).toBeLessThan(120);
  });

  it('least load with ceilings spreads picks in proportion to free capacity (largest remainder)', () => {
    const state = createStrategyState(seeded(5));
    // Free capacity 60 and 20 and 20 at the last poll; picks are counted in flight.
    const polled = [{ name: 'a', max: 100, load: 40 }, { name: 'b', max: 50, load: 30 }, { name: 'c', max: 20, load: 0 }];
    const sent: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 50; i++) {
      const candidates = polled
        .filter((p) => p.load + sent[p.name]! < p.max)
        .map((p) => ({ ...candidate(p.name, 1, p.load + sent[p.name]!, p.max), inFlight: sent[p.name]!, polledLoad: p.load }));
      sent[pickCandidate('least_load', 'g', candidates, state)!.member.backend]!++;
    }
    // 50 picks over free capacity 60:20:20 -> 30:10:10.
    expect(sent).toEqual({ a: 30, b: 10, c: 10 });
  });

  it('least load without ceilings: queries sent since the poll count, so a burst alternates by size', () => {
    const state = createStrategyState(seeded(9));
    const sent: Record<string, number> = { big: 0, small: 0 };
    for (let i = 0; i < 100; i++) {
      const candidates = [
        { ...candidate('big', 3, sent.big!), inFlight: sent.big!, polledLoad: 0 },
        { ...candidate('small', 1, sent.small!), inFlight: sent.small!, polledLoad: 0 },
      ];
      sent[pickCandidate('least_load', 'g', candidates, state)!.member.backend]!++;
    }
    expect(Math.abs(sent.big! - 75)).toBeLessThanOrEqual(1);
  });

  it('least load in a group mixing members with and without a ceiling compares load per weight', () => {
    const state = createStrategyState(seeded(4));
    // By free capacity `capped` (90 free) would win; by load per weight `open` does.
    expect(pickCandidate('least_load', 'g', [candidate('capped', 1, 10, 100), candidate('open', 1, 2)], state)?.member.backend).toBe('open');
  });

  it('nothing to pick from yields undefined', () => {
    expect(pickCandidate('round_robin', 'g', [], createStrategyState())).toBeUndefined();
  });
});
