/**
 * ConfigService: the running configuration as the YAML file, and importing one. Export and
 * import round-trip exactly: importing an export changes nothing, and exporting again gives
 * the same text.
 */
import type { ConfigServiceService, NameDiff as ApiNameDiff } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { configChangeToApi, configDiffToApi } from '../convert/config-history.js';
import { InvalidArgumentError, NotAvailableError, UnknownRevisionError } from '../errors.js';
import type { ConfigHistoryStore } from '../../routing/config-history.js';
import { parseConfig, renderConfigYaml } from '../../config/index.js';
import * as edits from '../../routing/config-edits.js';
import { applyChange } from '../apply.js';
import type { Handlers } from '../call.js';
import { diffRouting, settingsNeedingRestart, type NameDiff } from '../config-diff.js';
import type { AdminDeps } from '../deps.js';
import { freshnessToApi, readRouting } from '../read-routing.js';
import { restoreRedactedSecrets } from '../redacted-secrets.js';

export function configHandlers(deps: AdminDeps): Handlers<typeof ConfigServiceService> {
  return {
    exportConfig: async (request) => {
      const { config, revision, freshness } = await readRouting(deps);
      const yaml = renderConfigYaml({ ...deps.config, routing: config }, { secrets: request.includeSecrets ? 'include' : 'redact' });
      return { yaml, revision, freshness: freshnessToApi(freshness) };
    },

    importConfig: async (request, call) => {
      const sourceName = request.sourceName === '' ? 'import' : request.sourceName;
      const imported = parseConfig(restoreRedactedSecrets(request.yaml, deps.config), sourceName, {
        env: deps.env,
        baseDir: deps.configDir,
      });
      const restartRequired = settingsNeedingRestart(deps.config, imported);
      // Diff and write in one transaction, so the diff describes exactly what was replaced.
      let diff = diffRouting(imported.routing, imported.routing);
      let revision: number;
      if (request.dryRun) {
        const current = await deps.routingStore.read();
        diff = diffRouting(current.config, imported.routing);
        revision = current.revision;
      } else {
        revision = (await applyChange(deps, call, (config) => {
          diff = diffRouting(config, imported.routing);
          return diff.changed ? edits.replaceAll(config, imported.routing) : undefined;
        })).revision;
      }
      deps.logger.info({ source: sourceName, dryRun: request.dryRun, changed: diff.changed, revision, restartRequired }, 'configuration imported');
      return {
        revision,
        changed: diff.changed,
        diff: {
          backends: nameDiffToApi(diff.backends),
          groups: nameDiffToApi(diff.groups),
          rules: nameDiffToApi(diff.rules),
          defaultGroup: diff.defaultGroup,
        },
        restartRequired,
      };
    },

    listConfigHistory: async (request) => {
      const history = historyOf(deps);
      const limit = request.limit === 0 ? DEFAULT_HISTORY_PAGE : request.limit;
      if (limit > MAX_HISTORY_PAGE) throw new InvalidArgumentError('limit', `at most ${MAX_HISTORY_PAGE}, got ${limit}`);
      const page = await history.list({ beforeRevision: request.beforeRevision, limit });
      return { changes: page.changes.map(configChangeToApi), nextBeforeRevision: page.nextBeforeRevision };
    },

    getConfigRevision: async (request) => {
      const record = await findRevision(historyOf(deps), request.revision);
      const yaml = renderConfigYaml({ ...deps.config, routing: record.config }, { secrets: 'redact' });
      return { change: configChangeToApi(record), yaml };
    },

    rollback: async (request, call) => {
      const record = await findRevision(historyOf(deps), request.toRevision);
      let diff = diffRouting(record.config, record.config);
      const applied = await applyChange(deps, call, (config) => {
        diff = diffRouting(config, record.config);
        return diff.changed ? edits.replaceAll(config, record.config) : undefined;
      });
      deps.logger.info({ toRevision: request.toRevision, revision: applied.revision, changed: applied.changed }, 'configuration rolled back');
      const { changed: _changed, ...recorded } = diff;
      return { revision: applied.revision, changed: applied.changed, diff: configDiffToApi(recorded) };
    },
  };
}

const DEFAULT_HISTORY_PAGE = 50;
const MAX_HISTORY_PAGE = 1000;

function historyOf(deps: AdminDeps): ConfigHistoryStore {
  if (deps.configHistory === undefined) throw new NotAvailableError('this router keeps no config history');
  return deps.configHistory;
}

async function findRevision(history: ConfigHistoryStore, revision: number) {
  if (revision === 0) throw new InvalidArgumentError('revision', 'required (a revision from `config history`)');
  const record = await history.get(revision);
  if (record !== undefined) return record;
  const range = await history.range();
  const kept = range === undefined ? 'nothing is recorded yet' : `revisions ${range.oldest} to ${range.newest} are kept (store.audit)`;
  throw new UnknownRevisionError(revision, `revision ${revision} is not in the config history: ${kept}`);
}

function nameDiffToApi(diff: NameDiff): ApiNameDiff {
  return { added: [...diff.added], changed: [...diff.changed], removed: [...diff.removed] };
}
