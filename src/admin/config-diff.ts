/**
 * What an import would change: entities added, changed and removed by name, the default
 * group, and the settings outside routing that only a restart applies.
 */
export { diffRouting, type NameDiff, type RoutingDiff } from '../routing/routing-diff.js';
export { settingsNeedingRestart } from '../config/restart-settings.js';
