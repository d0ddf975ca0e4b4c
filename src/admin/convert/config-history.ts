/** Config history records (src/routing/config-history.ts) as API messages. */
import type { ConfigChange as ApiConfigChange, ConfigDiff as ApiConfigDiff } from '../../gen/trino_envoy_router/admin/v1/admin.js';
import { describeAuthor, type ConfigChangeRecord, type RecordedDiff } from '../../routing/config-history.js';
import { summarizeDiff } from '../../routing/routing-diff.js';

export function configDiffToApi(diff: RecordedDiff): ApiConfigDiff {
  const names = (d: RecordedDiff['backends']) => ({ added: [...d.added], changed: [...d.changed], removed: [...d.removed] });
  return { backends: names(diff.backends), groups: names(diff.groups), rules: names(diff.rules), defaultGroup: diff.defaultGroup };
}

export function configChangeToApi(change: ConfigChangeRecord): ApiConfigChange {
  return {
    revision: change.revision,
    at: new Date(change.at),
    method: change.method,
    author: {
      token: change.author.token ?? '',
      certificateSubject: change.author.certificateSubject ?? '',
      peer: change.author.peer ?? '',
      file: change.author.file ?? '',
    },
    diff: configDiffToApi(change.diff),
    summary: `${change.method} by ${describeAuthor(change.author)}: ${summarizeDiff(change.diff)}`,
  };
}
