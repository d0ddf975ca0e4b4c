import { describe, expect, it } from 'vitest';
import { observe, UNKNOWN_TRACK, type HealthTrack } from '../../../src/health/health-machine.js';
import type { ObservationKind } from '../../../src/health/probe.js';

const thresholds = { failureThreshold: 2, successThreshold: 3 };

function run(kinds: readonly ObservationKind[], start: HealthTrack = UNKNOWN_TRACK): HealthTrack[] {
  const tracks: HealthTrack[] = [];
  let track = start;
  for (const kind of kinds) {
    track = observe(track, { kind, reason: `saw ${kind}` }, thresholds);
    tracks.push(track);
  }
  return tracks;
}

const healths = (kinds: readonly ObservationKind[], start?: HealthTrack) => run(kinds, start).map((t) => t.health);

describe('health state machine', () => {
  it('takes the very first observation at once', () => {
    expect(healths(['up'])).toEqual(['healthy']);
    expect(healths(['down'])).toEqual(['unhealthy']);
    expect(healths(['starting'])).toEqual(['pending']);
    expect(healths(['shutting_down'])).toEqual(['draining']);
  });

  it('turns unhealthy only after failureThreshold failed checks in a row', () => {
    expect(healths(['up', 'down', 'down', 'down'])).toEqual(['healthy', 'healthy', 'unhealthy', 'unhealthy']);
    const [, , unhealthy] = run(['up', 'down', 'down']);
    expect(unhealthy?.reason).toBe('2 failed checks in a row: saw down');
  });

  it('one blip does not flap a backend, however often it happens', () => {
    expect(healths(['up', 'down', 'up', 'down', 'up', 'down', 'up'])).toEqual(Array(7).fill('healthy'));
  });

  it('comes back only after successThreshold good checks in a row', () => {
    expect(healths(['down', 'up', 'up', 'down', 'up', 'up', 'up'])).toEqual([
      'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'unhealthy', 'healthy',
    ]);
  });

  it('a coordinator saying it is starting or shutting down is believed at once', () => {
    expect(healths(['up', 'starting'])).toEqual(['healthy', 'pending']);
    expect(healths(['up', 'shutting_down'])).toEqual(['healthy', 'draining']);
    expect(healths(['down', 'starting'])).toEqual(['unhealthy', 'pending']);
  });

  it('a pending or draining backend also needs the thresholds to change on checks', () => {
    expect(healths(['starting', 'up', 'up', 'up'])).toEqual(['pending', 'pending', 'pending', 'healthy']);
    expect(healths(['shutting_down', 'down', 'down'])).toEqual(['draining', 'draining', 'unhealthy']);
  });

  it('keeps the reason of the observation that settled the health while it waits', () => {
    const tracks = run(['down', 'up']);
    expect(tracks[1]).toMatchObject({ health: 'unhealthy', reason: 'saw down', streakKind: 'up', streak: 1 });
  });
});
