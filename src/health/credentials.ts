/**
 * The monitor's credentials per backend (config `monitor.auth`, `monitor.backends.<name>.auth`):
 * what a round's requests present. Secrets are read when a round starts, from the environment
 * or from files; a file is re-read only when it changed (its mtime, size or inode), so a
 * rotated token is used from the next round on, without a restart. Nothing here logs a secret;
 * an error names the config field and the file, never its content.
 */
import { readFile, stat } from 'node:fs/promises';
import type { MonitorAuthConfig } from '../config/router-config.js';
import { RouterError } from '../errors.js';
import type { SessionIdentity, TlsMaterial } from './http-session.js';

export type { MonitorAuthConfig } from '../config/router-config.js';

export interface MonitorAuth {
  /** For every backend without its own; null: only X-Trino-User. */
  readonly default: MonitorAuthConfig | null;
  readonly backends: Readonly<Record<string, MonitorAuthConfig>>;
}

export const NO_MONITOR_AUTH: MonitorAuth = { default: null, backends: {} };

/** A credential could not be read (a file gone, unreadable or empty; a variable unset). */
export class CredentialsError extends RouterError {
  constructor(readonly field: string, message: string, options?: { cause?: unknown }) {
    super('monitor_credentials_unreadable', message, { field }, options);
  }
}

/** What one round presents: the user of its queries, and its session identity. */
export interface RoundIdentity {
  readonly user: string;
  readonly identity: SessionIdentity;
}

export class MonitorCredentials {
  private readonly files = new ChangedFiles();

  constructor(
    private readonly auth: MonitorAuth,
    private readonly defaultUser: string,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  async identityOf(backend: string): Promise<RoundIdentity> {
    const own = this.auth.backends[backend];
    const auth = own ?? this.auth.default;
    if (auth === null) return { user: this.defaultUser, identity: { backend } };
    const at = own === undefined ? 'monitor.auth' : `monitor.backends.${backend}.auth`;
    const user = auth.user ?? this.defaultUser;
    const headers: Record<string, string> = {};
    const password = await this.secret(at, auth, 'password');
    if (password !== null) headers.Authorization = `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
    const token = await this.secret(at, auth, 'token');
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    const tls: TlsMaterial = {
      ca: await this.pem(at, 'caFile', auth.caFile),
      cert: await this.pem(at, 'certFile', auth.certFile),
      key: await this.pem(at, 'keyFile', auth.keyFile),
    };
    const hasTls = tls.ca !== undefined || tls.cert !== undefined;
    return { user, identity: { backend, headers, ...(hasTls ? { tls } : {}) } };
  }

  private async secret(at: string, auth: MonitorAuthConfig, kind: 'password' | 'token'): Promise<string | null> {
    const envName = kind === 'password' ? auth.passwordEnv : auth.tokenEnv;
    const file = kind === 'password' ? auth.passwordFile : auth.tokenFile;
    if (envName !== null) {
      const value = this.env[envName];
      if (value === undefined || value === '') throw new CredentialsError(`${at}.${kind}Env`, `${at}.${kind}Env: environment variable ${envName} is not set (or empty)`);
      return value;
    }
    if (file === null) return null;
    // A trailing newline is how most tools write a secret file; it is not part of the secret.
    const value = (await this.files.read(`${at}.${kind}File`, file)).replace(/\r?\n$/, '');
    if (value === '') throw new CredentialsError(`${at}.${kind}File`, `${at}.${kind}File: ${file} is empty`);
    return value;
  }

  private async pem(at: string, field: string, file: string | null): Promise<string | undefined> {
    return file === null ? undefined : this.files.read(`${at}.${field}`, file);
  }
}

/** File contents, re-read only when the file changed since the last read. */
class ChangedFiles {
  private readonly cache = new Map<string, { stamp: string; text: string }>();

  async read(field: string, path: string): Promise<string> {
    try {
      const info = await stat(path);
      const stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
      const cached = this.cache.get(path);
      if (cached?.stamp === stamp) return cached.text;
      const text = await readFile(path, 'utf8');
      this.cache.set(path, { stamp, text });
      return text;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new CredentialsError(field, `${field}: cannot read ${path} (${code})`, { cause: error });
    }
  }
}
