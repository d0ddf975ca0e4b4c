/**
 * Who owns which query, coordinator and transaction, in PostgreSQL (the OwnershipStore port),
 * shared by every replica. A journal batch is one statement per kind (unnest of arrays), so a
 * batch of thousands is a handful of round trips, and is announced to the other replicas.
 */
import type { LearnedBy, OwnershipChange } from '../../stickiness/ownership.js';
import type {
  CoordinatorRecord,
  LoginFlowRecord,
  OwnershipStore,
  PruneCounts,
  PruneOptions,
  QueryOwnerRecord,
  TransactionRecord,
} from '../../stickiness/ownership-store.js';
import type { PostgresConnection } from './connection.js';
import { encodeOwnership, OWNERSHIP_CHANNEL } from './notifications.js';

interface QueryOwnerRow { query_id: string; backend: string; learned_by: string; created_at: number }
interface CoordinatorRow { coordinator_id: string; backend: string; seen_at: number }
interface TransactionRow { transaction_id: string; backend: string; created_at: number }
interface LoginFlowRow { auth_id_hash: string; backend: string; created_at: number }

export class PostgresOwnershipStore implements OwnershipStore {
  constructor(
    private readonly connection: PostgresConnection,
    /** Tags this replica's announcements, so its own feed skips them. */
    private readonly origin: string,
  ) {}

  applyChanges(changes: readonly OwnershipChange[]): Promise<void> {
    // The last change per key wins, as when the batch is applied in order.
    const queries = new Map<string, Extract<OwnershipChange, { kind: 'query' }>>();
    const coordinators = new Map<string, Extract<OwnershipChange, { kind: 'coordinator' }>>();
    const transactions = new Map<string, OwnershipChange>();
    const loginFlows = new Map<string, Extract<OwnershipChange, { kind: 'login_flow' }>>();
    for (const change of changes) {
      if (change.kind === 'query') queries.set(change.queryId, change);
      else if (change.kind === 'coordinator') coordinators.set(change.coordinatorId, change);
      else if (change.kind === 'login_flow') {
        // The first challenge of an auth id stays, as in the index.
        if (!loginFlows.has(change.authIdHash)) loginFlows.set(change.authIdHash, change);
      } else transactions.set(change.transactionId, change);
    }
    if (changes.length === 0) return Promise.resolve();
    return this.connection.transaction('write ownership', async (client) => {
      if (queries.size > 0) {
        const rows = [...queries.values()];
        await client.query(
          `INSERT INTO query_owners (query_id, backend, learned_by, created_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
           ON CONFLICT (query_id) DO UPDATE SET backend = excluded.backend, learned_by = excluded.learned_by, created_at = excluded.created_at`,
          [rows.map((r) => r.queryId), rows.map((r) => r.backend), rows.map((r) => r.learnedBy), rows.map((r) => r.at)]);
      }
      if (coordinators.size > 0) {
        const rows = [...coordinators.values()];
        await client.query(
          `INSERT INTO coordinators (coordinator_id, backend, seen_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
           ON CONFLICT (coordinator_id) DO UPDATE SET backend = excluded.backend, seen_at = excluded.seen_at`,
          [rows.map((r) => r.coordinatorId), rows.map((r) => r.backend), rows.map((r) => r.at)]);
      }
      const started = [...transactions.values()].filter((c): c is Extract<OwnershipChange, { kind: 'transaction_started' }> => c.kind === 'transaction_started');
      const ended = [...transactions.values()].filter((c) => c.kind === 'transaction_ended').map((c) => (c as { transactionId: string }).transactionId);
      if (ended.length > 0) await client.query('DELETE FROM transactions WHERE transaction_id = ANY ($1::text[])', [ended]);
      if (started.length > 0) {
        await client.query(
          `INSERT INTO transactions (transaction_id, backend, created_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
           ON CONFLICT (transaction_id) DO UPDATE SET backend = excluded.backend, created_at = excluded.created_at`,
          [started.map((r) => r.transactionId), started.map((r) => r.backend), started.map((r) => r.at)]);
      }
      if (loginFlows.size > 0) {
        const rows = [...loginFlows.values()];
        await client.query(
          `INSERT INTO login_flows (auth_id_hash, backend, created_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
           ON CONFLICT (auth_id_hash) DO NOTHING`,
          [rows.map((r) => r.authIdHash), rows.map((r) => r.backend), rows.map((r) => r.at)]);
      }
      // Delivered at commit: every replica learns the batch at once (a follow-up landing there
      // is routed by query id); a rolled-back batch is never announced.
      for (const payload of encodeOwnership(this.origin, changes)) {
        await client.query('SELECT pg_notify($1, $2)', [OWNERSHIP_CHANNEL, payload]);
      }
    });
  }

  async findQueryOwner(queryId: string): Promise<QueryOwnerRecord | undefined> {
    const result = await this.connection.query<QueryOwnerRow>('read a query owner',
      'SELECT query_id, backend, learned_by, created_at FROM query_owners WHERE query_id = $1', [queryId]);
    const row = result.rows[0];
    return row === undefined ? undefined : queryOwnerFromRow(row);
  }

  async loadRecentQueryOwners(since: number, limit: number): Promise<QueryOwnerRecord[]> {
    const result = await this.connection.query<QueryOwnerRow>('read query owners',
      `SELECT * FROM (
         SELECT query_id, backend, learned_by, created_at FROM query_owners
         WHERE created_at >= $1 ORDER BY created_at DESC, query_id DESC LIMIT $2
       ) AS newest ORDER BY created_at, query_id`, [since, Math.max(0, Math.floor(limit))]);
    return result.rows.map(queryOwnerFromRow);
  }

  async listCoordinators(): Promise<CoordinatorRecord[]> {
    const result = await this.connection.query<CoordinatorRow>('read coordinators',
      'SELECT coordinator_id, backend, seen_at FROM coordinators ORDER BY seen_at, coordinator_id');
    return result.rows.map((r) => ({ coordinatorId: r.coordinator_id, backend: r.backend, at: r.seen_at }));
  }

  async listTransactions(): Promise<TransactionRecord[]> {
    const result = await this.connection.query<TransactionRow>('read transactions',
      'SELECT transaction_id, backend, created_at FROM transactions ORDER BY created_at, transaction_id');
    return result.rows.map((r) => ({ transactionId: r.transaction_id, backend: r.backend, at: r.created_at }));
  }

  async findLoginFlow(authIdHash: string): Promise<LoginFlowRecord | undefined> {
    const result = await this.connection.query<LoginFlowRow>('read a login flow',
      'SELECT auth_id_hash, backend, created_at FROM login_flows WHERE auth_id_hash = $1', [authIdHash]);
    const row = result.rows[0];
    return row === undefined ? undefined : loginFlowFromRow(row);
  }

  async loadRecentLoginFlows(since: number, limit: number): Promise<LoginFlowRecord[]> {
    const result = await this.connection.query<LoginFlowRow>('read login flows',
      `SELECT * FROM (
         SELECT auth_id_hash, backend, created_at FROM login_flows
         WHERE created_at >= $1 ORDER BY created_at DESC, auth_id_hash DESC LIMIT $2
       ) AS newest ORDER BY created_at, auth_id_hash`, [since, Math.max(0, Math.floor(limit))]);
    return result.rows.map(loginFlowFromRow);
  }

  prune(options: PruneOptions): Promise<PruneCounts> {
    return this.connection.transaction('prune ownership', async (client) => {
      let queryOwners = (await client.query('DELETE FROM query_owners WHERE created_at < $1', [options.olderThan])).rowCount ?? 0;
      queryOwners += (await client.query(
        `DELETE FROM query_owners WHERE query_id IN (
           SELECT query_id FROM query_owners ORDER BY created_at DESC, query_id DESC OFFSET $1)`,
        [Math.max(0, Math.floor(options.maxRows))])).rowCount ?? 0;
      const transactions = options.transactionsOlderThan === undefined
        ? 0
        : (await client.query('DELETE FROM transactions WHERE created_at < $1', [options.transactionsOlderThan])).rowCount ?? 0;
      const coordinators = options.coordinatorsOlderThan === undefined
        ? 0
        : (await client.query('DELETE FROM coordinators WHERE seen_at < $1', [options.coordinatorsOlderThan])).rowCount ?? 0;
      let loginFlows = options.loginFlowsOlderThan === undefined
        ? 0
        : (await client.query('DELETE FROM login_flows WHERE created_at < $1', [options.loginFlowsOlderThan])).rowCount ?? 0;
      if (options.maxLoginFlows !== undefined) {
        loginFlows += (await client.query(
          `DELETE FROM login_flows WHERE auth_id_hash IN (
             SELECT auth_id_hash FROM login_flows ORDER BY created_at DESC, auth_id_hash DESC OFFSET $1)`,
          [Math.max(0, Math.floor(options.maxLoginFlows))])).rowCount ?? 0;
      }
      return { queryOwners, transactions, coordinators, loginFlows };
    });
  }
}

function loginFlowFromRow(row: LoginFlowRow): LoginFlowRecord {
  return { authIdHash: row.auth_id_hash, backend: row.backend, at: Number(row.created_at) };
}

function queryOwnerFromRow(row: QueryOwnerRow): QueryOwnerRecord {
  return { queryId: row.query_id, backend: row.backend, learnedBy: row.learned_by as LearnedBy, at: row.created_at };
}
