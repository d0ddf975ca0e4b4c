/**
 * Realistic Trino identifiers for the benchmarks (format of src/trino/query-id.ts):
 * `yyyyMMdd_HHmmss_NNNNN_ccccc`, the UTC second, a per-day counter and a 5-char coordinator id.
 */
import { COORDINATOR_ID_ALPHABET } from '../../src/trino/query-id.js';

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Deterministic pseudo-random numbers (mulberry32) so every run uses the same ids. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function coordinatorIds(count: number, random: () => number): string[] {
  const ids: string[] = [];
  while (ids.length < count) {
    let id = '';
    for (let i = 0; i < 5; i++) id += COORDINATOR_ID_ALPHABET.charAt(Math.floor(random() * COORDINATOR_ID_ALPHABET.length));
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

/**
 * `count` distinct query ids as a fleet of coordinators makes them over the last day: each
 * coordinator numbers its queries 00000.. and the clock advances a few ids per second.
 */
export function queryIds(count: number, coordinators: readonly string[], startMs: number): string[] {
  const ids: string[] = new Array(count);
  const perCoordinator = Math.ceil(count / coordinators.length);
  for (let i = 0; i < count; i++) {
    const c = i % coordinators.length;
    const n = Math.floor(i / coordinators.length);
    // ~20 queries per coordinator per second; the counter restarts each UTC day in Trino,
    // here it wraps at 100,000 with the clock moved on, so every id stays unique.
    const at = new Date(startMs + Math.floor((n / perCoordinator) * 86_000_000) + Math.floor(n / 100_000) * 1000);
    const stamp = `${at.getUTCFullYear()}${two(at.getUTCMonth() + 1)}${two(at.getUTCDate())}_${two(at.getUTCHours())}${two(at.getUTCMinutes())}${two(at.getUTCSeconds())}`;
    ids[i] = `${stamp}_${String(n % 100_000).padStart(5, '0')}_${coordinators[c]}`;
  }
  return ids;
}
