/**
 * ConfigService: the running configuration as the YAML file, and importing one. Export and
 * import round-trip exactly: importing an export changes nothing, and exporting again gives
 * the same text.
 */
import type { ConfigServiceService, NameDiff as ApiNameDiff } from '../../gen/trino_envoy_router/admin/v1/admin.js';
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

    importConfig: async (request) => {
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
        revision = (await applyChange(deps, (config) => {
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
  };
}

function nameDiffToApi(diff: NameDiff): ApiNameDiff {
  return { added: [...diff.added], changed: [...diff.changed], removed: [...diff.removed] };
}
