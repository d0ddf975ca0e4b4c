/**
 * The config file's routing and the store, by `store.seed`:
 * - if-empty: seeds an empty store; a file that differs from a filled store is reported
 *   (log and status) with how to apply it.
 * - overwrite: replaces the store's routing at start.
 * - watch: the file is the source of truth. Applied at start, then whenever it changes: the
 *   whole file is validated and its routing written in one store transaction; a bad edit keeps
 *   the last good config and is reported (warn log, status, metrics). Settings that need a
 *   restart are reported, never silently ignored. Identical content (every replica of a fleet
 *   watching one ConfigMap) writes nothing, so the revision does not move.
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, parseConfig, type Environment, type RouterConfig } from '../config/index.js';
import { settingsNeedingRestart } from '../config/restart-settings.js';
import { replaceAll } from '../routing/config-edits.js';
import { FILE_METHODS, type ChangeOrigin } from '../routing/config-history.js';
import type { RoutingConfig } from '../routing/model.js';
import { diffRouting, summarizeDiff } from '../routing/routing-diff.js';
import type { RoutingStore } from '../routing/routing-store.js';
import { seedFromConfig } from '../store/seed.js';
import { StoreError } from '../store/errors.js';
import { watchFile, type FileWatch } from './file-watcher.js';
import { withOperationalState } from './operational-state.js';
import type { ConfigFileStatus, ConfigFileStatusSource } from './status.js';

export interface ConfigFileOptions {
  /** Absolute path of the config file the router started with. */
  readonly path: string;
  /** The configuration the router started with (parsed from `path`). */
  readonly running: RouterConfig;
  readonly routingStore: RoutingStore;
  /** Swaps the routing snapshot after an apply, so the next request is routed by it. */
  readonly refreshRouting: () => Promise<unknown>;
  readonly env: Environment;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly debounceMs?: number;
  /** Stat poll and store-failure retry interval under watch. */
  readonly pollMs?: number;
}

/** What one reload did. */
export type ReloadOutcome =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'applied'; readonly revision: number; readonly changed: boolean }
  | { readonly kind: 'rejected'; readonly error: string };

export class ConfigFile implements ConfigFileStatusSource {
  private lastText: string | undefined;
  /** The text last refused: the same bad text seen again (another event) is not counted twice. */
  private lastRejectedText: string | undefined;
  /** The file's routing as last applied: the baseline for operational switches (operational-state.ts). */
  private lastFileRouting: RoutingConfig | undefined;
  private lastAppliedAt: number | undefined;
  private lastAppliedRevision: number | undefined;
  private lastError: string | undefined;
  private lastErrorAt: number | undefined;
  private rejections = 0;
  private restartRequired: readonly string[] = [];
  private differsFromStore: string | undefined;
  private watcher: FileWatch | undefined;
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;
  private readonly origin: ChangeOrigin;

  private constructor(private readonly options: ConfigFileOptions) {
    this.now = options.now ?? Date.now;
    this.origin = { method: FILE_METHODS.watch, author: { file: options.path } };
  }

  get mode(): RouterConfig['store']['seed'] {
    return this.options.running.store.seed;
  }

  get path(): string {
    return this.options.path;
  }

  /** Seeds (or applies) the file's routing as `store.seed` says; under watch, starts watching. */
  static async start(options: ConfigFileOptions): Promise<ConfigFile> {
    const file = new ConfigFile(options);
    await file.begin();
    return file;
  }

  /** Under watch: the routing of the last good file (admin refusals check it); otherwise undefined. */
  watchedRouting(): RoutingConfig | undefined {
    return this.mode === 'watch' ? this.lastFileRouting ?? this.options.running.routing : undefined;
  }

  status(): ConfigFileStatus {
    return {
      path: this.options.path,
      mode: this.mode,
      lastAppliedAt: this.lastAppliedAt,
      lastAppliedRevision: this.lastAppliedRevision,
      lastError: this.lastError,
      lastErrorAt: this.lastErrorAt,
      rejections: this.rejections,
      restartRequired: this.restartRequired,
      differsFromStore: this.differsFromStore,
    };
  }

  /** Reads the file and, when its text changed, validates and applies it (watch mode's step; also for tests). */
  async reload(): Promise<ReloadOutcome> {
    let text: string;
    try {
      text = await readFile(this.options.path, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
      return this.reject(`${this.options.path}: cannot read the config file: ${reason}`);
    }
    if (text === this.lastText || text === this.lastRejectedText) return { kind: 'unchanged' };
    let parsed: RouterConfig;
    try {
      parsed = parseConfig(text, this.options.path, { env: this.options.env, baseDir: dirname(this.options.path) });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.lastRejectedText = text;
      return this.reject(error.message);
    }
    try {
      const outcome = await this.apply(parsed.routing);
      this.lastText = text;
      this.lastRejectedText = undefined;
      this.noteRestartSettings(parsed);
      return outcome;
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      // The file is fine, the store is not: try again soon, without a change to wake us.
      this.scheduleRetry();
      return this.reject(`the store refused the config file's routing, retrying: ${error.message}`);
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    if (this.retry !== undefined) clearTimeout(this.retry);
  }

  private async begin(): Promise<void> {
    const { running, routingStore, logger, path } = this.options;
    if (this.mode !== 'watch') {
      const seeded = await seedFromConfig(routingStore, running.routing, this.mode, { method: FILE_METHODS.seed, author: { file: path } });
      if (seeded.seeded) this.markApplied(seeded.revision);
      if (this.mode === 'if-empty' && !seeded.seeded) await this.reportDifference();
      return;
    }
    this.lastText = await readFile(path, 'utf8').catch(() => undefined);
    await this.apply(running.routing);
    this.watcher = watchFile({
      path,
      onChange: async () => {
        await this.reload();
      },
      ...(this.options.debounceMs === undefined ? {} : { debounceMs: this.options.debounceMs }),
      ...(this.options.pollMs === undefined ? {} : { pollMs: this.options.pollMs }),
      logger,
    });
    logger.info({ path, mode: 'watch' }, 'watching the config file: its routing is applied whenever it changes; admin changes of the routing tables are refused');
  }

  private async apply(fileRouting: RoutingConfig): Promise<ReloadOutcome> {
    const previous = this.lastFileRouting;
    let summary = '';
    const applied = await this.options.routingStore.transaction(async (tx) => {
      const current = await tx.read();
      const next = replaceAll(current.config, withOperationalState(fileRouting, current.config, previous));
      const diff = diffRouting(current.config, next);
      summary = diff.changed ? summarizeDiff(diff) : '';
      const revision = await tx.write(next, this.origin);
      return { revision, changed: revision !== current.revision };
    });
    this.lastFileRouting = fileRouting;
    this.markApplied(applied.revision);
    if (applied.changed) await this.options.refreshRouting();
    this.options.logger.info(
      { path: this.options.path, revision: applied.revision, changed: applied.changed, ...(applied.changed ? { change: summary } : {}) },
      applied.changed ? 'config file applied' : 'config file applied: the store already matched',
    );
    return { kind: 'applied', ...applied };
  }

  private markApplied(revision: number): void {
    this.lastAppliedAt = this.now();
    this.lastAppliedRevision = revision;
    this.lastError = undefined;
    this.lastErrorAt = undefined;
  }

  private reject(error: string): ReloadOutcome {
    this.rejections += 1;
    this.lastError = error;
    this.lastErrorAt = this.now();
    this.options.logger.warn({ path: this.options.path, error, keptRevision: this.lastAppliedRevision },
      'config file edit refused; the last good configuration stays in force');
    return { kind: 'rejected', error };
  }

  private noteRestartSettings(parsed: RouterConfig): void {
    const differing = settingsNeedingRestart(this.options.running, parsed);
    this.restartRequired = differing;
    if (differing.length > 0) {
      this.options.logger.warn({ path: this.options.path, restartRequired: differing },
        `config file changes ${differing.join(', ')}: these apply only when the router restarts (the routing part was applied)`);
    }
  }

  private async reportDifference(): Promise<void> {
    const stored = await this.options.routingStore.read();
    const diff = diffRouting(stored.config, this.options.running.routing);
    if (!diff.changed) return;
    this.differsFromStore =
      `the config file's routing differs from the store's (${summarizeDiff(diff)}) and store.seed is if-empty, so the store's is used; ` +
      `apply the file with \`trino-envoy-router config import ${this.options.path}\`, or set store.seed: overwrite (every start) or watch (every change)`;
    this.options.logger.warn({ path: this.options.path, revision: stored.revision, change: summarizeDiff(diff) }, this.differsFromStore);
  }

  private scheduleRetry(): void {
    if (this.closed || this.mode !== 'watch' || this.retry !== undefined) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.reload().catch((error: unknown) => this.options.logger.warn({ err: error, path: this.options.path }, 'config file reload failed'));
    }, this.options.pollMs ?? 5_000);
    this.retry.unref();
  }
}
