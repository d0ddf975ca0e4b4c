import { describe, expect, it } from 'vitest';
import { deriveState, type StateInputs } from '../../../src/health/backend-state.js';
import { UNKNOWN_TRACK, type HealthTrack } from '../../../src/health/health-machine.js';
import { backend } from '../routing/fixtures.js';

const track = (health: HealthTrack['health'], reason = `it is ${health}`): HealthTrack => ({ ...UNKNOWN_TRACK, health, reason });

function derive(extra: Partial<StateInputs> = {}) {
  return deriveState({ backend: backend('a'), track: track('healthy'), inSchedule: true, remaining: 3, ...extra });
}

describe('the state word', () => {
  it('is the health when nothing else applies', () => {
    expect(derive()).toEqual({ state: 'healthy', reason: 'it is healthy', draining: false });
    expect(derive({ track: track('unhealthy') }).state).toBe('unhealthy');
    expect(derive({ track: track('pending') }).state).toBe('pending');
    expect(derive({ track: UNKNOWN_TRACK }).state).toBe('unknown');
  });

  it('puts the operator first: disabled, then a drain', () => {
    expect(derive({ backend: backend('a', { enabled: false, draining: true }), inSchedule: false })).toMatchObject({ state: 'disabled', reason: 'disabled by an operator' });
    expect(derive({ backend: backend('a', { draining: true }), inSchedule: false, track: track('unhealthy') })).toMatchObject({
      state: 'draining', reason: 'drain requested by an operator', draining: true,
    });
  });

  it('drains on SHUTTING_DOWN and is drained once no query is left', () => {
    const shutting = track('draining', 'the coordinator reports SHUTTING_DOWN');
    expect(derive({ track: shutting, remaining: 2 })).toMatchObject({ state: 'draining', reason: 'the coordinator reports SHUTTING_DOWN' });
    expect(derive({ track: shutting, remaining: 0 })).toMatchObject({ state: 'drained', reason: 'the coordinator reports SHUTTING_DOWN; no queries left on it' });
    // Without a load reading nobody knows whether it is empty.
    expect(derive({ track: shutting, remaining: undefined }).state).toBe('draining');
  });

  it('outside its schedule otherwise, whatever its health', () => {
    expect(derive({ inSchedule: false, track: track('unhealthy') })).toMatchObject({ state: 'outside_schedule', reason: 'outside its uptime schedules' });
  });
});
