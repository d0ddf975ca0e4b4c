/**
 * The router killed with SIGKILL in the middle of a burst of admin writes, then started again
 * on the same store: no torn state. Every change the API acknowledged is there after the
 * restart; a change in flight at the kill is there whole or not at all (a group's member list,
 * written as several rows, is one of the lists a writer sent, never a mix); every group names
 * existing backends and every rule an existing group; SQLite's integrity check passes; and the
 * restarted router routes by the restored tables.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type AdminClient } from '../../../src/cli/admin-client.js';
import { freePort, spawnRouter, type RouterProcess } from '../../support/router-process.js';

const TOKEN = 'a-test-admin-token-long-enough';
const WRITERS = 4;
/** The kill comes once this many writes were acknowledged, with every writer still writing. */
const KILL_AFTER = 60;
const blank = { prefixRouting: false, schedules: [], draining: false };

const dir = mkdtempSync(join(tmpdir(), 'ter-admin-kill-'));
let router: RouterProcess | undefined;
const clients: AdminClient[] = [];
afterAll(async () => {
  for (const client of clients) client.close();
  await router?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startRouterProcess(configPath: string, adminPort: number): Promise<AdminClient> {
  router = await spawnRouter(configPath);
  const client = connect({ server: `127.0.0.1:${adminPort}`, token: TOKEN, timeoutMs: 10_000 });
  clients.push(client);
  // The admin port opens right after ext_proc's.
  for (let i = 0; ; i++) {
    try {
      await client.backends.listBackends({});
      return client;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** What one writer got acknowledged before the kill. */
interface Acknowledged {
  backends: string[];
  /** The member list of the writer's group after each acknowledged update, in order. */
  memberLists: string[][];
  rules: string[];
  revision: number;
}

describe('SIGKILL during a burst of admin writes', () => {
  it('restarts with every acknowledged change, nothing half-written, and routes by it', async () => {
    const adminPort = await freePort();
    const configPath = join(dir, 'router.yaml');
    writeFileSync(configPath, `
listen: { extProc: "127.0.0.1:0", admin: "127.0.0.1:${adminPort}", metrics: null }
dataDir: ${JSON.stringify(dir)}
logging: { level: info }
monitor: null
admin: { token: ${JSON.stringify(TOKEN)} }
routing: { defaultGroup: adhoc }
backends:
  - { name: trino-a, url: "http://127.0.0.1:18081" }
  - { name: trino-b, url: "http://127.0.0.1:18082" }
groups:
  - { name: adhoc, backends: [trino-a, trino-b] }
`);
    let admin = await startRouterProcess(configPath, adminPort);
    // Each writer's group exists before the burst.
    for (let k = 0; k < WRITERS; k++) {
      await admin.groups.createGroup({ group: { name: `pool-${k}`, strategy: '', members: [{ backend: 'trino-a' }], isDefault: false } });
    }

    const acked: Acknowledged[] = Array.from({ length: WRITERS }, () => ({ backends: [], memberLists: [['trino-a']], rules: [], revision: 0 }));
    /** Every member list each writer sent, acknowledged or not: what the store may hold. */
    const sentLists: string[][][] = Array.from({ length: WRITERS }, () => [['trino-a']]);
    let acknowledged = 0;
    let killed: Promise<void> | undefined;
    const ack = (k: number, revision: number): void => {
      acked[k]!.revision = Math.max(acked[k]!.revision, revision);
      acknowledged++;
      if (acknowledged === KILL_AFTER) killed = router!.kill();
    };
    const writer = async (k: number, client: AdminClient): Promise<void> => {
      for (let i = 0; ; i++) {
        const backend = `w${k}-${i}`;
        try {
          ack(k, (await client.backends.createBackend({ backend: { name: backend, url: `http://127.0.0.1:1/${backend}`, ...blank } })).revision);
          acked[k]!.backends.push(backend);
          const members = ['trino-a', ...acked[k]!.backends];
          sentLists[k]!.push(members);
          ack(k, (await client.groups.updateGroup({ group: { name: `pool-${k}`, strategy: '', members: members.map((name) => ({ backend: name })), isDefault: false }, updateMask: ['members'] })).revision);
          acked[k]!.memberLists.push(members);
          const rule = `r${k}-${i}`;
          ack(k, (await client.rules.createRule({ rule: { requestedGroups: [], noFallback: false, name: rule, priority: 1000 + k * 1000 + i, group: `pool-${k}`, match: { user: { kind: { $case: "exact", value: `u${k}-${i}` } }, listenerPort: [], sessionProperties: {}, header: [] } } })).revision);
          acked[k]!.rules.push(rule);
        } catch {
          return; // the router is gone: this writer's last call may or may not have landed
        }
      }
    };
    // One connection per writer, so the writes really are concurrent.
    const writerClients = Array.from({ length: WRITERS }, () => connect({ server: `127.0.0.1:${adminPort}`, token: TOKEN, timeoutMs: 10_000 }));
    clients.push(...writerClients);
    await Promise.all(writerClients.map((client, k) => writer(k, client)));
    expect(killed).toBeDefined();
    await killed;
    expect(acknowledged).toBeGreaterThanOrEqual(KILL_AFTER);

    // The file the killed process left behind is a sound database.
    const raw = new Database(join(dir, 'router.db'));
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      raw.close();
    }

    admin = await startRouterProcess(configPath, adminPort);
    const backends = new Set((await admin.backends.listBackends({})).backends.map((b) => b.name));
    const groupsAnswer = await admin.groups.listGroups({});
    const groups = new Map(groupsAnswer.groups.map((g) => [g.name, g.members.map((m) => m.backend)]));
    const rulesAnswer = await admin.rules.listRules({});
    const rules = new Map(rulesAnswer.rules.map((r) => [r.name, r.group]));
    expect(groupsAnswer.revision).toBeGreaterThanOrEqual(Math.max(...acked.map((a) => a.revision)));

    for (let k = 0; k < WRITERS; k++) {
      const mine = acked[k]!;
      // Everything acknowledged survived the kill.
      for (const name of mine.backends) expect(backends.has(name), name).toBe(true);
      for (const name of mine.rules) expect(rules.get(name), name).toBe(`pool-${k}`);
      // The group holds one whole list a writer sent, at least as new as the last acknowledged one.
      const members = groups.get(`pool-${k}`);
      const key = (list: readonly string[] | undefined): string => JSON.stringify([...(list ?? [])].sort());
      const index = sentLists[k]!.findIndex((list) => key(list) === key(members));
      expect(index, `pool-${k}: ${JSON.stringify(members)}`).toBeGreaterThanOrEqual(0);
      expect(index).toBeGreaterThanOrEqual(mine.memberLists.length - 1);
      // At most the one in-flight write beyond what was acknowledged.
      const extraBackends = [...backends].filter((b) => b.startsWith(`w${k}-`) && !mine.backends.includes(b));
      expect(extraBackends.length).toBeLessThanOrEqual(1);
    }
    // Referential integrity: what the routing compiles from.
    for (const [group, members] of groups) for (const member of members) expect(backends.has(member), `${group} -> ${member}`).toBe(true);
    for (const [rule, group] of rules) expect(groups.has(group), `${rule} -> ${group}`).toBe(true);

    // The restarted router routes by the restored rules: the last acknowledged rule of each writer.
    for (let k = 0; k < WRITERS; k++) {
      const last = acked[k]!.rules.at(-1);
      if (last === undefined) continue;
      const user = `u${k}-${last.slice(last.indexOf('-') + 1)}`;
      const explained = await admin.explain.explain({ method: 'POST', path: '/v1/statement', headers: [{ name: 'X-Trino-User', value: user }] });
      expect(explained.rules.find((r) => r.result === 'matched')?.name, user).toBe(last);
    }
  }, 120_000);
});
