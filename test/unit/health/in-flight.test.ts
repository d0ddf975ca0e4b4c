import { describe, expect, it } from 'vitest';
import { InFlightCounter, routedSubmission } from '../../../src/health/in-flight.js';
import { facts } from '../routing/fixtures.js';
import { submissionTo } from './monitor-fixture.js';

describe('in-flight counting', () => {
  it('counts per backend until a poll that started after them answers', () => {
    const counter = new InFlightCounter();
    counter.record('a');
    counter.record('a');
    counter.record('b');
    const mark = counter.mark('a');
    // Routed while the poll is on its way: the poll cannot have seen it.
    counter.record('a');
    expect(counter.count('a')).toBe(3);
    counter.settle('a', mark);
    expect(counter.count('a')).toBe(1);
    expect(counter.count('b')).toBe(1);
    // An older poll answering late changes nothing.
    counter.settle('a', 1);
    expect(counter.count('a')).toBe(1);
    counter.forget('a');
    expect(counter.count('a')).toBe(0);
    expect(counter.count('never')).toBe(0);
  });

  it('only submissions the rules forwarded count', () => {
    expect(routedSubmission(submissionTo('a'))).toBe('a');
    const base = submissionTo('a');
    expect(routedSubmission({ ...base, facts: facts({ method: 'GET', path: '/v1/statement' }) })).toBeUndefined();
    expect(routedSubmission({ ...base, facts: facts({ path: '/v1/query/x' }) })).toBeUndefined();
    expect(routedSubmission({ ...base, instruction: { ...base.instruction, mechanism: 'transaction', decision: undefined } as typeof base.instruction })).toBeUndefined();
    expect(routedSubmission({ ...base, instruction: { kind: 'reply', status: 503, contentType: 'text/plain', body: '', reason: 'no_backend' } })).toBeUndefined();
  });
});
