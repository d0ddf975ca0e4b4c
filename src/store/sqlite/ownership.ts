/**
 * Who owns which query, coordinator and transaction, in SQLite (the OwnershipStore port), so
 * a restarted router (or a replica on the same file) can route follow-ups it did not see
 * start. Written in batches by the ownership journal; never on the request path.
 */
import type Database from 'better-sqlite3';
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
import type { SqliteConnection } from './connection.js';

interface QueryOwnerRow { query_id: string; backend: string; learned_by: string; created_at: number }
interface CoordinatorRow { coordinator_id: string; backend: string; seen_at: number }
interface TransactionRow { transaction_id: string; backend: string; created_at: number }
interface LoginFlowRow { auth_id_hash: string; backend: string; created_at: number }

export class SqliteOwnershipStore implements OwnershipStore {
  private readonly sql: OwnershipStatements;

  constructor(private readonly connection: SqliteConnection) {
    this.sql = prepareOwnershipStatements(connection.db);
  }

  applyChanges(changes: readonly OwnershipChange[]): Promise<void> {
    return this.connection.run('write ownership', (db) => db.transaction(() => {
      for (const change of changes) {
        switch (change.kind) {
          case 'query':
            this.sql.upsertQueryOwner.run(change.queryId, change.backend, change.learnedBy, change.at);
            break;
          case 'coordinator':
            this.sql.upsertCoordinator.run(change.coordinatorId, change.backend, change.at);
            break;
          case 'transaction_started':
            this.sql.upsertTransaction.run(change.transactionId, change.backend, change.at);
            break;
          case 'transaction_ended':
            this.sql.deleteTransaction.run(change.transactionId);
            break;
          case 'login_flow':
            this.sql.insertLoginFlow.run(change.authIdHash, change.backend, change.at);
            break;
        }
      }
    })());
  }

  findQueryOwner(queryId: string): Promise<QueryOwnerRecord | undefined> {
    return this.connection.run('read a query owner', () => {
      const row = this.sql.findQueryOwner.get(queryId);
      return row === undefined ? undefined : queryOwnerFromRow(row);
    });
  }

  loadRecentQueryOwners(since: number, limit: number): Promise<QueryOwnerRecord[]> {
    return this.connection.run('read query owners', () => this.sql.recentQueryOwners.all(since, limit).map(queryOwnerFromRow));
  }

  listCoordinators(): Promise<CoordinatorRecord[]> {
    return this.connection.run('read coordinators', () =>
      this.sql.listCoordinators.all().map((r) => ({ coordinatorId: r.coordinator_id, backend: r.backend, at: r.seen_at })));
  }

  listTransactions(): Promise<TransactionRecord[]> {
    return this.connection.run('read transactions', () => this.sql.listTransactions.all().map(transactionFromRow));
  }

  findLoginFlow(authIdHash: string): Promise<LoginFlowRecord | undefined> {
    return this.connection.run('read a login flow', () => {
      const row = this.sql.findLoginFlow.get(authIdHash);
      return row === undefined ? undefined : loginFlowFromRow(row);
    });
  }

  loadRecentLoginFlows(since: number, limit: number): Promise<LoginFlowRecord[]> {
    return this.connection.run('read login flows', () => this.sql.recentLoginFlows.all(since, limit).map(loginFlowFromRow));
  }

  prune(options: PruneOptions): Promise<PruneCounts> {
    return this.connection.run('prune ownership', (db) => db.transaction((): PruneCounts => {
      let queryOwners = this.sql.pruneQueryOwnersByAge.run(options.olderThan).changes;
      queryOwners += this.sql.pruneQueryOwnersBeyond.run(Math.max(0, Math.floor(options.maxRows))).changes;
      const transactions = options.transactionsOlderThan === undefined
        ? 0
        : this.sql.pruneTransactions.run(options.transactionsOlderThan).changes;
      const coordinators = options.coordinatorsOlderThan === undefined
        ? 0
        : this.sql.pruneCoordinators.run(options.coordinatorsOlderThan).changes;
      let loginFlows = options.loginFlowsOlderThan === undefined ? 0 : this.sql.pruneLoginFlowsByAge.run(options.loginFlowsOlderThan).changes;
      if (options.maxLoginFlows !== undefined) loginFlows += this.sql.pruneLoginFlowsBeyond.run(Math.max(0, Math.floor(options.maxLoginFlows))).changes;
      return { queryOwners, transactions, coordinators, loginFlows };
    })());
  }
}

function queryOwnerFromRow(row: QueryOwnerRow): QueryOwnerRecord {
  return { queryId: row.query_id, backend: row.backend, learnedBy: row.learned_by as LearnedBy, at: row.created_at };
}

function loginFlowFromRow(row: LoginFlowRow): LoginFlowRecord {
  return { authIdHash: row.auth_id_hash, backend: row.backend, at: row.created_at };
}

function transactionFromRow(row: TransactionRow): TransactionRecord {
  return { transactionId: row.transaction_id, backend: row.backend, at: row.created_at };
}

/** Every statement prepared once, when the repository is created. */
function prepareOwnershipStatements(db: Database.Database) {
  const prepare = <R = unknown>(text: string) => db.prepare<unknown[], R>(text);
  return {
    upsertQueryOwner: prepare(
      `INSERT INTO query_owners (query_id, backend, learned_by, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (query_id) DO UPDATE SET backend = excluded.backend, learned_by = excluded.learned_by, created_at = excluded.created_at`),
    findQueryOwner: prepare<QueryOwnerRow>('SELECT query_id, backend, learned_by, created_at FROM query_owners WHERE query_id = ?'),
    recentQueryOwners: prepare<QueryOwnerRow>(
      `SELECT * FROM (
         SELECT query_id, backend, learned_by, created_at FROM query_owners
         WHERE created_at >= ? ORDER BY created_at DESC, query_id DESC LIMIT ?
       ) ORDER BY created_at, query_id`),
    pruneQueryOwnersByAge: prepare('DELETE FROM query_owners WHERE created_at < ?'),
    pruneQueryOwnersBeyond: prepare(
      `DELETE FROM query_owners WHERE query_id IN (
         SELECT query_id FROM query_owners ORDER BY created_at DESC, query_id DESC LIMIT -1 OFFSET ?)`),
    upsertCoordinator: prepare(
      `INSERT INTO coordinators (coordinator_id, backend, seen_at) VALUES (?, ?, ?)
       ON CONFLICT (coordinator_id) DO UPDATE SET backend = excluded.backend, seen_at = excluded.seen_at`),
    listCoordinators: prepare<CoordinatorRow>('SELECT coordinator_id, backend, seen_at FROM coordinators ORDER BY seen_at, coordinator_id'),
    pruneCoordinators: prepare('DELETE FROM coordinators WHERE seen_at < ?'),
    upsertTransaction: prepare(
      `INSERT INTO transactions (transaction_id, backend, created_at) VALUES (?, ?, ?)
       ON CONFLICT (transaction_id) DO UPDATE SET backend = excluded.backend, created_at = excluded.created_at`),
    deleteTransaction: prepare('DELETE FROM transactions WHERE transaction_id = ?'),
    listTransactions: prepare<TransactionRow>('SELECT transaction_id, backend, created_at FROM transactions ORDER BY created_at, transaction_id'),
    pruneTransactions: prepare('DELETE FROM transactions WHERE created_at < ?'),
    // The first challenge of an auth id stays (ids are random UUIDs: a repeat is a replay).
    insertLoginFlow: prepare('INSERT INTO login_flows (auth_id_hash, backend, created_at) VALUES (?, ?, ?) ON CONFLICT (auth_id_hash) DO NOTHING'),
    findLoginFlow: prepare<LoginFlowRow>('SELECT auth_id_hash, backend, created_at FROM login_flows WHERE auth_id_hash = ?'),
    recentLoginFlows: prepare<LoginFlowRow>(
      `SELECT * FROM (
         SELECT auth_id_hash, backend, created_at FROM login_flows
         WHERE created_at >= ? ORDER BY created_at DESC, auth_id_hash DESC LIMIT ?
       ) ORDER BY created_at, auth_id_hash`),
    pruneLoginFlowsByAge: prepare('DELETE FROM login_flows WHERE created_at < ?'),
    pruneLoginFlowsBeyond: prepare(
      `DELETE FROM login_flows WHERE auth_id_hash IN (
         SELECT auth_id_hash FROM login_flows ORDER BY created_at DESC, auth_id_hash DESC LIMIT -1 OFFSET ?)`),
  };
}

type OwnershipStatements = ReturnType<typeof prepareOwnershipStatements>;
