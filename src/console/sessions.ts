/**
 * Console sessions, in memory: a random id (the cookie), a random CSRF token, the admin token
 * the browser logged in with (never sent back) and what it may do. A session unused for the
 * idle time is forgotten; so is the oldest when too many are open (a login flood must not
 * grow memory without bound).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Access } from '../admin/auth.js';

export interface Session {
  readonly id: string;
  readonly csrfToken: string;
  /** The admin token this session calls the admin API with; undefined when the admin API needs none. */
  readonly adminToken: string | undefined;
  readonly access: Access;
  lastUsedAt: number;
}

/** Sessions kept at most; the least recently used goes first. */
export const MAX_SESSIONS = 1000;

export class Sessions {
  /** Insertion order = least recently used first (touch re-inserts). */
  private readonly byId = new Map<string, Session>();

  constructor(private readonly idleMs: number, private readonly now: () => number = Date.now) {}

  open(adminToken: string | undefined, access: Access): Session {
    this.prune();
    while (this.byId.size >= MAX_SESSIONS) {
      const oldest = this.byId.keys().next().value as string;
      this.byId.delete(oldest);
    }
    const session: Session = { id: randomToken(), csrfToken: randomToken(), adminToken, access, lastUsedAt: this.now() };
    this.byId.set(session.id, session);
    return session;
  }

  /** The live session with this id (its idle time restarts), or undefined. */
  find(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.byId.get(id);
    if (session === undefined) return undefined;
    const now = this.now();
    if (now - session.lastUsedAt > this.idleMs) {
      this.byId.delete(id);
      return undefined;
    }
    session.lastUsedAt = now;
    this.byId.delete(id);
    this.byId.set(id, session);
    return session;
  }

  /** Whether a live session has this id, without counting as a use. */
  has(id: string): boolean {
    const session = this.byId.get(id);
    return session !== undefined && this.now() - session.lastUsedAt <= this.idleMs;
  }

  close(id: string): void {
    this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Forgets idle sessions (oldest first, so it stops at the first live one). */
  prune(): void {
    const now = this.now();
    for (const [id, session] of this.byId) {
      if (now - session.lastUsedAt <= this.idleMs) break;
      this.byId.delete(id);
    }
  }
}

/** The CSRF token the request sent matches the session's, compared in constant time. */
export function csrfMatches(session: Session, sent: string | undefined): boolean {
  if (sent === undefined) return false;
  return timingSafeEqual(digest(sent), digest(session.csrfToken));
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
