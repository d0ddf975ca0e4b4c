import { describe, expect, it } from 'vitest';
import { minuteOf, ScheduleBook, type ScheduleProblem } from '../../../src/health/schedules.js';
import { ScheduleGate } from '../../../src/health/schedule-gate.js';
import { backend } from '../routing/fixtures.js';
import { captureLogs } from '../observability/log-capture.js';
import { FakeClock } from './fake-clock.js';
import { TestRouting } from './monitor-fixture.js';

const at = (iso: string): number => Date.parse(iso);

describe('uptime schedules', () => {
  it('a backend is in rotation while any of its schedules matches, evaluated per whole minute', () => {
    const book = new ScheduleBook();
    book.update([
      backend('office', { schedules: [{ cron: '* 8-17 * * MON-FRI', timeZone: 'Europe/Berlin' }, { cron: '* 10-11 * * SAT', timeZone: 'Europe/Berlin' }] }),
      backend('always'),
    ]);
    // Monday 23 November 2026, CET (UTC+1): 08:00 local is 07:00 UTC.
    expect(book.inSchedule('office', at('2026-11-23T06:59:59.999Z'))).toBe(false);
    expect(book.inSchedule('office', at('2026-11-23T07:00:00.000Z'))).toBe(true);
    // Seconds inside a matching minute match too.
    expect(book.inSchedule('office', at('2026-11-23T16:59:59.000Z'))).toBe(true);
    expect(book.inSchedule('office', at('2026-11-23T17:00:00.000Z'))).toBe(false);
    // Saturday: only the second schedule.
    expect(book.inSchedule('office', at('2026-11-28T09:30:00Z'))).toBe(true);
    expect(book.inSchedule('office', at('2026-11-28T12:00:00Z'))).toBe(false);
    expect(book.inSchedule('always', at('2026-11-28T12:00:00Z'))).toBe(true);
    expect(book.isScheduled('office')).toBe(true);
    expect(book.isScheduled('always')).toBe(false);
    expect(minuteOf(at('2026-11-23T07:00:59.999Z'))).toBe(at('2026-11-23T07:00:00Z'));
  });

  it('7 is Sunday as well as 0', () => {
    const book = new ScheduleBook();
    book.update([backend('s', { schedules: [{ cron: '* * * * 7', timeZone: 'UTC' }] })]);
    expect(book.inSchedule('s', at('2026-11-22T12:00:00Z'))).toBe(true);
    expect(book.inSchedule('s', at('2026-11-23T12:00:00Z'))).toBe(false);
  });

  it('a schedule the evaluator cannot read is reported once and ignored (fail open)', () => {
    const problems: ScheduleProblem[] = [];
    const book = new ScheduleBook((p) => problems.push(p));
    const broken = backend('x', { schedules: [{ cron: 'not a cron', timeZone: 'UTC' }] });
    book.update([broken]);
    book.update([broken]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ backend: 'x', schedule: { cron: 'not a cron' } });
    expect(book.inSchedule('x', at('2026-11-23T12:00:00Z'))).toBe(true);
  });

  it('follows changes and forgets removed backends', () => {
    const book = new ScheduleBook();
    book.update([backend('a', { schedules: [{ cron: '* 0 * * *', timeZone: 'UTC' }] })]);
    expect(book.inSchedule('a', at('2026-11-23T12:00:00Z'))).toBe(false);
    book.update([backend('a', { schedules: [{ cron: '* 12 * * *', timeZone: 'UTC' }] })]);
    expect(book.inSchedule('a', at('2026-11-23T12:00:00Z'))).toBe(true);
    book.update([]);
    expect(book.isScheduled('a')).toBe(false);
  });
});

describe('schedules without a health monitor', () => {
  it('switch only scheduled backends, at the minute, and log it', async () => {
    const clock = new FakeClock(at('2026-11-23T11:59:00Z'));
    const routing = new TestRouting({
      backends: [backend('noon', { schedules: [{ cron: '* 12 * * *', timeZone: 'UTC' }] }), backend('plain')],
      groups: [{ name: 'g', strategy: 'round_robin', members: [{ backend: 'noon', weight: 1 }, { backend: 'plain', weight: 1 }] }],
      rules: [],
      defaultGroup: 'g',
    });
    const logs = captureLogs('info');
    const gate = new ScheduleGate(routing, logs.logger, clock);
    gate.start();
    try {
      expect([...gate.conditions().entries()]).toEqual([['noon', { health: 'healthy', load: 0, inSchedule: false }]]);
      await clock.advanceTo(at('2026-11-23T12:00:00Z'));
      expect(gate.conditions().get('noon')?.inSchedule).toBe(true);
      await clock.advanceTo(at('2026-11-23T13:00:00Z'));
      expect(gate.conditions().get('noon')?.inSchedule).toBe(false);
      expect(logs.records().map((r) => r.msg)).toEqual([
        'backend is outside its uptime schedules', 'backend entered its uptime schedule', 'backend is outside its uptime schedules',
      ]);
      routing.set({ ...routing.current().config, backends: [backend('noon'), backend('plain')] });
      expect(gate.conditions().size).toBe(0);
    } finally {
      gate.close();
    }
    expect(clock.pending).toBe(0);
  });
});
