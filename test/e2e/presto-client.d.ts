// The parts of presto-client (untyped) the e2e test uses.
declare module 'presto-client' {
  export interface ExecuteOptions {
    query: string;
    source?: string;
    cancel?: () => boolean;
    state?: (error: unknown, queryId: string, stats: { state: string }) => void;
    data?: (error: unknown, data: unknown[][], columns: unknown[], stats: unknown) => void;
    success?: (error: unknown, stats: { state: string }) => void;
    error?: (error: { message: string; code?: number }) => void;
  }
  export class Client {
    constructor(options: { host: string; port: number; user: string; engine?: 'presto' | 'trino'; checkInterval?: number; source?: string });
    execute(options: ExecuteOptions): void;
    kill(queryId: string, callback: (error: unknown) => void): void;
  }
}
