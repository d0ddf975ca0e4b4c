/**
 * Notices changes of one file: fs.watch on its folder (a Kubernetes ConfigMap update swaps the
 * folder's `..data` symlink, which a watch on the file itself never sees) plus a cheap stat
 * poll for file systems where fs.watch reports nothing (network mounts, some containers).
 * Bursts of events (editors write, rename, chmod) are coalesced into one call.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';

export interface FileWatchOptions {
  readonly path: string;
  /** Called once per burst of changes; never twice at a time (the next waits for the first). */
  readonly onChange: () => Promise<void>;
  readonly debounceMs?: number;
  readonly pollMs?: number;
  readonly logger: Pick<Logger, 'warn'>;
}

export interface FileWatch {
  close(): void;
}

export const DEFAULT_DEBOUNCE_MS = 300;
export const DEFAULT_POLL_MS = 5_000;

export function watchFile(options: FileWatchOptions): FileWatch {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let lastSignature: string | undefined;

  const signature = async (): Promise<string> => {
    try {
      // stat follows symlinks: a swapped ConfigMap `..data` link gives another inode.
      const s = await stat(options.path);
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (error) {
      return `missing:${(error as NodeJS.ErrnoException).code ?? ''}`;
    }
  };

  const run = (): void => {
    if (closed) return;
    if (running !== undefined) {
      again = true;
      return;
    }
    running = (async () => {
      lastSignature = await signature();
      await options.onChange().catch((error: unknown) => options.logger.warn({ err: error, path: options.path }, 'config file change handler failed'));
    })().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        schedule();
      }
    });
  };

  // The first event of a burst sets the time; later ones join it rather than push it back,
  // so a folder that never goes quiet cannot hold a change off forever.
  const schedule = (): void => {
    if (closed || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      run();
    }, debounceMs);
    timer.unref();
  };

  void signature().then((s) => (lastSignature ??= s));

  let watcher: FSWatcher | undefined;
  const name = basename(options.path);
  try {
    watcher = watch(dirname(options.path), { persistent: false }, (_event, changed) => {
      // Only the file itself and the kubelet's `..data` / `..<timestamp>` entries matter; the
      // folder may hold busy neighbours (a SQLite store and its -wal) whose writes are noise.
      if (changed !== null && changed !== name && !changed.startsWith('..')) return;
      schedule();
    });
    watcher.on('error', (error) => {
      options.logger.warn({ err: error, path: options.path }, 'cannot watch the config file\'s folder any more; following it by polling only');
      watcher?.close();
    });
  } catch (error) {
    options.logger.warn({ err: error, path: options.path }, 'cannot watch the config file\'s folder; following it by polling only');
  }

  const poll = setInterval(() => {
    void signature().then((s) => {
      if (s !== lastSignature) schedule();
    });
  }, options.pollMs ?? DEFAULT_POLL_MS);
  poll.unref();

  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    },
  };
}
