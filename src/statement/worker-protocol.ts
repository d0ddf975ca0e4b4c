import type { StatementOutcome } from './facts.js';

export interface WorkerRequest {
  readonly id: number;
  readonly sql: string;
  readonly catalog: string | undefined;
  readonly schema: string | undefined;
  readonly prepared: readonly (readonly [string, string])[];
}
export interface WorkerReply { readonly id: number; readonly outcome: StatementOutcome }
