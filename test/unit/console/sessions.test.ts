import { describe, expect, it } from 'vitest';
import { csrfMatches, MAX_SESSIONS, Sessions } from '../../../src/console/sessions.js';

describe('console sessions', () => {
  it('finds a session by its id until it has been idle too long, each use restarting the clock', () => {
    let now = 0;
    const sessions = new Sessions(1000, () => now);
    const session = sessions.open('token', 'full');
    now = 900;
    expect(sessions.find(session.id)).toBe(session);
    now = 1800;
    expect(sessions.find(session.id)).toBe(session);
    now = 2700;
    // Looking does not count as a use.
    expect(sessions.has(session.id)).toBe(true);
    now = 2801;
    expect(sessions.has(session.id)).toBe(false);
    expect(sessions.find(session.id)).toBeUndefined();
    expect(sessions.size).toBe(0);
  });

  it('gives every session its own random id and CSRF token, and forgets it at close', () => {
    const sessions = new Sessions(60_000);
    const a = sessions.open(undefined, 'read');
    const b = sessions.open(undefined, 'read');
    expect(new Set([a.id, b.id, a.csrfToken, b.csrfToken]).size).toBe(4);
    sessions.close(a.id);
    expect(sessions.find(a.id)).toBeUndefined();
    expect(sessions.find(b.id)).toBe(b);
    expect(sessions.find(undefined)).toBeUndefined();
    expect(sessions.find('made-up')).toBeUndefined();
  });

  it('keeps at most MAX_SESSIONS, dropping the least recently used', () => {
    const sessions = new Sessions(60_000);
    const first = sessions.open(undefined, 'full');
    const second = sessions.open(undefined, 'full');
    for (let i = 2; i < MAX_SESSIONS; i++) sessions.open(undefined, 'full');
    sessions.find(first.id);
    sessions.open(undefined, 'full');
    expect(sessions.size).toBe(MAX_SESSIONS);
    expect(sessions.find(first.id)).toBe(first);
    expect(sessions.find(second.id)).toBeUndefined();
  });

  it('matches the CSRF token exactly', () => {
    const session = new Sessions(60_000).open(undefined, 'full');
    expect(csrfMatches(session, session.csrfToken)).toBe(true);
    expect(csrfMatches(session, `${session.csrfToken}x`)).toBe(false);
    expect(csrfMatches(session, '')).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
  });
});
