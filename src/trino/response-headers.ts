/**
 * The coordinator's response headers that change where later requests must go: a
 * transaction started (`X-Trino-Started-Transaction-Id: <id>`) or ended
 * (`X-Trino-Clear-Transaction-Id`, whose presence is the signal; Trino sends `true`).
 * `X-Presto-` forms are read too, for servers speaking the older protocol.
 */
import type { HeaderList } from './header-list.js';

export interface TransactionHeaders {
  /** The transaction the request just started; every request of it must reach this coordinator. */
  readonly startedTransactionId: string | undefined;
  /** The request ended its transaction (commit, rollback or failure). */
  readonly clearTransactionId: boolean;
}

const NONE: TransactionHeaders = Object.freeze({ startedTransactionId: undefined, clearTransactionId: false });

/** Reads the transaction headers of a response; the first Started-Transaction-Id line wins. */
export function readTransactionHeaders(headers: HeaderList): TransactionHeaders {
  let started: string | undefined;
  let cleared = false;
  for (const [name, value] of headers) {
    if (name.charCodeAt(0) !== 0x78 || name.charCodeAt(1) !== 0x2d) continue;
    switch (name) {
      case 'x-trino-started-transaction-id':
      case 'x-presto-started-transaction-id':
        if (started === undefined) {
          const trimmed = value.trim();
          if (trimmed.length > 0) started = trimmed;
        }
        break;
      case 'x-trino-clear-transaction-id':
      case 'x-presto-clear-transaction-id':
        cleared = true;
        break;
    }
  }
  if (started === undefined && !cleared) return NONE;
  return { startedTransactionId: started, clearTransactionId: cleared };
}
