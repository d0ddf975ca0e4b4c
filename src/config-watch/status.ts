/** What the router reports about its config file (admin status, metrics). */
import type { SeedMode } from '../config/router-config.js';

export interface ConfigFileStatus {
  /** Absolute path of the config file. */
  readonly path: string;
  readonly mode: SeedMode;
  /** When the file's routing was last written to the store (seeded, overwritten or applied); undefined: never by this router. */
  readonly lastAppliedAt: number | undefined;
  /** The store revision the last apply left (unchanged when the file already matched). */
  readonly lastAppliedRevision: number | undefined;
  /** Why the last edit was refused (YAML or validation message); undefined once an edit applies. */
  readonly lastError: string | undefined;
  readonly lastErrorAt: number | undefined;
  /** Edits refused since start. */
  readonly rejections: number;
  /** File keys outside routing that differ from the running ones: they apply on the next start. */
  readonly restartRequired: readonly string[];
  /** if-empty: the file's routing differs from the store's, and how to apply it; undefined otherwise. */
  readonly differsFromStore: string | undefined;
}

export interface ConfigFileStatusSource {
  status(): ConfigFileStatus;
}
