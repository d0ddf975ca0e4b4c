/** PostgreSQL's ownership announcements (notifications.ts): every change kind, login flows included, round-trips. */
import { describe, expect, it } from 'vitest';
import { decodeOwnership, encodeOwnership } from '../../../src/store/postgres/notifications.js';
import type { OwnershipChange } from '../../../src/stickiness/ownership.js';

describe('ownership announcements', () => {
  it('round-trip every kind, in order', () => {
    const changes: OwnershipChange[] = [
      { kind: 'query', queryId: 'q1', backend: 'trino-a', learnedBy: 'response', at: 1 },
      { kind: 'coordinator', coordinatorId: 'abcde', backend: 'trino-b', at: 2 },
      { kind: 'transaction_started', transactionId: 't1', backend: 'trino-a', at: 3 },
      { kind: 'transaction_ended', transactionId: 't1', at: 4 },
      { kind: 'login_flow', authIdHash: 'f'.repeat(64), backend: 'trino-b', at: 5 },
    ];
    const payloads = encodeOwnership('replica-1', changes);
    expect(payloads.flatMap((p) => decodeOwnership(p)?.changes ?? [])).toEqual(changes);
    expect(decodeOwnership(payloads[0]!)?.origin).toBe('replica-1');
  });

  it('a payload with an unknown kind is not ours', () => {
    expect(decodeOwnership(JSON.stringify({ o: 'r', c: [['z', 'x', 'b', '', 1]] }))).toBeUndefined();
  });
});
