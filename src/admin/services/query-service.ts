/**
 * QueryService: the history of routed queries, and who owns one query and how that is known.
 */
import type { GetQueryOwnerResponse, ListQueriesRequest, QueryServiceService } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import type { QueryHistoryFilter } from '../../history/query-record.js';
import { coordinatorIdOf, isQueryId } from '../../trino/query-id.js';
import type { Handlers } from '../call.js';
import { queryRecordToApi } from '../convert/status.js';
import type { AdminDeps } from '../deps.js';
import { InvalidArgumentError, NotAvailableError, UnknownQueryError } from '../errors.js';

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 10_000;

export function queryHandlers(deps: AdminDeps): Handlers<typeof QueryServiceService> {
  return {
    listQueries: async (request) => {
      const history = deps.history;
      if (history === undefined) throw new NotAvailableError('this router keeps no query history');
      return { queries: (await history.list(filterOf(request))).map(queryRecordToApi) };
    },
    getQueryOwner: (request) => ownerOf(deps, request.queryId),
    listQueued: async (request) => {
      const queue = deps.queue;
      if (queue === undefined) throw new NotAvailableError('this router runs no gateway queue (routing.prefix is off)');
      const now = queue.now();
      const entries = await queue.store.list(now);
      const positions = new Map<string, number>();
      const queued = [];
      // list() is in queue order per group: a position is the count before it in its group.
      for (const entry of entries) {
        const position = positions.get(entry.group) ?? 0;
        positions.set(entry.group, position + 1);
        if (request.group !== '' && entry.group !== request.group) continue;
        queued.push({
          id: entry.id, group: entry.group, rule: entry.rule ?? '', user: entry.user ?? '', source: entry.source ?? '',
          priority: entry.priority, position, enqueuedAt: new Date(entry.enqueuedAt), ageMs: Math.max(0, now - entry.enqueuedAt), state: entry.state,
        });
      }
      return { queued };
    },
  };
}

function filterOf(request: ListQueriesRequest): QueryHistoryFilter {
  const limit = request.limit === 0 ? DEFAULT_LIMIT : request.limit;
  if (limit > MAX_LIMIT) throw new InvalidArgumentError('limit', `at most ${MAX_LIMIT}, got ${limit}`);
  const from = request.from?.getTime();
  const to = request.to?.getTime();
  if (from !== undefined && to !== undefined && from > to) throw new InvalidArgumentError('from', 'is after `to`');
  return {
    limit,
    ...(request.user === undefined ? {} : { user: request.user }),
    ...(request.source === undefined ? {} : { source: request.source }),
    ...(request.backend === undefined ? {} : { backend: request.backend }),
    ...(request.group === undefined ? {} : { group: request.group }),
    ...(request.outcome === undefined ? {} : { outcome: request.outcome }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
}

/**
 * The owner as this replica routes it (memory first), completed with what the store holds:
 * the store knows how the id was learned, and holds ids other replicas learned.
 */
async function ownerOf(deps: AdminDeps, queryId: string): Promise<GetQueryOwnerResponse> {
  if (queryId === '') throw new InvalidArgumentError('query_id', 'required');
  if (!isQueryId(queryId)) {
    throw new InvalidArgumentError('query_id', `expected a Trino query id such as 20250102_030405_00001_abcde, got ${JSON.stringify(queryId)}`);
  }
  const index = deps.router.ownership;
  const configured = (backend: string): boolean => deps.router.snapshot().backends.has(backend);
  const coordinatorId = coordinatorIdOf(queryId) ?? '';

  const inMemory = index.queryOwner(queryId);
  const stored = await deps.ownershipStore.findQueryOwner(queryId);
  if (inMemory !== undefined || stored !== undefined) {
    const backend = inMemory ?? (stored?.backend as string);
    const learnedBy = stored !== undefined && stored.backend === backend ? stored.learnedBy : '';
    const how = learnedBy === 'probe' ? 'found by probing every backend' : learnedBy === 'response' ? "read from the submission's response" : 'learned moments ago (not yet written to the store)';
    const summary = inMemory !== undefined
      ? `${backend} owns ${queryId}: routed by query id, ${how}`
      : `${backend} owns ${queryId} according to the store (another replica learned it); this replica loads it within seconds`;
    return {
      queryId,
      backend,
      knownBy: 'query_id',
      learnedBy,
      inMemory: inMemory !== undefined,
      inStore: stored !== undefined,
      learnedAt: stored === undefined ? undefined : new Date(stored.at),
      coordinatorId,
      backendConfigured: configured(backend),
      summary,
    };
  }

  const coordinatorInMemory = index.coordinatorOwner(coordinatorId);
  const coordinatorStored = (await deps.ownershipStore.listCoordinators()).find((c) => c.coordinatorId === coordinatorId);
  const coordinatorBackend = coordinatorInMemory ?? coordinatorStored?.backend;
  if (coordinatorBackend !== undefined) {
    return {
      queryId,
      backend: coordinatorBackend,
      knownBy: 'coordinator_id',
      learnedBy: '',
      inMemory: coordinatorInMemory !== undefined,
      inStore: coordinatorStored !== undefined,
      learnedAt: coordinatorStored === undefined ? undefined : new Date(coordinatorStored.at),
      coordinatorId,
      backendConfigured: configured(coordinatorBackend),
      summary: `${coordinatorBackend} owns ${queryId}: its coordinator id ${coordinatorId} was seen on ${coordinatorBackend}`,
    };
  }
  throw new UnknownQueryError(
    queryId,
    `no backend is known to own query ${queryId} (neither the id nor coordinator id ${coordinatorId} was seen); a follow-up would probe every backend`,
  );
}
