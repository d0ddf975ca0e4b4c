/**
 * Trino's version as a number, for behaviour that changed between releases. Trino versions are
 * plain integers ("476"); a suffix ("476-SNAPSHOT", "476-e.1") is ignored, and text without a
 * leading number counts as the newest release (a custom build).
 */
export function versionNumber(version: string): number {
  const match = /^(\d+)/.exec(version.trim());
  return match?.[1] === undefined ? Number.POSITIVE_INFINITY : Number(match[1]);
}
