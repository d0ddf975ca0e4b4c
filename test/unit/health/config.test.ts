import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { renderConfigYaml } from '../../../src/config/render.js';
import { monitorSettingsOf } from '../../../src/health/monitor.js';

const BASE = `
routing: { defaultGroup: g }
backends:
  - { name: a, url: "http://a:8080", draining: true, maxLoad: 40 }
  - { name: b, url: "http://b:8080" }
groups:
  - { name: g, strategy: least_load, backends: [a, b] }
`;

const parse = (extra: string) => parseConfig(`${BASE}${extra}`, 'router.yaml', { env: {}, baseDir: '/srv' });

describe('health configuration', () => {
  it('defaults: monitor on every 10 s, running weighs 1 and queued 0.5, backends not draining', () => {
    const config = parse('');
    expect(config.monitor).toEqual({ intervalSeconds: 10, timeoutMs: 8000, failureThreshold: 2, successThreshold: 2, user: 'trino-router-monitor', auth: null, backends: {} });
    expect(monitorSettingsOf(config.monitor!)).toEqual({
      intervalMs: 10_000, timeoutMs: 8000, failureThreshold: 2, successThreshold: 2, user: 'trino-router-monitor', loadWeights: { running: 1, queued: 0.5 },
    });
    expect(config.routing.backends.map((b) => b.draining)).toEqual([true, undefined]);
  });

  it('load weights can be set, one at a time; not both zero, never negative', () => {
    expect(parse('monitor: { loadWeights: { queued: 2 } }').monitor?.loadWeights).toEqual({ running: 1, queued: 2 });
    expect(monitorSettingsOf(parse('monitor: { loadWeights: { running: 0, queued: 1 } }').monitor!).loadWeights).toEqual({ running: 0, queued: 1 });
    expect(() => parse('monitor: { loadWeights: { running: 0, queued: 0 } }')).toThrow(/monitor\.loadWeights: at least one of running, queued must be above 0/);
    expect(() => parse('monitor: { loadWeights: { running: -1 } }')).toThrow(ConfigError);
    expect(() => parse('monitor: { loadWeights: { runing: 1 } }')).toThrow(/monitor\.loadWeights\.runing: unknown key "runing" \(did you mean "running"\?\)/);
  });

  it('monitor.uiLogin turns on the web UI login fallback for the load; off unless set, a boolean', () => {
    expect(monitorSettingsOf(parse('').monitor!).uiLogin).toBeUndefined();
    expect(monitorSettingsOf(parse('monitor: { uiLogin: true }').monitor!).uiLogin).toBe(true);
    expect(() => parse('monitor: { uiLogin: yes please }')).toThrow(ConfigError);
  });

  it('monitor: null turns the health checks off', () => {
    expect(parse('monitor: null').monitor).toBeNull();
  });

  it('an export writes drain switches and load weights, and loads back to the same config', () => {
    for (const extra of ['', 'monitor: null', 'monitor: { intervalSeconds: 5, loadWeights: { running: 2, queued: 1 } }']) {
      const config = parse(extra);
      const text = renderConfigYaml(config);
      expect(parseConfig(text, 'export.yaml', { env: {}, baseDir: '/srv' })).toEqual(config);
    }
    expect(renderConfigYaml(parse(''))).toMatch(/name: a\n\s+url: http:\/\/a:8080\n[\s\S]*?draining: true/);
  });
});
