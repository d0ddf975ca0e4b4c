import { describe, expect, it } from 'vitest';
import { readTransactionHeaders } from '../../../src/trino/response-headers.js';

describe('readTransactionHeaders', () => {
  it('reads a started transaction', () => {
    expect(readTransactionHeaders([[':status', '200'], ['x-trino-started-transaction-id', 'a1b2c3d4-0000-1111-2222-333344445555']])).toEqual({
      startedTransactionId: 'a1b2c3d4-0000-1111-2222-333344445555',
      clearTransactionId: false,
    });
  });

  it('reads a cleared transaction (Trino sends "true"; presence is what counts)', () => {
    expect(readTransactionHeaders([['x-trino-clear-transaction-id', 'true']])).toEqual({ startedTransactionId: undefined, clearTransactionId: true });
  });

  it('reads the X-Presto- forms', () => {
    expect(readTransactionHeaders([['x-presto-started-transaction-id', ' t1 ']]).startedTransactionId).toBe('t1');
    expect(readTransactionHeaders([['x-presto-clear-transaction-id', 'true']]).clearTransactionId).toBe(true);
  });

  it('nothing to learn from other headers; the first started id wins; blank is none', () => {
    expect(readTransactionHeaders([['content-type', 'application/json'], ['x-trino-set-catalog', 'hive']])).toEqual({
      startedTransactionId: undefined,
      clearTransactionId: false,
    });
    expect(readTransactionHeaders([['x-trino-started-transaction-id', 'a'], ['x-trino-started-transaction-id', 'b']]).startedTransactionId).toBe('a');
    expect(readTransactionHeaders([['x-trino-started-transaction-id', ' ']]).startedTransactionId).toBeUndefined();
  });
});
