import { describe, expect, it } from 'vitest';
import { parseConfig, renderConfigYaml } from '../../../src/config/index.js';
import { issuesOf, VALID_YAML } from './fixtures.js';

function withListen(listen: string): string {
  return VALID_YAML.replace('listen:\n  extProc: "127.0.0.1:9001"\n', `listen:\n${listen}\n`);
}

describe('listen addresses: Unix domain sockets for the gRPC servers', () => {
  it('reads unix:/path for extProc, extAuthz and xds, shares one server when written alike, and renders it back', () => {
    const text = withListen('  extProc: "unix:/run/trino-router/sock"\n  extAuthz: "unix:/run/trino-router/sock"\n  xds: "unix:/run/trino-router/xds.sock"');
    const config = parseConfig(text, 'router.yaml', { env: {} });
    expect(config.listen.extProc).toEqual({ socketPath: '/run/trino-router/sock' });
    expect(config.listen.extAuthz).toEqual({ socketPath: '/run/trino-router/sock' });
    expect(config.listen.xds).toEqual({ socketPath: '/run/trino-router/xds.sock' });
    expect(renderConfigYaml(config)).toContain('extProc: unix:/run/trino-router/sock');
  });

  it.each([
    ['a relative path', 'unix:run/sock', /expected unix:\/absolute\/path/],
    ['a directory', 'unix:/run/trino-router/', /names a file, not a directory/],
    ['a path longer than sun_path', `unix:/${'x'.repeat(120)}`, /longer than the 107 the OS allows/],
  ])('rejects %s with a clear message', (_what, address, message) => {
    const issues = issuesOf(withListen(`  extProc: "${address}"`));
    expect(issues.map((i) => i.message).join('\n')).toMatch(message);
  });

  it('rejects two servers on one socket path, except the ones that share the ext_proc server', () => {
    const issues = issuesOf(withListen('  extProc: "127.0.0.1:9001"\n  extAuthz: "unix:/run/a.sock"\n  xds: "unix:/run/a.sock"'));
    expect(issues.map((i) => i.message).join('\n')).toMatch(/clashes with listen\.extAuthz \(unix:\/run\/a\.sock\); use another socket path/);
  });

  it('admin and metrics stay TCP-only', () => {
    const issues = issuesOf(withListen('  extProc: "127.0.0.1:9001"\n  admin: "unix:/run/admin.sock"'));
    expect(issues.map((i) => i.message).join('\n')).toMatch(/expected host:port/);
  });
});
