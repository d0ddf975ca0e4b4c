import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IDLE_HINT_AFTER_MS, IDLE_HINT_MESSAGE, startIdleHint } from '../../../src/observability/idle-hint.js';
import { captureLogs } from './log-capture.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function hintWith(anyBackendAnswers: (() => boolean) | undefined) {
  const logs = captureLogs('info');
  const hint = startIdleHint({ logger: logs.logger, anyBackendAnswers, routerAddress: () => '0.0.0.0:9001', configPath: 'config/example.yaml' });
  return { logs, hint };
}

describe('the hint of a router nobody talks to', () => {
  it('says once, a while after start, what to do next when no Envoy connected and no backend answers', () => {
    const { logs } = hintWith(() => false);
    vi.advanceTimersByTime(IDLE_HINT_AFTER_MS - 1);
    expect(logs.lines).toEqual([]);
    vi.advanceTimersByTime(10 * IDLE_HINT_AFTER_MS);
    const records = logs.records();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ level: 'warn', routerAddress: '0.0.0.0:9001', config: 'config/example.yaml' });
    expect(String(records[0]?.msg)).toMatch(new RegExp(`^${IDLE_HINT_MESSAGE}\\. To try it out .*npm run demo\\. To route for real: point Envoy's ext_proc filter at 0\\.0\\.0\\.0:9001 .*backends' url in config/example\\.yaml`));
  });

  it('stays silent once Envoy opened a stream', () => {
    const { logs, hint } = hintWith(() => false);
    hint.observer.streamOpened('ext_proc');
    vi.advanceTimersByTime(2 * IDLE_HINT_AFTER_MS);
    expect(logs.lines).toEqual([]);
  });

  it('stays silent when a backend answers, and when the router closes first', () => {
    const answering = hintWith(() => true);
    vi.advanceTimersByTime(2 * IDLE_HINT_AFTER_MS);
    expect(answering.logs.lines).toEqual([]);
    const closed = hintWith(undefined);
    closed.hint.close();
    vi.advanceTimersByTime(2 * IDLE_HINT_AFTER_MS);
    expect(closed.logs.lines).toEqual([]);
  });
});
