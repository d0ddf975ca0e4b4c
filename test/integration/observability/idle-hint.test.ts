/** `npm start` alone (config/example.yaml, no Envoy, no Trino): the router says what to do next. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRouter } from '../../../src/app.js';
import { IDLE_HINT_MESSAGE } from '../../../src/observability/idle-hint.js';
import { exampleConfigOnEphemeralPorts } from '../../support/example-config.js';
import { captureLogs } from '../../unit/observability/log-capture.js';

const dir = mkdtempSync(join(tmpdir(), 'ter-idle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a router on the example config with nothing around it', () => {
  it('logs once what to do next, with the address its ext_proc server listens on', async () => {
    const logs = captureLogs('info');
    const running = await startRouter({ configPath: exampleConfigOnEphemeralPorts(dir), logger: logs.logger, idleHintAfterMs: 50, env: {} });
    try {
      const hints = (): Record<string, unknown>[] => logs.records().filter((r) => String(r.msg).startsWith(IDLE_HINT_MESSAGE));
      for (let i = 0; i < 100 && hints().length === 0; i++) await new Promise((done) => setTimeout(done, 50));
      expect(hints()).toHaveLength(1);
      expect(hints()[0]).toMatchObject({ level: 'warn', routerAddress: `127.0.0.1:${running.extProcPort}`, msg: expect.stringContaining('npm run demo') });
    } finally {
      await running.close();
    }
  });
});
