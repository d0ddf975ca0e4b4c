/**
 * Backend status (from the health monitor) and query history records as API messages.
 */
import type {
  BackendStatus as ApiBackendStatus,
  ConfigFileStatus as ApiConfigFileStatus,
  DrainProgress as ApiDrainProgress,
  QueryRecord as ApiQueryRecord,
  StateChange as ApiStateChange,
} from '../../gen/trino_envoy_router/admin/v1/admin.js';
import type { BackendStateChange, BackendStatus, DrainProgress } from '../../health/status.js';
import type { QueryRecord } from '../../history/query-record.js';
import type { Backend } from '../../routing/model.js';
import { isDraining } from './backend.js';
import type { ConfigFileStatus } from '../../config-watch/status.js';

export function drainProgressToApi(drain: DrainProgress | null): ApiDrainProgress {
  if (drain === null) return { known: false, remaining: 0, drained: false, since: undefined };
  return { known: true, remaining: drain.remaining, drained: drain.drained, since: new Date(drain.since) };
}

/** A backend's status; `status` is undefined when no monitor reports on it (yet). */
export function backendStatusToApi(
  backend: Backend,
  status: BackendStatus | undefined,
  history: readonly BackendStateChange[],
): ApiBackendStatus {
  return {
    backend: backend.name,
    state: status?.state ?? configuredState(backend),
    health: status?.health ?? 'unknown',
    load: status?.load === null || status?.load === undefined
      ? undefined
      : { running: status.load.running, queued: status.load.queued, score: status.load.score },
    lastCheckAt: status?.lastCheckAt === null || status?.lastCheckAt === undefined ? undefined : new Date(status.lastCheckAt),
    lastError: status?.lastError ?? '',
    // Without a monitor nobody evaluates schedules; an unscheduled backend is always in.
    inSchedule: status?.inSchedule ?? backend.schedules.length === 0,
    drain: status?.drain === null || status?.drain === undefined ? undefined : drainProgressToApi(status.drain),
    enabled: backend.enabled,
    draining: isDraining(backend),
    history: history.map(stateChangeToApi),
  };
}

/** What the configuration alone says when no monitor has looked at the backend. */
function configuredState(backend: Backend): string {
  if (!backend.enabled) return 'disabled';
  if (isDraining(backend)) return 'draining';
  return 'unknown';
}

function stateChangeToApi(change: BackendStateChange): ApiStateChange {
  return { from: change.from, to: change.to, at: new Date(change.at), reason: change.reason };
}

export function queryRecordToApi(record: QueryRecord): ApiQueryRecord {
  return {
    queryId: record.queryId,
    backend: record.backend ?? '',
    group: record.group ?? '',
    rule: record.rule ?? '',
    mechanism: record.mechanism,
    user: record.user ?? '',
    source: record.source ?? '',
    clientTags: [...record.clientTags],
    submittedAt: new Date(record.submittedAt),
    queuedMs: record.queuedMs ?? undefined,
    statement: record.statement === null ? undefined : {
      status: record.statement.unknownReason === null ? 'parsed' : 'unknown',
      kind: record.statement.kind,
      tablesRead: [...record.statement.tablesRead],
      tablesWritten: [...record.statement.tablesWritten],
      preparedStatement: '',
      parseMicros: record.statement.parseMicros,
      unknownReason: record.statement.unknownReason ?? '',
      detail: '',
      truncated: record.statement.unknownReason === 'too_large',
    },
    outcome: record.outcome,
    message: record.message ?? '',
  };
}

/** The config file's status (src/config-watch) in the API's shape. */
export function configFileStatusToApi(status: ConfigFileStatus): ApiConfigFileStatus {
  return {
    path: status.path,
    mode: status.mode,
    lastAppliedAt: status.lastAppliedAt === undefined ? undefined : new Date(status.lastAppliedAt),
    lastAppliedRevision: status.lastAppliedRevision,
    lastError: status.lastError ?? '',
    lastErrorAt: status.lastErrorAt === undefined ? undefined : new Date(status.lastErrorAt),
    rejections: status.rejections,
    restartRequired: [...status.restartRequired],
    differsFromStore: status.differsFromStore ?? '',
  };
}
