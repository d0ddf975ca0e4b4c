/**
 * The console's JSON API (src/console/server.ts): login, session, and every admin method as
 * POST /api/admin/<Service>/<Method> with the session's CSRF token.
 */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly fields: readonly FieldError[]) {
    super(message);
  }
}

export type Access = 'full' | 'read';

export interface SessionInfo {
  readonly access: Access;
  readonly csrfToken: string;
}

async function send(path: string, init: RequestInit): Promise<unknown> {
  const response = await fetch(path, { credentials: 'same-origin', ...init });
  const body = await response.json().catch(() => ({})) as { error?: { code: string; message: string; fields?: FieldError[] } };
  if (!response.ok) {
    const error = body.error ?? { code: String(response.status), message: response.statusText };
    throw new ApiError(response.status, error.code, error.message, error.fields ?? []);
  }
  return body;
}

export async function currentSession(): Promise<SessionInfo | undefined> {
  try {
    return await send('/api/session', { method: 'GET' }) as SessionInfo;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return undefined;
    throw error;
  }
}

export async function login(token: string): Promise<SessionInfo> {
  return await send('/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) }) as SessionInfo;
}

export class Api {
  constructor(readonly session: SessionInfo) {}

  get canWrite(): boolean {
    return this.session.access === 'full';
  }

  /** One admin method, e.g. call('BackendService/DrainBackend', { name }). */
  async call<T = any>(method: string, request: unknown = {}): Promise<T> {
    return await send(`/api/admin/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': this.session.csrfToken },
      body: JSON.stringify(request),
    }) as T;
  }

  async logout(): Promise<void> {
    await send('/api/logout', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': this.session.csrfToken }, body: '{}' });
  }
}
