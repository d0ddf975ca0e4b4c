/**
 * OAuth2 logins in a fleet: two routers on one PostgreSQL store, polling set to a minute. The
 * challenge meets replica 1; the browser step and the token polls, sent at once as the Java
 * client sends them, meet replica 2, which knows the flow from the change feed or its store
 * lookup, never from the client.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRouter, type RunningRouter } from '../../src/app.js';
import type { EnvoyStandin } from '../standins/envoy/index.js';
import { startFakeIdp, type FakeIdp } from '../standins/trino/index.js';
import { startFleetBackends, type FleetBackends } from '../support/fleet.js';
import { freshDatabase } from '../support/postgres-databases.js';
import { bearerChallenge, browse, call, httpsOf, pollForToken, runQuery } from '../support/oauth2-client.js';

let drop: () => Promise<void>;
let idp: FakeIdp;
let fleet: FleetBackends;
const replicas: RunningRouter[] = [];
let first: EnvoyStandin;
let second: EnvoyStandin;

beforeAll(async () => {
  const database = await freshDatabase();
  drop = database.drop;
  idp = await startFakeIdp({ user: 'dave' });
  fleet = await startFleetBackends({
    authentication: { types: ['OAUTH2'], oauth2: { issuer: idp.url, clientId: idp.clientId, clientSecret: idp.clientSecret, tokenKey: idp.tokenKey, pollHoldMs: 100 } },
  });
  for (let i = 0; i < 2; i++) replicas.push(await startRouter({ configPath: fleet.replicaConfig(i, { storeUrl: database.url, store: 'pollIntervalMs: 60000' }) }));
  first = await fleet.envoyOver([replicas[0]!.extProcPort]);
  second = await fleet.envoyOver([replicas[1]!.extProcPort]);
});
afterAll(async () => {
  for (const replica of replicas) await replica.close();
  await fleet?.close();
  await idp?.close();
  await drop?.();
});

it('5 logins challenged on one replica finish on the other, each on the cluster that challenged', async () => {
  for (let round = 0; round < 5; round++) {
    const refused = await call(first.url, `${httpsOf(first.url)}/v1/statement`, { method: 'POST', body: 'SELECT 1' });
    await refused.body?.cancel();
    const challenge = bearerChallenge(refused)!;
    const onSecond = (uri: string): string => uri.replace(new URL(first.url).host, new URL(second.url).host);
    const [status, token] = await Promise.all([browse(second.url, onSecond(challenge.redirectServer)), pollForToken(second.url, onSecond(challenge.tokenServer))]);
    expect(status).toBe(200);
    const authId = challenge.tokenServer.split('/').pop()!;
    const saw = [fleet.trinoA, fleet.trinoB].filter((t) => t.requestLog().some((r) => r.path.includes(authId)));
    expect(saw).toHaveLength(1);
    expect(await runQuery(second.url, token)).toMatch(/^trino-[ab]$/);
  }
});
