/**
 * The JSON documents a client reads: QueryResults (with StatementStats) for the statement
 * paths, and QueryInfo for /v1/query and the UI. URIs are built from the current request's
 * external base, never stored.
 */
import { toQueryError, type QueryErrorJson } from './errors.js';
import type { ExecutingPage, Query, QueryState } from './queries.js';
import {
  executingUri, infoUri, partialCancelUri, queryInfoSelfUri, queuedUri, segmentAckUri, segmentDownloadUri,
  type ExternalBase,
} from './uris.js';

/** Bytes per synthetic row, for plausible byte counters. */
const BYTES_PER_ROW = 16;

export interface StageStats {
  stageId: string;
  state: string;
  done: boolean;
  nodes: number;
  totalSplits: number;
  queuedSplits: number;
  runningSplits: number;
  completedSplits: number;
  cpuTimeMillis: number;
  wallTimeMillis: number;
  processedRows: number;
  processedBytes: number;
  physicalInputBytes: number;
  failedTasks: number;
  coordinatorOnly: boolean;
  subStages: StageStats[];
}

export interface StatementStats {
  state: QueryState;
  queued: boolean;
  scheduled: boolean;
  progressPercentage?: number;
  runningPercentage?: number;
  nodes: number;
  totalSplits: number;
  queuedSplits: number;
  runningSplits: number;
  completedSplits: number;
  cpuTimeMillis: number;
  wallTimeMillis: number;
  queuedTimeMillis: number;
  elapsedTimeMillis: number;
  finishingTimeMillis: number;
  physicalInputTimeMillis: number;
  processedRows: number;
  processedBytes: number;
  physicalInputBytes: number;
  physicalWrittenBytes: number;
  internalNetworkInputBytes: number;
  peakMemoryBytes: number;
  spilledBytes: number;
  rootStage?: StageStats;
}

export interface QueryResultsJson {
  id: string;
  infoUri: string;
  partialCancelUri?: string;
  nextUri?: string;
  columns?: unknown[];
  data?: unknown;
  stats: StatementStats;
  error?: QueryErrorJson;
  warnings: unknown[];
  updateType?: string;
  updateCount?: number;
}

function elapsed(query: Query, now: number): number {
  return Math.max(0, (query.endedAt ?? now) - query.submittedAt);
}

function queuedTime(query: Query, now: number): number {
  return Math.max(0, Math.min(query.endedAt ?? now, now, query.dispatchAt) - query.submittedAt);
}

/** Stats on the queued path: Trino only knows the state and the times there. */
function queuedStats(query: Query, state: QueryState, now: number): StatementStats {
  return {
    state,
    queued: state === 'QUEUED',
    scheduled: false,
    nodes: 0,
    totalSplits: 0,
    queuedSplits: 0,
    runningSplits: 0,
    completedSplits: 0,
    cpuTimeMillis: 0,
    wallTimeMillis: 0,
    queuedTimeMillis: queuedTime(query, now),
    elapsedTimeMillis: elapsed(query, now),
    finishingTimeMillis: 0,
    physicalInputTimeMillis: 0,
    processedRows: 0,
    processedBytes: 0,
    physicalInputBytes: 0,
    physicalWrittenBytes: 0,
    internalNetworkInputBytes: 0,
    peakMemoryBytes: 0,
    spilledBytes: 0,
  };
}

function executingStats(query: Query, page: ExecutingPage, now: number, rowsPerPage: number): StatementStats {
  const ready = page.kind !== 'waiting';
  const totalRows = ready && page.state !== 'FAILED' ? query.plan.rows.count() : 0;
  const totalSplits = Math.max(1, Math.ceil(totalRows / Math.max(1, rowsPerPage)));
  const done = page.kind === 'final';
  const completedSplits = done ? totalSplits : Math.min(totalSplits, query.pagesDelivered);
  const runningSplits = done ? 0 : 1;
  const queuedSplits = Math.max(0, totalSplits - completedSplits - runningSplits);
  const processedRows = page.rowEnd;
  const wall = Math.max(0, elapsed(query, now) - queuedTime(query, now));
  const progress = done ? 100 : totalRows === 0 ? 0 : Math.min(100, (100 * page.rowEnd) / totalRows);
  const rootStage: StageStats = {
    stageId: '0',
    state: done ? page.state : 'RUNNING',
    done,
    nodes: 1,
    totalSplits,
    queuedSplits,
    runningSplits,
    completedSplits,
    cpuTimeMillis: Math.round(wall / 2),
    wallTimeMillis: wall,
    processedRows,
    processedBytes: processedRows * BYTES_PER_ROW,
    physicalInputBytes: processedRows * BYTES_PER_ROW,
    failedTasks: page.state === 'FAILED' ? 1 : 0,
    coordinatorOnly: false,
    subStages: [],
  };
  return {
    state: page.state,
    queued: page.state === 'QUEUED',
    scheduled: true,
    progressPercentage: progress,
    runningPercentage: done ? 0 : 100 - progress,
    nodes: 1,
    totalSplits,
    queuedSplits,
    runningSplits,
    completedSplits,
    cpuTimeMillis: rootStage.cpuTimeMillis,
    wallTimeMillis: wall,
    queuedTimeMillis: queuedTime(query, now),
    elapsedTimeMillis: elapsed(query, now),
    finishingTimeMillis: 0,
    physicalInputTimeMillis: 0,
    processedRows,
    processedBytes: rootStage.processedBytes,
    physicalInputBytes: rootStage.physicalInputBytes,
    physicalWrittenBytes: 0,
    internalNetworkInputBytes: 0,
    peakMemoryBytes: ready ? 1_048_576 : 0,
    spilledBytes: 0,
    rootStage,
  };
}

/** Trino's field order (id, infoUri, partialCancelUri, nextUri, columns, data, stats, ...). */
function ordered(results: QueryResultsJson): QueryResultsJson {
  const keys: (keyof QueryResultsJson)[] = [
    'id', 'infoUri', 'partialCancelUri', 'nextUri', 'columns', 'data', 'stats', 'error', 'warnings', 'updateType', 'updateCount',
  ];
  const out: Record<string, unknown> = {};
  for (const key of keys) if (results[key] !== undefined) out[key] = results[key];
  return out as unknown as QueryResultsJson;
}

/** An answer on the queued path (or to the submission): QUEUED with a nextUri, or FAILED. */
export function queuedResults(query: Query, token: number, base: ExternalBase, now: number, forceQueued = false): QueryResultsJson {
  const state = forceQueued ? 'QUEUED' : query.state(now);
  const results: QueryResultsJson = {
    id: query.id,
    infoUri: infoUri(base, query.id),
    stats: queuedStats(query, state === 'FAILED' ? 'FAILED' : 'QUEUED', now),
    warnings: [],
  };
  if (state === 'FAILED' && query.failure !== undefined) {
    results.error = toQueryError(query.failure);
  } else {
    // Once dispatched the client is sent to the executing path, which starts at token 0.
    results.nextUri = state === 'QUEUED'
      ? queuedUri(base, query.id, query.slug.make('QUEUED_QUERY', token + 1), token + 1)
      : executingUri(base, query.id, query.slug.make('EXECUTING_QUERY', 0), 0);
  }
  return ordered(results);
}

export function executingResults(query: Query, page: ExecutingPage, base: ExternalBase, now: number, rowsPerPage: number): QueryResultsJson {
  const results: QueryResultsJson = { id: query.id, infoUri: infoUri(base, query.id), stats: executingStats(query, page, now, rowsPerPage), warnings: [] };
  if (page.kind !== 'final') {
    const next = page.token + 1;
    // Follows server/protocol/Query.java: only while a leaf stage can still be cancelled (rows remain to produce).
    if (page.kind === 'data' && page.rowEnd < query.plan.rows.count()) {
      results.partialCancelUri = partialCancelUri(base, query.id, 0, query.slug.make('EXECUTING_QUERY', next), next);
    }
    results.nextUri = executingUri(base, query.id, query.slug.make('EXECUTING_QUERY', next), next);
  }
  if (page.state === 'FAILED') {
    if (query.failure !== undefined) results.error = toQueryError(query.failure);
  } else if (page.kind !== 'waiting') {
    // A statement without output (DDL, SET SESSION, ...) has no columns at all, as in Trino.
    if (query.plan.columns.length > 0) results.columns = [...query.plan.columns];
    if (page.kind === 'data') results.data = pageData(query, page, base);
  }
  if (query.plan.updateType !== undefined && page.kind !== 'waiting') results.updateType = query.plan.updateType;
  return ordered(results);
}

/**
 * Rows inline, or (spooling protocol) one segment: inline data, or spooled with the storage's
 * pre-signed URI (storage mode) or the coordinator's download URI, and the coordinator's ackUri.
 */
function pageData(query: Query, page: ExecutingPage, base: ExternalBase): unknown {
  const segment = page.segment;
  if (segment === undefined) return query.plan.rows.slice(page.rowStart, page.rowEnd);
  const metadata = { rowOffset: segment.rowOffset, rowsCount: segment.rowsCount, segmentSize: segment.segmentSize };
  const encoded = segment.inline !== undefined
    ? { type: 'inline', data: segment.inline.toString('base64'), metadata }
    : {
      type: 'spooled',
      uri: segment.directUri ?? segmentDownloadUri(base, segment.id),
      ackUri: segmentAckUri(base, segment.id),
      metadata: { ...metadata, expiresAt: segment.expiresAt },
    };
  return { encoding: query.dataEncoding ?? 'json', segments: [encoded] };
}

/** Enough of Trino's QueryInfo for clients and probes: ids, state, user, text, error. */
export function queryInfo(query: Query, base: ExternalBase, now: number, clusterName: string): Record<string, unknown> {
  const state = query.state(now);
  const error = query.failure === undefined ? undefined : toQueryError(query.failure);
  return {
    queryId: query.id,
    session: {
      queryId: query.id,
      user: query.user,
      ...(query.source === undefined ? {} : { source: query.source }),
      ...(query.catalog === undefined ? {} : { catalog: query.catalog }),
      ...(query.schema === undefined ? {} : { schema: query.schema }),
      systemProperties: {},
      catalogProperties: {},
    },
    state,
    scheduled: state !== 'QUEUED',
    self: queryInfoSelfUri(base, query.id),
    query: query.sql,
    queryType: query.plan.updateType === undefined ? 'SELECT' : 'DATA_DEFINITION',
    queryStats: {
      createTime: new Date(query.submittedAt).toISOString(),
      ...(query.endedAt === undefined ? {} : { endTime: new Date(query.endedAt).toISOString() }),
      elapsedTime: `${elapsed(query, now)}ms`,
      queuedTime: `${queuedTime(query, now)}ms`,
      outputPositions: query.rowsDelivered,
    },
    resourceGroupId: ['global'],
    environment: clusterName,
    finalQueryInfo: query.done,
    ...(error === undefined ? {} : { errorType: error.errorType, errorCode: { code: error.errorCode, name: error.errorName, type: error.errorType }, failureInfo: error.failureInfo }),
  };
}
